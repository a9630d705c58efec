"""The injectable clock: "now" for deadlines comes from here, so tests and the demo can move it."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")


class Clock(Protocol):
    """Anything that tells the current aware time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until moved (tests, the demo, `--now`)."""

    current: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The time the clock was set to."""
        return self.current

    def set(self, when: datetime) -> None:
        """Move the clock."""
        self.current = when


def local_date(moment: datetime) -> date:
    """The calendar date in Kyiv at that moment (stage dates are Kyiv dates)."""
    return moment.astimezone(KYIV).date()


def start_of_day(day: date) -> datetime:
    """Midnight in Kyiv at the start of that day, as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=KYIV)


def parse_now(text: str) -> datetime:
    """Parse a `--now` value: an ISO date (taken as noon in Kyiv) or an ISO datetime."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12, 0), tzinfo=KYIV)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"Невірна дата або час: «{text}». Очікується РРРР-ММ-ДД.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=KYIV)
