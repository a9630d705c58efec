"""Table Schemas (frictionless) of the Ministry's recommended open-data structures under
Resolution 835: `infoAudit` (annex 17, "Результати інформаційного аудиту") and `register`
(annex 7, "Реєстр наборів даних"). The JSON files are the repository's copy of the official field
lists (names, order, types, required); the publication package is checked against them."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from models.periodicity import BasePeriod, Periodicity

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


# What normalize_phone takes, for the JSON schema: numbers separated by commas or semicolons,
# each 0XXXXXXXXX or 380XXXXXXXXX with spaces, dashes, dots, slashes, brackets or a plus between.
_SEPARATORS = r"[ ()+./-]*"
_PREFIX = rf"(?:0|3{_SEPARATORS}8{_SEPARATORS}0)"
_NUMBER = rf"{_SEPARATORS}(?:{_PREFIX}(?:{_SEPARATORS}[0-9]){{9}})?{_SEPARATORS}"
PHONE_PATTERN = rf"^{_NUMBER}(?:[,;]{_NUMBER})*$"


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


# register's accrualPeriodicity (its seven values) and data.gov.ua's update_frequency codes.
ACCRUAL_PERIODICITY = {
    BasePeriod.DAILY: "Щодня",
    BasePeriod.WEEKLY: "Щотижня",
    BasePeriod.MONTHLY: "Щомісяця",
    BasePeriod.QUARTERLY: "Щокварталу",
    BasePeriod.SEMIANNUAL: "Кожного півріччя",
    BasePeriod.ANNUAL: "Щороку",
}
PORTAL_FREQUENCY = {
    BasePeriod.DAILY: "once a day",
    BasePeriod.WEEKLY: "once a week",
    BasePeriod.MONTHLY: "once a month",
    BasePeriod.QUARTERLY: "once a quarter",
    BasePeriod.SEMIANNUAL: "once a half year",
    BasePeriod.ANNUAL: "once a year",
}
PORTAL_FREQUENCY_CODES = (
    "more than once a day",
    *PORTAL_FREQUENCY.values(),
    "immediately after making changes",
    "no longer updated",
)
PORTAL_LANGUAGE = "ua"  # data.gov.ua's code for Ukrainian (not ISO's "uk")
PORTAL_PURPOSE_MAX = 512


def accrual_periodicity(periodicity: Periodicity) -> str:
    """One of the register's seven values. Only "on change" or "as needed" (no regular period):
    the 2019 value «Відразу після внесення змін» is gone, so the register says «Щороку», the
    period the portal itself checks such sets by."""
    if periodicity.base is None:
        return ACCRUAL_PERIODICITY[BasePeriod.ANNUAL]
    return ACCRUAL_PERIODICITY[periodicity.base]


def portal_frequency(periodicity: Periodicity) -> str:
    """data.gov.ua's update_frequency code: the regular period, else "on change"."""
    if periodicity.base is None:
        return "immediately after making changes"
    return PORTAL_FREQUENCY[periodicity.base]
