"""Structured periodicity of a dataset's publication: parsed from and rendered to Ukrainian."""

import enum
import re
from dataclasses import dataclass


class BasePeriod(enum.StrEnum):
    """The regular period of publication."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"


BASE_WORDS = {
    BasePeriod.DAILY: "щодня",
    BasePeriod.WEEKLY: "щотижня",
    BasePeriod.MONTHLY: "щомісячно",
    BasePeriod.QUARTERLY: "щоквартально",
    BasePeriod.SEMIANNUAL: "щопівроку",
    BasePeriod.ANNUAL: "щороку",
}
# The period's name in the genitive: "після закінчення звітного кварталу".
PERIOD_GENITIVE = {
    BasePeriod.DAILY: "дня",
    BasePeriod.WEEKLY: "тижня",
    BasePeriod.MONTHLY: "місяця",
    BasePeriod.QUARTERLY: "кварталу",
    BasePeriod.SEMIANNUAL: "півріччя",
    BasePeriod.ANNUAL: "року",
}
NUMBER_GENITIVE = {
    1: "одного",
    2: "двох",
    3: "трьох",
    4: "чотирьох",
    5: "п’яти",
    6: "шести",
    7: "семи",
    8: "восьми",
    9: "дев’яти",
    10: "десяти",
    14: "чотирнадцяти",
    15: "п’ятнадцяти",
    20: "двадцяти",
    30: "тридцяти",
}
_GENITIVE_NUMBER = {word.replace("’", ""): n for n, word in NUMBER_GENITIVE.items()}

# Phrases are matched with all whitespace removed: the seed's own text has words run together
# ("протягомтрьохробочихднів") after its extraction from a .docx.
_BASE_RE = re.compile(
    r"^(?P<base>щодня|щоденно|щотижня|щотижнево|щомісяця|щомісячно|щоквартально|щопівроку|"
    r"щопіврічно|щороку|щорічно)"
)
_BASE_ALIASES = {
    "щодня": BasePeriod.DAILY,
    "щоденно": BasePeriod.DAILY,
    "щотижня": BasePeriod.WEEKLY,
    "щотижнево": BasePeriod.WEEKLY,
    "щомісяця": BasePeriod.MONTHLY,
    "щомісячно": BasePeriod.MONTHLY,
    "щоквартально": BasePeriod.QUARTERLY,
    "щопівроку": BasePeriod.SEMIANNUAL,
    "щопіврічно": BasePeriod.SEMIANNUAL,
    "щороку": BasePeriod.ANNUAL,
    "щорічно": BasePeriod.ANNUAL,
}
_LAG_RE = re.compile(
    r"^протягом(?P<n>\d+)(календарних)?дн(ів|я)(після|з)(дня)?закінченнязвітного"
    r"(кварталу|місяця|року|періоду|півріччя)"
)
_AS_NEEDED_RE = re.compile(r"^(та|і|й)?(вміру|за)потреби")
_ON_CHANGE_RE = re.compile(
    r"^(та|і|й)?(позапланово)?\(?((протягом|впродовж)(?P<n>\d+|[а-яіїєґ’]+)робоч(их|ого)дн(ів|я)"
    r"(змоментувнесеннязмін|післявнесеннязмін)?)?\)?"
)


class PeriodicityError(ValueError):
    """A phrase that is not a known periodicity; the message is Ukrainian."""


@dataclass(frozen=True)
class Periodicity:
    """A base period and/or 'on change within N working days', plus modifiers."""

    base: BasePeriod | None = None
    as_needed: bool = False
    unscheduled: bool = False  # "позапланово": on every change
    on_change_days: int | None = None  # ...within N working days of the change
    lag_days: int | None = None  # within N days after the reporting period ends

    def __post_init__(self) -> None:
        if self.base is None and not self.unscheduled and not self.as_needed:
            raise PeriodicityError("Періодичність не задана.")

    def to_ukrainian(self) -> str:
        """The phrase as the register writes it."""
        parts: list[str] = []
        if self.base is not None:
            text = BASE_WORDS[self.base]
            if self.lag_days is not None:
                text += (
                    f" протягом {self.lag_days} днів після закінчення звітного "
                    f"{PERIOD_GENITIVE[self.base]}"
                )
            parts.append(text)
        if self.as_needed:
            parts.append("в міру потреби")
        if self.unscheduled:
            text = "позапланово"
            if self.on_change_days is not None:
                days = NUMBER_GENITIVE.get(self.on_change_days, str(self.on_change_days))
                text += f" (протягом {days} робочих днів з моменту внесення змін)"
            parts.append(text)
        return " та ".join(parts)

    def __str__(self) -> str:
        return self.to_ukrainian()


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    key = token.replace("'", "").replace("’", "").replace("ʼ", "")
    if key not in _GENITIVE_NUMBER:
        raise PeriodicityError(f"Невідоме число днів: «{token}».")
    return _GENITIVE_NUMBER[key]


def split_note(phrase: str) -> tuple[str, str]:
    """Split "періодичність; примітка" (the seed adds who submits after a semicolon)."""
    head, _, note = phrase.partition(";")
    return head.strip(), note.strip()


def parse_periodicity(phrase: str) -> Periodicity:
    """Parse a Ukrainian periodicity phrase; an unknown phrase raises PeriodicityError."""
    compact = re.sub(r"\s+", "", phrase.lower()).replace("ʼ", "’").replace("'", "’").rstrip(".;,")
    rest = compact
    base: BasePeriod | None = None
    lag: int | None = None
    as_needed = False
    unscheduled = False
    on_change: int | None = None
    if match := _BASE_RE.match(rest):
        base = _BASE_ALIASES[match["base"]]
        rest = rest[match.end() :]
        if lag_match := _LAG_RE.match(rest):
            lag = int(lag_match["n"])
            rest = rest[lag_match.end() :]
    if match := _AS_NEEDED_RE.match(rest):
        as_needed = True
        rest = rest[match.end() :]
    match = _ON_CHANGE_RE.match(rest)
    if match and ("позапланово" in match.group(0) or match["n"]):
        unscheduled = True
        on_change = _number(match["n"]) if match["n"] else None
        rest = rest[match.end() :]
    if rest or (base is None and not unscheduled and not as_needed):
        raise PeriodicityError(f"Невідома періодичність: «{phrase.strip()}».")
    return Periodicity(
        base=base,
        as_needed=as_needed,
        unscheduled=unscheduled,
        on_change_days=on_change,
        lag_days=lag,
    )
