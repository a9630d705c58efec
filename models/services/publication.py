"""What is published: portal snapshots, matching datasets to the register, manual entries."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select
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
from models.services.rejected_matches import lift_rejection


@dataclass(frozen=True)
class PortalResource:
    """A resource as the portal describes it."""

    name: str
    format: str
    url: str | None
    last_modified: datetime | None
    downloads: int | None = None  # CKAN's tracking summary of the resource, when exposed


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
    portal_organization: str | None = None  # a unit's own organization; None: the holder's
    moderation: bool = False  # awaiting the portal's moderation
    views_total: int | None = None  # CKAN's tracking summary, when exposed
    views_recent: int | None = None

    @property
    def downloads(self) -> int | None:
        """Downloads of all its resources, when the portal counts them."""
        counts = [r.downloads for r in self.resources if r.downloads is not None]
        return sum(counts) if counts else None


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
    store_datasets(session, snapshot_id=snapshot.id, datasets=datasets)
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=None,
        action="portal.snapshot",
        at=taken_at,
        details={"snapshot": snapshot.id, "datasets": len(datasets)},
    )
    return snapshot


def store_datasets(session: Session, *, snapshot_id: int, datasets: list[PortalDataset]) -> None:
    """Add datasets and their resources to a snapshot (one batch of them)."""
    if not datasets:
        return
    rows = [
        {
            "snapshot_id": snapshot_id,
            "portal_id": item.portal_id,
            "name": item.name,
            "title": item.title,
            "url": item.url,
            "private": item.private,
            "metadata_modified": item.metadata_modified,
            "update_frequency": item.update_frequency,
            "portal_organization": item.portal_organization,
            "moderation": item.moderation,
            "views_total": item.views_total,
            "views_recent": item.views_recent,
            "downloads_total": item.downloads,
        }
        for item in datasets
    ]
    # Core inserts (not ORM objects): a batch of hundreds holds the write lock for milliseconds.
    ids = session.scalars(
        insert(PublishedDataset).returning(PublishedDataset.id, sort_by_parameter_order=True),
        rows,
    ).all()
    resources = [
        {
            "dataset_id": dataset_id,
            "name": r.name,
            "format": r.format,
            "url": r.url,
            "last_modified": r.last_modified,
        }
        for dataset_id, item in zip(ids, datasets, strict=True)
        for r in item.resources
    ]
    if resources:
        session.execute(insert(PublishedResource), resources)


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
    """An auditor confirms (or sets) the dataset of an entry; a rejection of the pair is lifted."""
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
    lift_rejection(session, organization_id=organization_id, entry_id=entry.id, portal_id=portal_id)
    session.flush()
    return match


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
