"""The demo's publication state: the seed's per-unit figures recorded as auditors' manual entries.

The demo has no network, so instead of a portal snapshot each register row gets a manual record.
Which rows are the published ones, their update dates and formats are invented (see the note in
kalush.yaml); the per-unit counts are the seed's.
"""

import itertools
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


def _take(rows: list[int], weight: dict[int, int], total: int) -> list[int] | None:
    """The first rows (by number) whose weights add up to exactly `total`."""
    taken, sum_ = [], 0
    for number in rows:
        if sum_ + weight[number] <= total:
            taken.append(number)
            sum_ += weight[number]
    return taken if sum_ == total else None


def _states(rows: list[dict[str, Any]], figures: list[dict[str, Any]]) -> dict[int, str]:
    """Which rows are published and which private, so that each of the seed's unit figures
    holds with an entry counted for every unit it belongs to (as the report counts them; the
    seed's "охорони здоров'я" line adds up its four enterprises).

    A row shared by several figures is decided first (tried in every combination); then each
    figure's own rows are taken by number: the published ones first, the private among them.
    """
    groups = [set(f["names"]) for f in figures]
    weights = [{r["number"]: len(names & set(r["units"])) for r in rows} for names in groups]
    owners = {r["number"]: [g for g in range(len(groups)) if weights[g][r["number"]]] for r in rows}
    shared = [n for n, o in owners.items() if len(o) > 1]
    own = {g: [n for n, o in owners.items() if o == [g]] for g in range(len(groups))}
    for choice in itertools.product(("missing", "published", "private"), repeat=len(shared)):
        states = dict(zip(shared, choice, strict=True))
        for g, figure in enumerate(figures):
            w = weights[g]
            done = [(states[n], w[n]) for n in shared if g in owners[n]]
            published = figure["published"] - sum(k for x, k in done if x != "missing")
            private = figure["private"] - sum(k for x, k in done if x == "private")
            chosen = _take(own[g], w, published) if published >= 0 else None
            hidden = _take(chosen, w, private) if chosen is not None and private >= 0 else None
            if chosen is None or hidden is None:
                break
            states.update({n: "private" if n in hidden else "published" for n in chosen})
        else:
            return states
    raise ValueError("the seed's publication figures cannot all hold")


def publication_records(seed: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(register number, manual entry body) for every register row of the seed."""
    section = seed["publication"]
    observed_on = date.fromisoformat(str(section["observed_on"]))
    rows = sorted(seed["register"], key=lambda r: r["number"])
    states = _states(rows, section["units"])
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
