"""What is published: portal snapshots, matching datasets to the register, manual entries."""

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.actor import Actor
from models.errors import Invalid, NotFound
from models.publication import (
    DatasetMatch,
    ManualPublication,
    MatchMethod,
    PortalSnapshot,
    PortalSource,
    PublicationState,
    PublishedDataset,
    PublishedResource,
    SnapshotStatus,
)
from models.register import RegisterEntry
from models.services.events import record_event
from models.services.register import list_register

_NOISE = re.compile(r"[\"'«»„“”‘’`.,;:!?()\[\]{}\-–—_/\\]+")

# Titles this similar (difflib ratio over normalized names) are proposed for confirmation.
NAME_MATCH_RATIO = 0.9


def normalize_title(title: str) -> str:
    """A comparison key for titles: case, quotes, punctuation and spacing do not matter."""
    return " ".join(_NOISE.sub(" ", title.casefold()).split())


@dataclass(frozen=True)
class PortalResource:
    """A resource as the portal describes it."""

    name: str
    format: str
    url: str | None
    last_modified: datetime | None


@dataclass(frozen=True)
class PortalDataset:
    """A dataset (CKAN package) as the portal describes it."""

    portal_id: str
    name: str
    title: str
    url: str | None
    private: bool
    metadata_modified: datetime | None
    update_frequency: str | None
    resources: list[PortalResource] = field(default_factory=list)


def set_portal_source(
    session: Session, *, organization_id: int, portal_url: str, portal_organization: str
) -> PortalSource:
    """Say where the holder publishes (one portal organization per holder)."""
    source = get_portal_source(session, organization_id=organization_id)
    if source is None:
        source = PortalSource(organization_id=organization_id)
        session.add(source)
    source.portal_url = portal_url.rstrip("/")
    source.portal_organization = portal_organization
    session.flush()
    return source


def get_portal_source(session: Session, *, organization_id: int) -> PortalSource | None:
    """The holder's portal, if set."""
    return session.scalar(
        select(PortalSource).where(PortalSource.organization_id == organization_id)
    )


def record_snapshot(
    session: Session,
    *,
    organization_id: int,
    taken_at: datetime,
    portal_url: str,
    portal_organization: str,
    private_included: bool,
    datasets: list[PortalDataset],
) -> PortalSnapshot:
    """Store a successful reading of the portal with its datasets and resources."""
    snapshot = PortalSnapshot(
        organization_id=organization_id,
        taken_at=taken_at,
        portal_url=portal_url,
        portal_organization=portal_organization,
        status=SnapshotStatus.OK,
        private_included=private_included,
        dataset_count=len(datasets),
    )
    session.add(snapshot)
    session.flush()
    for item in datasets:
        dataset = PublishedDataset(
            snapshot_id=snapshot.id,
            portal_id=item.portal_id,
            name=item.name,
            title=item.title,
            url=item.url,
            private=item.private,
            metadata_modified=item.metadata_modified,
            update_frequency=item.update_frequency,
        )
        session.add(dataset)
        session.flush()
        session.add_all(
            PublishedResource(
                dataset_id=dataset.id,
                name=r.name,
                format=r.format,
                url=r.url,
                last_modified=r.last_modified,
            )
            for r in item.resources
        )
    session.flush()
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=None,
        action="portal.snapshot",
        at=taken_at,
        details={"snapshot": snapshot.id, "datasets": len(datasets)},
    )
    return snapshot


def record_failed_snapshot(
    session: Session,
    *,
    organization_id: int,
    taken_at: datetime,
    portal_url: str,
    portal_organization: str,
    error: str,
) -> PortalSnapshot:
    """Store a failed attempt with its message; the previous good snapshot stays in use."""
    snapshot = PortalSnapshot(
        organization_id=organization_id,
        taken_at=taken_at,
        portal_url=portal_url,
        portal_organization=portal_organization,
        status=SnapshotStatus.FAILED,
        error=error,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def latest_snapshot(
    session: Session, *, organization_id: int, as_of: datetime | None = None
) -> PortalSnapshot | None:
    """The newest successful snapshot (taken no later than `as_of`), datasets loaded."""
    query = select(PortalSnapshot).where(
        PortalSnapshot.organization_id == organization_id,
        PortalSnapshot.status == SnapshotStatus.OK,
    )
    if as_of is not None:
        query = query.where(PortalSnapshot.taken_at <= as_of)
    return session.scalar(
        query.options(
            selectinload(PortalSnapshot.datasets).selectinload(PublishedDataset.resources)
        )
        .order_by(PortalSnapshot.taken_at.desc(), PortalSnapshot.id.desc())
        .limit(1)
    )


def list_snapshots(session: Session, *, organization_id: int) -> list[PortalSnapshot]:
    """Every attempt, newest first."""
    return list(
        session.scalars(
            select(PortalSnapshot)
            .where(PortalSnapshot.organization_id == organization_id)
            .order_by(PortalSnapshot.taken_at.desc(), PortalSnapshot.id.desc())
        )
    )


def _links_to(entry: RegisterEntry, dataset: PublishedDataset) -> bool:
    if not entry.portal_url:
        return False
    slug = entry.portal_url.rstrip("/").rsplit("/", 1)[-1]
    return slug in (dataset.name, dataset.portal_id)


@dataclass(frozen=True)
class MatchProposal:
    """A register entry and the dataset proposed for it."""

    entry_number: int
    entry_name: str
    portal_id: str
    title: str
    method: MatchMethod
    confirmed: bool


def match_datasets(
    session: Session, *, organization_id: int, snapshot_id: int, now: datetime
) -> list[MatchProposal]:
    """Tie unmatched entries to datasets: a stored link is certain, a name match awaits an auditor.

    Each dataset goes to at most one entry; confirmed matches are never changed here.
    """
    snapshot = session.scalars(
        select(PortalSnapshot)
        .where(PortalSnapshot.id == snapshot_id)
        .options(selectinload(PortalSnapshot.datasets))
        .execution_options(populate_existing=True)
    ).one()
    entries = list_register(session, organization_id=organization_id)
    matches = {
        m.register_entry_id: m
        for m in session.scalars(
            select(DatasetMatch).where(DatasetMatch.register_entry_id.in_([e.id for e in entries]))
        )
    }
    taken = {m.portal_id for m in matches.values()}
    proposals: list[MatchProposal] = []
    titles = {d.portal_id: normalize_title(d.title) for d in snapshot.datasets}
    for entry in entries:
        if entry.id in matches and matches[entry.id].confirmed:
            continue
        free = [d for d in snapshot.datasets if d.portal_id not in taken]
        linked = next((d for d in free if _links_to(entry, d)), None)
        method, dataset = MatchMethod.LINK, linked
        if dataset is None:
            wanted = normalize_title(entry.name)
            scored = [
                (difflib.SequenceMatcher(None, wanted, titles[d.portal_id]).ratio(), d)
                for d in free
            ]
            best = max(scored, key=lambda pair: pair[0], default=None)
            if best is None or best[0] < NAME_MATCH_RATIO:
                continue
            method, dataset = MatchMethod.NAME, best[1]
        match = matches.get(entry.id) or DatasetMatch(register_entry_id=entry.id)
        match.portal_id = dataset.portal_id
        match.method = method
        match.confirmed = method == MatchMethod.LINK
        match.confirmed_by = "portal-link" if match.confirmed else None
        match.confirmed_at = now if match.confirmed else None
        session.add(match)
        taken.add(dataset.portal_id)
        proposals.append(
            MatchProposal(
                entry.number, entry.name, dataset.portal_id, dataset.title, method, match.confirmed
            )
        )
    session.flush()
    return proposals


def get_entry(session: Session, *, organization_id: int, number: int) -> RegisterEntry:
    """A register entry by its number within the holder's register."""
    entry = session.scalar(
        select(RegisterEntry).where(
            RegisterEntry.organization_id == organization_id, RegisterEntry.number == number
        )
    )
    if entry is None:
        raise NotFound(f"Рядок реєстру № {number} не знайдено.")
    return entry


def confirm_match(
    session: Session,
    *,
    organization_id: int,
    number: int,
    portal_id: str,
    actor: Actor,
    now: datetime,
) -> DatasetMatch:
    """An auditor confirms (or sets) the dataset of an entry."""
    entry = get_entry(session, organization_id=organization_id, number=number)
    match = session.scalar(select(DatasetMatch).where(DatasetMatch.register_entry_id == entry.id))
    if match is None or match.portal_id != portal_id:
        snapshot = latest_snapshot(session, organization_id=organization_id)
        known = {d.portal_id for d in snapshot.datasets} if snapshot else set()
        if portal_id not in known:
            raise Invalid(
                "Набір з таким ідентифікатором не знайдено на порталі.", field="portal_id"
            )
        match = match or DatasetMatch(register_entry_id=entry.id)
        match.portal_id = portal_id
        match.method = MatchMethod.MANUAL
        session.add(match)
    match.confirmed = True
    match.confirmed_by = actor.label
    match.confirmed_at = now
    session.flush()
    return match


def remove_match(session: Session, *, organization_id: int, number: int) -> None:
    """Drop a wrong match (the entry becomes unmatched)."""
    entry = get_entry(session, organization_id=organization_id, number=number)
    match = session.scalar(select(DatasetMatch).where(DatasetMatch.register_entry_id == entry.id))
    if match is None:
        raise NotFound(f"Рядок реєстру № {number} не зіставлено з набором.")
    session.delete(match)
    session.flush()


def add_manual_publication(
    session: Session,
    *,
    organization_id: int,
    number: int,
    observed_on: date,
    state: PublicationState,
    last_updated_on: date | None,
    formats: str,
    url: str | None,
    source_changed_on: date | None,
    note: str,
    actor: Actor,
) -> ManualPublication:
    """Record an entry's state as an auditor saw it (holders not on a portal, or corrections)."""
    entry = get_entry(session, organization_id=organization_id, number=number)
    if last_updated_on is not None and last_updated_on > observed_on:
        raise Invalid(
            "Дата оновлення не може бути пізнішою за дату перевірки.", field="last_updated_on"
        )
    record = ManualPublication(
        register_entry_id=entry.id,
        observed_on=observed_on,
        state=state,
        last_updated_on=last_updated_on,
        formats=formats,
        url=url,
        source_changed_on=source_changed_on,
        note=note,
        recorded_by=actor.label,
    )
    session.add(record)
    session.flush()
    return record


def manual_states(
    session: Session, *, organization_id: int, as_of: date
) -> dict[int, ManualPublication]:
    """Per register entry id, the newest manual record observed on or before `as_of`."""
    rows = session.scalars(
        select(ManualPublication)
        .join(RegisterEntry, RegisterEntry.id == ManualPublication.register_entry_id)
        .where(
            RegisterEntry.organization_id == organization_id,
            ManualPublication.observed_on <= as_of,
        )
        .order_by(ManualPublication.observed_on, ManualPublication.id)
    )
    return {row.register_entry_id: row for row in rows}


def confirmed_matches(session: Session, *, organization_id: int) -> dict[int, str]:
    """Per register entry id, the portal id of its confirmed dataset."""
    rows = session.execute(
        select(DatasetMatch.register_entry_id, DatasetMatch.portal_id)
        .join(RegisterEntry, RegisterEntry.id == DatasetMatch.register_entry_id)
        .where(RegisterEntry.organization_id == organization_id, DatasetMatch.confirmed)
    ).tuples()
    return {entry_id: portal_id for entry_id, portal_id in rows}
