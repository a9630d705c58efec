"""Portal matching benchmark: 5,000 register entries against 5,000 portal datasets, on SQLite.

Builds the schema (Alembic) in a temporary SQLite file, a holder with 60 units (a tenth of them
publishing as their own portal organization, as Ivano-Frankivsk's enterprises do) and N
register entries, then times what the `portal_snapshot` flow does after reading the portal
(`store_and_match`: datasets and resources stored in batches, matched with rapidfuzz over an
index per organization, proposals written in batches). Every write transaction is timed from
its first write statement to its commit (how long it holds SQLite's write lock).

The baseline is the previous code: pairwise difflib over every free dataset for each entry, in
the one transaction that also stored the snapshot (it held the lock throughout). It takes
minutes at this size, so it is measured on the first `--sample` entries against all datasets
and extrapolated linearly (said so in the JSON). Target: seconds ≤ 10, longest_write_s ≤ 1.

    python bench/portal_match.py [--n 5000] [--sample 200]
"""

import argparse
import difflib
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.lifetime import start_reaper, stop_on_signals  # noqa: E402

TMP = tempfile.TemporaryDirectory()
DB_URL = f"sqlite:///{TMP.name}/portal_match.db"
os.environ["INFOAUDIT_DATABASE_URL"] = DB_URL  # before the settings are first read

from sqlalchemy import event, insert, text  # noqa: E402

from flows.portal_snapshot import store_and_match  # noqa: E402
from models.db import get_engine, session_scope  # noqa: E402
from models.migrate import upgrade_database  # noqa: E402
from models.organization import Organization, Unit  # noqa: E402
from models.publication import PortalSnapshot, PortalSource, SnapshotStatus  # noqa: E402
from models.register import RegisterEntry, register_entry_unit  # noqa: E402
from models.services.matching import normalize_title  # noqa: E402
from models.services.publication import PortalDataset, PortalResource  # noqa: E402

SUBJECTS = (
    "Звіт про виконання бюджету",
    "Перелік об’єктів комунальної власності",
    "Фінансова звітність",
    "Реєстр договорів оренди",
    "Мережа закладів освіти",
    "Розклад руху громадського транспорту",
    "Перелік земельних ділянок",
    "Адміністративні послуги",
    "Паспорти бюджетних програм",
    "Дані про споживання енергоресурсів",
    "Перелік розпорядчих документів",
    "Штатний розпис",
)
YEARS = range(2018, 2026)
NOW = datetime(2024, 10, 1, 9, tzinfo=UTC)


def titles(n: int, units: list[str]) -> list[tuple[str, int]]:
    """N distinct entry titles with the index of their unit."""
    out: list[tuple[str, int]] = []
    k = 0
    while len(out) < n:
        subject = SUBJECTS[k % len(SUBJECTS)]
        unit = (k // len(SUBJECTS)) % len(units)
        year = YEARS[(k // (len(SUBJECTS) * len(units))) % len(YEARS)]
        part = k // (len(SUBJECTS) * len(units) * len(YEARS))
        suffix = f" (частина {part + 1})" if part else ""
        out.append((f"{subject} – {units[unit]}, {year} рік{suffix}", unit))
        k += 1
    return out


def populate(n: int) -> tuple[int, int, list[PortalDataset], list[tuple[int, str]]]:
    """The holder, units, register and a requested snapshot; the portal's datasets in memory."""
    rng = random.Random(14)
    unit_names = [f"Підрозділ № {i}" for i in range(1, 61)]
    own = {i: f"unit-org-{i}" for i in range(0, 60, 10)}  # six units with their own organization
    with session_scope() as session:
        organization = Organization(name="Бенчмаркова міська рада")
        session.add(organization)
        session.flush()
        units = [Unit(organization_id=organization.id, name=name) for name in unit_names]
        session.add_all(units)
        session.add(
            PortalSource(
                organization_id=organization.id,
                portal_url="https://data.gov.ua",
                portal_organization="bench-rada",
            )
        )
        session.flush()
        org_id, unit_ids = organization.id, [u.id for u in units]
        snapshot = PortalSnapshot(
            organization_id=org_id,
            taken_at=NOW,
            portal_url="https://data.gov.ua",
            portal_organization="bench-rada",
            status=SnapshotStatus.RUNNING,
        )
        session.add(snapshot)
        session.flush()
        snapshot_id = snapshot.id
    entries = titles(n, unit_names)
    with get_engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO unit_portal_organization (unit_id, portal_organization) "
                "VALUES (:unit, :name)"
            ),
            [{"unit": unit_ids[i], "name": name} for i, name in own.items()],
        )
        rows = [
            {
                "id": k + 1,
                "organization_id": org_id,
                "number": k + 1,
                "name": title,
                "period_base": "annual",
                "portal_url": f"https://data.gov.ua/dataset/ds-{k}" if k % 10 == 0 else None,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for k, (title, _unit) in enumerate(entries)
        ]
        connection.execute(insert(RegisterEntry), rows)
        connection.execute(
            insert(register_entry_unit),
            [{"entry_id": k + 1, "unit_id": unit_ids[u]} for k, (_t, u) in enumerate(entries)],
        )
    datasets: list[PortalDataset] = []
    for k, (title, unit) in enumerate(entries):
        kind = rng.random()
        if kind < 0.6:
            shown = title.upper() if k % 3 == 0 else title.replace("–", "-")  # the same title
        elif kind < 0.8:
            shown = title.replace(" рік", " р.")  # close: proposed by similarity
        else:
            shown = f"Інший набір № {k} відділу статистики"  # not in the register
        datasets.append(
            PortalDataset(
                portal_id=f"id-{k:05d}",
                name=f"ds-{k}",
                title=shown,
                url=f"https://data.gov.ua/dataset/ds-{k}",
                private=False,
                metadata_modified=NOW,
                update_frequency="once a year",
                resources=[PortalResource("2024", "CSV", None, NOW, downloads=k % 50)],
                portal_organization=own.get(unit),
                views_total=k % 300,
                views_recent=k % 30,
            )
        )
    rng.shuffle(datasets)
    return org_id, snapshot_id, datasets, [(k + 1, t) for k, (t, _u) in enumerate(entries)]


class WriteTimer:
    """How long each transaction held the write lock: first write statement → commit."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self.durations: list[float] = []
        engine = get_engine()
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "commit", self.commit)
        event.listen(engine, "rollback", self.rollback)

    def before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Note the first write of a transaction."""
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.started.setdefault(id(conn), time.perf_counter())

    def commit(self, conn: Any) -> None:
        """A writing transaction ends."""
        started = self.started.pop(id(conn), None)
        if started is not None:
            self.durations.append(time.perf_counter() - started)

    def rollback(self, conn: Any) -> None:
        """A transaction that did not commit held nothing worth counting."""
        self.started.pop(id(conn), None)


def difflib_baseline(entries: list[tuple[int, str]], datasets: list[PortalDataset]) -> float:
    """The previous pairwise matching (per entry, every free dataset) on these entries, s."""
    started = time.perf_counter()
    titles_by_id = {d.portal_id: normalize_title(d.title) for d in datasets}
    taken: set[str] = set()
    for _number, name in entries:
        wanted = normalize_title(name)
        free = [d for d in datasets if d.portal_id not in taken]
        scored = [
            (difflib.SequenceMatcher(None, wanted, titles_by_id[d.portal_id]).ratio(), d)
            for d in free
        ]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best is not None and best[0] >= 0.9:
            taken.add(best[1].portal_id)
    return time.perf_counter() - started


def main() -> None:
    """Build the data, run the matching and the baseline, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    stop_on_signals()  # killed or failed: nothing it started outlives it (api.lifetime)
    start_reaper()
    upgrade_database(DB_URL)
    org_id, snapshot_id, datasets, entries = populate(args.n)
    timer = WriteTimer()
    started = time.perf_counter()
    outcome = store_and_match(org_id, snapshot_id, datasets, now=NOW, private_included=False)
    seconds = time.perf_counter() - started
    with session_scope() as session:
        snapshot = session.get(PortalSnapshot, snapshot_id)
        assert snapshot is not None
        assert outcome.ok, outcome.message
        proposed, waiting = snapshot.proposed, snapshot.waiting
    sample = entries[: args.sample]
    sampled = difflib_baseline(sample, datasets)
    baseline = sampled * len(entries) / len(sample)
    print(
        json.dumps(
            {
                "bench": "portal_match",
                "database": "sqlite",
                "entries": len(entries),
                "datasets": len(datasets),
                "proposed": proposed,
                "confirmed_by_link": proposed - waiting,
                "awaiting_auditor": waiting,
                "seconds": round(seconds, 3),
                "write_transactions": len(timer.durations),
                "longest_write_s": round(max(timer.durations), 3),
                "baseline_seconds": round(baseline, 1),
                "baseline_sampled_entries": len(sample),
                "baseline_extrapolated": len(sample) < len(entries),
                "baseline_longest_write_s": round(baseline, 1),  # one transaction throughout
                "ratio": round(seconds / baseline, 4),  # seconds / baseline_seconds
                "target_met": seconds <= 10 and max(timer.durations) <= 1,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    TMP.cleanup()


if __name__ == "__main__":
    main()
