"""Structured periodicity of a dataset's publication: parsed from and rendered to Ukrainian."""

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta


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
    r"^(?P<base>щодня|щоденно|щотижня|щотижнево|щомісяця|щомісячно|щоквартально|щокварталу|"
    r"щопівроку|щопіврічно|щопівріччя|щороку|щорічно|разнадень|разнатиждень|разнамісяць|"
    r"разнаквартал|разнапівроку|двічінарік|разнарік)"
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
    "щокварталу": BasePeriod.QUARTERLY,
    "щопівріччя": BasePeriod.SEMIANNUAL,
    "разнадень": BasePeriod.DAILY,
    "разнатиждень": BasePeriod.WEEKLY,
    "разнамісяць": BasePeriod.MONTHLY,
    "разнаквартал": BasePeriod.QUARTERLY,
    "разнапівроку": BasePeriod.SEMIANNUAL,
    "двічінарік": BasePeriod.SEMIANNUAL,
    "разнарік": BasePeriod.ANNUAL,
}
_LAG_RE = re.compile(
    r"^протягом(?P<n>\d+)(календарних)?дн(ів|я)(після|з)(дня)?закінченнязвітного"
    r"(кварталу|місяця|року|періоду|півріччя)"
)
_AS_NEEDED_RE = re.compile(r"^(та|і|й|,)?(вміру|за|уразі)потреби")
# Real registers say "в міру оновлення", "у разі змін", "після внесення змін": publication
# follows each change of the data, which is "позапланово" without a stated number of days.
_ON_UPDATE_RE = re.compile(
    r"^(та|і|й|,)?(вміруоновлення(даних|інформації)?|в?уразі(внесення|їх)?змін|"
    r"післявнесеннязмін|призміні|призмінах|відразупісляоновлення|післяоновлення|"
    r"увипадкузмін)"
)
_ON_CHANGE_RE = re.compile(
    r"^(та|і|й|,)?(позапланово)?\(?((протягом|впродовж)(?P<n>\d+|[а-яіїєґ’]+)робоч(их|ого)дн(ів|я)"
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
    if match := _ON_UPDATE_RE.match(rest):
        unscheduled = True
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


# --- The portal's update_frequency -------------------------------------------------------------


class UpdateFrequency(enum.StrEnum):
    """The `update_frequency` values of the data.gov.ua CKAN schema."""

    MORE_THAN_DAILY = "more than once a day"
    DAILY = "once a day"
    WEEKLY = "once a week"
    MONTHLY = "once a month"
    QUARTERLY = "once a quarter"
    SEMIANNUAL = "once a half year"
    ANNUAL = "once a year"
    ON_CHANGE = "immediately after making changes"
    UNSCHEDULED = "unscheduled"


UPDATE_FREQUENCY_LABELS = {
    UpdateFrequency.MORE_THAN_DAILY: "більше одного разу на день",
    UpdateFrequency.DAILY: "щодня",
    UpdateFrequency.WEEKLY: "щотижня",
    UpdateFrequency.MONTHLY: "щомісяця",
    UpdateFrequency.QUARTERLY: "щокварталу",
    UpdateFrequency.SEMIANNUAL: "щопівроку",
    UpdateFrequency.ANNUAL: "щороку",
    UpdateFrequency.ON_CHANGE: "відразу після внесення змін",
    UpdateFrequency.UNSCHEDULED: "позапланово",
}
_FREQUENCY_OF_BASE = {
    BasePeriod.DAILY: UpdateFrequency.DAILY,
    BasePeriod.WEEKLY: UpdateFrequency.WEEKLY,
    BasePeriod.MONTHLY: UpdateFrequency.MONTHLY,
    BasePeriod.QUARTERLY: UpdateFrequency.QUARTERLY,
    BasePeriod.SEMIANNUAL: UpdateFrequency.SEMIANNUAL,
    BasePeriod.ANNUAL: UpdateFrequency.ANNUAL,
}
_FREQUENCY_BY_TEXT = {
    **{f.value: f for f in UpdateFrequency},
    **{label: f for f, label in UPDATE_FREQUENCY_LABELS.items()},
    "once a half-year": UpdateFrequency.SEMIANNUAL,
    "once a halfyear": UpdateFrequency.SEMIANNUAL,
    "щоквартально": UpdateFrequency.QUARTERLY,
    "щомісячно": UpdateFrequency.MONTHLY,
    "щорічно": UpdateFrequency.ANNUAL,
}


def to_update_frequency(periodicity: Periodicity) -> UpdateFrequency:
    """The portal value for a periodicity: its base period wins over 'on change'."""
    if periodicity.base is not None:
        return _FREQUENCY_OF_BASE[periodicity.base]
    if periodicity.unscheduled and periodicity.on_change_days is not None:
        return UpdateFrequency.ON_CHANGE
    return UpdateFrequency.UNSCHEDULED


def parse_update_frequency(value: str | None) -> UpdateFrequency | None:
    """A portal's update_frequency as read from CKAN; None when absent or not a known value."""
    if not value:
        return None
    return _FREQUENCY_BY_TEXT.get(" ".join(value.casefold().split()))


# --- Due dates: calendar periods and Monday–Friday working days ----------------------------------

_MONTHS_OF_BASE = {
    BasePeriod.MONTHLY: 1,
    BasePeriod.QUARTERLY: 3,
    BasePeriod.SEMIANNUAL: 6,
    BasePeriod.ANNUAL: 12,
}


def is_working_day(day: date) -> bool:
    """Monday to Friday (public holidays are suspended under martial law, so none are kept)."""
    return day.weekday() < 5


def next_working_day(day: date) -> date:
    """The day itself if it is a working day, else the following Monday."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The date `count` working days after `day` (the day itself is not counted)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; 0 when end is not after start."""
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_end(base: BasePeriod, day: date) -> date:
    """The last day of the calendar period (week, month, quarter, half-year, year) holding day."""
    if base == BasePeriod.DAILY:
        return day
    if base == BasePeriod.WEEKLY:
        return day + timedelta(days=6 - day.weekday())
    months = _MONTHS_OF_BASE[base]
    last_month = ((day.month - 1) // months + 1) * months
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def _advance(base: BasePeriod, day: date) -> date:
    if base == BasePeriod.DAILY:
        return day + timedelta(days=1)
    if base == BasePeriod.WEEKLY:
        return day + timedelta(days=7)
    return add_months(day, _MONTHS_OF_BASE[base])


@dataclass(frozen=True)
class Deadline:
    """When the next update is due; overdue days count working days when `working_days`."""

    due_on: date
    working_days: bool = False

    def overdue_days(self, today: date) -> int:
        """0 when on time, else the days (or working days) past the due date."""
        if today <= self.due_on:
            return 0
        if self.working_days:
            return working_days_between(self.due_on, today)
        return (today - self.due_on).days


def next_deadline(
    periodicity: Periodicity, *, last_update: date, changed_on: date | None = None
) -> Deadline | None:
    """The most binding deadline after the last update; None when nothing makes one due.

    A base period without a lag is due one period after the last update; with a lag ("within
    35 days after the quarter ends") the last update is taken to cover the previous period, so
    the period holding it is due `lag` days after it ends. Calendar deadlines that fall on a
    weekend move to Monday. "On change within N working days" is due N working days after a
    known change of the source data made after the last update.
    """
    deadlines: list[Deadline] = []
    base = periodicity.base
    if base is not None:
        if periodicity.lag_days is not None:
            due = period_end(base, last_update) + timedelta(days=periodicity.lag_days)
        else:
            due = _advance(base, last_update)
        deadlines.append(Deadline(next_working_day(due)))
    if (
        periodicity.unscheduled
        and periodicity.on_change_days is not None
        and changed_on is not None
        and changed_on > last_update
    ):
        deadlines.append(
            Deadline(add_working_days(changed_on, periodicity.on_change_days), working_days=True)
        )
    return min(deadlines, key=lambda d: d.due_on) if deadlines else None
