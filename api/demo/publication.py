"""The demo's publication state: the seed's per-unit figures recorded as auditors' manual entries.

The demo has no network, so instead of a portal snapshot each register row gets a manual record.
Which rows are the published ones, their update dates and formats are invented (see the note in
kalush.yaml); the per-unit counts are the seed's.
"""

from datetime import date, timedelta
from typing import Any

from models.periodicity import BasePeriod, parse_periodicity, split_note

# Before the full-scale invasion: datasets restricted since then have not been updated (seed 000
# says the periodicity is kept "except for datasets withdrawn from public access").
RESTRICTED_SINCE = date(2022, 2, 20)
# How long before the observation an on-time dataset was last updated, per base period.
_AGE_DAYS = {
    BasePeriod.DAILY: 0,
    BasePeriod.WEEKLY: 2,
    BasePeriod.MONTHLY: 5,
    BasePeriod.QUARTERLY: 50,
    BasePeriod.SEMIANNUAL: 80,
    BasePeriod.ANNUAL: 200,
}


def _last_update(phrase: str, observed_on: date, private: bool) -> date:
    if private:
        return RESTRICTED_SINCE
    base = parse_periodicity(split_note(phrase)[0]).base
    return observed_on - timedelta(days=_AGE_DAYS[base] if base else 30)


def publication_records(seed: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(register number, manual entry body) for every register row of the seed."""
    section = seed["publication"]
    observed_on = date.fromisoformat(str(section["observed_on"]))
    rows = sorted(seed["register"], key=lambda r: r["number"])
    states: dict[int, str] = {}
    for figure in section["units"]:
        names = set(figure["names"])
        mine = [r["number"] for r in rows if names & set(r["units"]) and r["number"] not in states]
        published = mine[: figure["published"]]
        for index, number in enumerate(published):
            states[number] = "private" if index < figure["private"] else "published"
    records = []
    for row in rows:
        state = states.get(row["number"], "missing")
        body: dict[str, Any] = {"state": state, "observed_on": str(observed_on)}
        if state != "missing":
            # Financial statements keep the approved XLS forms (seed 000); the rest are CSV.
            body["formats"] = ["XLS"] if "фінансов" in row["name"].casefold() else ["CSV"]
            body["last_updated_on"] = str(
                _last_update(row["periodicity"], observed_on, state == "private")
            )
        records.append((row["number"], body))
    return records
