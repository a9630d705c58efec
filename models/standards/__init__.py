"""Table Schemas (frictionless) of the Ministry's recommended open-data structures under
Resolution 835: `infoAudit` (annex 17, "Результати інформаційного аудиту") and `register`
(annex 7, "Реєстр наборів даних"). The JSON files are the repository's copy of the official field
lists (names, order, types, required); the publication package is checked against them."""

import json
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent
INFO_AUDIT = "infoAudit"
REGISTER = "register"


@cache
def _load(name: str) -> str:
    return (FOLDER / f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """The Table Schema descriptor (a fresh copy: callers may change it)."""
    return dict(json.loads(_load(name)))


def field_names(name: str) -> list[str]:
    """The structure's field names in their official order."""
    return [str(f["name"]) for f in load_schema(name)["fields"]]


def normalize_phone(text: str) -> str:
    """Ukrainian phone numbers as the structures want them: +380XXXXXXXXX, comma-separated.

    Accepts spaces, dashes, brackets, a leading 380 or a national 0XXXXXXXXX; raises ValueError
    (Ukrainian message) for anything else."""
    numbers = []
    for part in text.replace(";", ",").split(","):
        digits = "".join(c for c in part if c.isdigit())
        if not digits:
            continue
        if len(digits) == 10 and digits.startswith("0"):
            digits = "38" + digits
        if len(digits) != 12 or not digits.startswith("380"):
            raise ValueError(
                f"номер «{part.strip()}» має бути у форматі +380XXXXXXXXX (12 цифр), напр. "
                "+380123456789"
            )
        numbers.append("+" + digits)
    return ",".join(numbers)
