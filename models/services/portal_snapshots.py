"""Portal snapshots as requests with progress, the units' own portal organizations, and
matching written in short batches (so a snapshot never holds the database's write lock long).

The flow (flows/portal_snapshot.py) calls these one short transaction at a time.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.actor import SYSTEM, Actor
from models.errors import Conflict, Invalid, NotFound
from models.organization import Unit
from models.publication import (
    SNAPSHOT_STATUS_LABELS,
    DatasetMatch,
    PortalSnapshot,
    PublishedDataset,
    SnapshotStatus,
    UnitPortalOrganization,
)
from models.register import RegisterEntry, register_entry_unit
from models.services.events import record_event
from models.services.matching import DatasetKey, EntryKey, Proposal, propose_matches
from models.services.publication import get_portal_source
from models.services.rejected_matches import rejected_pairs

BATCH = 500  # rows per write transaction: each stays well under a second
STALE_AFTER = timedelta(hours=1)  # a request still "running" this long was cut short
MAX_PORTAL_ORGANIZATIONS = 20

T = TypeVar("T")


def batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    """The items in consecutive slices of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def set_unit_portal_organizations(
    session: Session,
    *,
    organization_id: int,
    unit_id: int,
    names: list[str],
    actor: Actor,
    now: datetime,
) -> list[str]:
    """Say under which portal organization(s) a unit publishes (an empty list: the holder's)."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.organization_id != organization_id:
        raise NotFound("Підрозділ не знайдено.")
    cleaned = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(cleaned) > MAX_PORTAL_ORGANIZATIONS:
        raise Invalid(
            f"Не більше {MAX_PORTAL_ORGANIZATIONS} організацій порталу на підрозділ.",
            field="portal_organizations",
        )
    if any(len(n) > 200 or " " in n for n in cleaned):
        raise Invalid(
            "Ідентифікатор організації на порталі — без пробілів, не довший за 200 символів "
            "(наприклад, kp-zhytlovyk).",
            field="portal_organizations",
        )
    session.execute(delete(UnitPortalOrganization).where(UnitPortalOrganization.unit_id == unit.id))
    session.add_all(UnitPortalOrganization(unit_id=unit.id, portal_organization=n) for n in cleaned)
    session.flush()
    record_event(
        session,
        organization_id=organization_id,
        action="unit.portal_organizations",
        at=now,
        actor=actor,
        details={"unit": unit.id, "portal_organizations": cleaned},
    )
    return cleaned


def unit_portal_organizations(session: Session, *, organization_id: int) -> dict[int, list[str]]:
    """Per unit id, its own portal organizations (units without any are absent)."""
    rows = session.execute(
        select(UnitPortalOrganization.unit_id, UnitPortalOrganization.portal_organization)
        .join(Unit, Unit.id == UnitPortalOrganization.unit_id)
        .where(Unit.organization_id == organization_id)
        .order_by(UnitPortalOrganization.id)
    ).tuples()
    found: dict[int, list[str]] = {}
    for unit_id, name in rows:
        found.setdefault(unit_id, []).append(name)
    return found


def organizations_to_read(session: Session, *, organization_id: int, main: str) -> list[str]:
    """The units' own portal organizations, each once, without the holder's own."""
    names = [
        n
        for ns in unit_portal_organizations(session, organization_id=organization_id).values()
        for n in ns
    ]
    return [n for n in dict.fromkeys(names) if n != main]


def current_snapshot(session: Session, *, organization_id: int) -> PortalSnapshot | None:
    """The newest attempt (requested, running, done or failed)."""
    return session.scalar(
        select(PortalSnapshot)
        .where(PortalSnapshot.organization_id == organization_id)
        .order_by(PortalSnapshot.id.desc())
        .limit(1)
    )


def get_snapshot(session: Session, *, organization_id: int, snapshot_id: int) -> PortalSnapshot:
    """One of the holder's snapshot attempts."""
    found = session.get(PortalSnapshot, snapshot_id)
    if found is None or found.organization_id != organization_id:
        raise NotFound("Знімок порталу не знайдено.")
    return found


def request_snapshot(
    session: Session, *, organization_id: int, actor: Actor, now: datetime
) -> tuple[PortalSnapshot, bool]:
    """Record a request for a snapshot; an unfinished one is returned instead (False: not new)."""
    source = get_portal_source(session, organization_id=organization_id)
    if source is None:
        # A state to change first, not bad input (as for publishing: models/services/portal_jobs).
        raise Conflict(
            "Портал відкритих даних для організації не налаштовано: спершу вкажіть адресу "
            "порталу та організацію на ньому.",
            field="portal",
        )
    current = current_snapshot(session, organization_id=organization_id)
    if current is not None and current.status in (SnapshotStatus.REQUESTED, SnapshotStatus.RUNNING):
        if now - current.taken_at < STALE_AFTER:
            return current, False
        fail_snapshot(
            session,
            snapshot_id=current.id,
            error="Знімок перервано (роботу сервера зупинено); запитано новий.",
            now=now,
        )
    snapshot = PortalSnapshot(
        organization_id=organization_id,
        taken_at=now,
        portal_url=source.portal_url,
        portal_organization=source.portal_organization,
        status=SnapshotStatus.REQUESTED,
    )
    session.add(snapshot)
    session.flush()
    record_event(
        session,
        organization_id=organization_id,
        action="portal.snapshot_requested",
        at=now,
        actor=actor,
        details={"snapshot": snapshot.id},
    )
    return snapshot, True


def set_progress(
    session: Session, *, snapshot_id: int, done: int, total: int | None = None
) -> None:
    """The snapshot is running: `done` of `total` datasets read."""
    values: dict[str, object] = {"status": SnapshotStatus.RUNNING, "progress_done": done}
    if total is not None:
        values["progress_total"] = total
    session.execute(update(PortalSnapshot).where(PortalSnapshot.id == snapshot_id).values(**values))


def fail_snapshot(session: Session, *, snapshot_id: int, error: str, now: datetime) -> None:
    """The attempt failed with a Ukrainian message; the previous good snapshot stays in use."""
    session.execute(
        update(PortalSnapshot)
        .where(PortalSnapshot.id == snapshot_id)
        .values(status=SnapshotStatus.FAILED, error=error, finished_at=now)
    )


def finish_snapshot(
    session: Session,
    *,
    snapshot_id: int,
    datasets: int,
    private_included: bool,
    proposals: list[Proposal],
    now: datetime,
) -> PortalSnapshot:
    """The snapshot is complete: from now on the analysis uses it."""
    snapshot = session.get(PortalSnapshot, snapshot_id, populate_existing=True)
    if snapshot is None:
        raise NotFound("Знімок порталу не знайдено.")
    snapshot.status = SnapshotStatus.OK
    snapshot.dataset_count = datasets
    snapshot.progress_done = snapshot.progress_total = datasets
    snapshot.private_included = private_included
    snapshot.proposed = len(proposals)
    snapshot.waiting = sum(not p.confirmed for p in proposals)
    snapshot.finished_at = now
    session.flush()
    record_event(
        session,
        organization_id=snapshot.organization_id,
        action="portal.snapshot",
        at=now,
        actor=SYSTEM,
        details={"snapshot": snapshot.id, "datasets": datasets, "proposed": len(proposals)},
    )
    return snapshot


def matching_inputs(
    session: Session, *, organization_id: int, snapshot_id: int
) -> tuple[list[EntryKey], list[DatasetKey], set[int], set[str], set[tuple[int, str]]]:
    """The register, the snapshot's datasets, confirmed entries, datasets already tied and the
    rejected (entry id, portal id) pairs."""
    scopes = unit_portal_organizations(session, organization_id=organization_id)
    units: dict[int, set[str]] = {}
    for entry_id, unit_id in session.execute(
        select(register_entry_unit.c.entry_id, register_entry_unit.c.unit_id)
        .join(RegisterEntry, RegisterEntry.id == register_entry_unit.c.entry_id)
        .where(RegisterEntry.organization_id == organization_id)
    ).tuples():
        units.setdefault(entry_id, set()).update(scopes.get(unit_id, ()))
    entries = [
        EntryKey(id, number, name, portal_url, frozenset(units.get(id, ())))
        for id, number, name, portal_url in session.execute(
            select(
                RegisterEntry.id, RegisterEntry.number, RegisterEntry.name, RegisterEntry.portal_url
            )
            .where(RegisterEntry.organization_id == organization_id)
            .order_by(RegisterEntry.number)
        ).tuples()
    ]
    datasets = [
        DatasetKey(*row)
        for row in session.execute(
            select(
                PublishedDataset.portal_id,
                PublishedDataset.name,
                PublishedDataset.title,
                PublishedDataset.portal_organization,
            )
            .where(PublishedDataset.snapshot_id == snapshot_id)
            .order_by(PublishedDataset.id)
        ).tuples()
    ]
    settled: set[int] = set()
    taken: set[str] = set()
    for entry_id, portal_id, confirmed in session.execute(
        select(DatasetMatch.register_entry_id, DatasetMatch.portal_id, DatasetMatch.confirmed)
        .join(RegisterEntry, RegisterEntry.id == DatasetMatch.register_entry_id)
        .where(RegisterEntry.organization_id == organization_id)
    ).tuples():
        taken.add(portal_id)
        if confirmed:
            settled.add(entry_id)
    rejected = rejected_pairs(session, organization_id=organization_id)
    return entries, datasets, settled, taken, rejected


def write_proposals(
    session: Session, *, organization_id: int, proposals: Sequence[Proposal], now: datetime
) -> int:
    """Store one batch of proposals; an entry confirmed or removed meanwhile is left alone, and
    so is a pair rejected meanwhile (matching ran outside any transaction)."""
    ids = [p.entry_id for p in proposals]
    alive = set(session.scalars(select(RegisterEntry.id).where(RegisterEntry.id.in_(ids))))
    rejected = rejected_pairs(session, organization_id=organization_id, entry_ids=ids)
    matches = {
        m.register_entry_id: m
        for m in session.scalars(
            select(DatasetMatch).where(DatasetMatch.register_entry_id.in_(ids))
        )
    }
    written = 0
    for proposal in proposals:
        match = matches.get(proposal.entry_id)
        if proposal.entry_id not in alive or (match is not None and match.confirmed):
            continue
        if (proposal.entry_id, proposal.portal_id) in rejected:
            continue
        match = match or DatasetMatch(register_entry_id=proposal.entry_id)
        match.portal_id = proposal.portal_id
        match.method = proposal.method
        match.confirmed = proposal.confirmed
        match.confirmed_by = "portal-link" if proposal.confirmed else None
        match.confirmed_at = now if proposal.confirmed else None
        session.add(match)
        written += 1
    session.flush()
    return written


def match_datasets(
    session: Session, *, organization_id: int, snapshot_id: int, now: datetime
) -> list[Proposal]:
    """Tie unmatched entries to the snapshot's datasets in one transaction (small registers).

    A stored link is certain, a title awaits an auditor; confirmed matches are never changed.
    """
    entries, datasets, settled, taken, rejected = matching_inputs(
        session, organization_id=organization_id, snapshot_id=snapshot_id
    )
    proposals = propose_matches(entries, datasets, settled=settled, taken=taken, rejected=rejected)
    for batch in batches(proposals):
        write_proposals(session, organization_id=organization_id, proposals=batch, now=now)
    return proposals


def snapshot_status_text(snapshot: PortalSnapshot) -> str:
    """Where a snapshot is, in Ukrainian, for the console and the API."""
    label = SNAPSHOT_STATUS_LABELS[snapshot.status].capitalize()
    if snapshot.status == SnapshotStatus.REQUESTED:
        return f"{label}: знімок чекає на запуск."
    if snapshot.status == SnapshotStatus.RUNNING:
        if not snapshot.progress_total:
            return f"{label}: читаємо перелік наборів даних на порталі…"
        return (
            f"{label}: прочитано наборів даних: {snapshot.progress_done} "
            f"з {snapshot.progress_total}."
        )
    if snapshot.status == SnapshotStatus.FAILED:
        return f"{label}: {snapshot.error or 'причина невідома.'}"
    # "Кількість: N" forms: no plural agreement needed for any N.
    return (
        f"{label}: наборів даних на порталі – {snapshot.dataset_count}; нових зіставлень – "
        f"{snapshot.proposed}, з них чекають підтвердження аудитора – {snapshot.waiting}."
    )
