"""The built-in catalogue of Resolution 835's datasets (register_catalogue.yaml beside this
module), from which the working group picks register entries."""

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml

from models.periodicity import parse_periodicity
from models.register import RegisterSource


@dataclass(frozen=True)
class CatalogueDataset:
    """A dataset of the Resolution's list, with its recommended periodicity."""

    code: str
    title: str
    periodicity: str
    source: RegisterSource


@lru_cache
def catalogue() -> tuple[CatalogueDataset, ...]:
    """Every dataset of the catalogue: the general list first, then local self-government."""
    text = files("models").joinpath("register_catalogue.yaml").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, str]]] = yaml.safe_load(text)
    datasets = tuple(
        CatalogueDataset(
            code=row["code"],
            title=row["title"],
            periodicity=row["periodicity"],
            source=RegisterSource(section),
        )
        for section in (RegisterSource.ALL_HOLDERS.value, RegisterSource.LOCAL_GOVERNMENT.value)
        for row in data[section]
    )
    for dataset in datasets:
        parse_periodicity(dataset.periodicity)  # a typo in the file fails loudly, at once
    return datasets


def catalogue_dataset(code: str) -> CatalogueDataset | None:
    """The catalogue's dataset with this code, if any."""
    return next((d for d in catalogue() if d.code == code), None)
