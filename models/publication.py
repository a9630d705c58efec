"""What the holder actually publishes: portal snapshots, their datasets, matches, manual entries."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped
from models.organization import enum_column


class PublicationState(enum.StrEnum):
    """A register entry's state on the portal."""

    PUBLISHED = "published"
    PRIVATE = "private"  # published in private mode (restricted during martial law)
    MISSING = "missing"
    MODERATION = "moderation"  # submitted, awaiting the portal's moderation: not yet published


PUBLICATION_STATE_LABELS = {
    PublicationState.PUBLISHED: "оприлюднено",
    PublicationState.PRIVATE: "оприлюднено в приватному режимі",
    PublicationState.MISSING: "не оприлюднено",
    PublicationState.MODERATION: "на модерації",
}


class SnapshotStatus(enum.StrEnum):
    """Where a snapshot is: requested, being taken, done, or failed."""

    REQUESTED = "requested"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


SNAPSHOT_STATUS_LABELS = {
    SnapshotStatus.REQUESTED: "запитано",
    SnapshotStatus.RUNNING: "триває",
    SnapshotStatus.OK: "готово",
    SnapshotStatus.FAILED: "не вдалося",
}


class MatchMethod(enum.StrEnum):
    """How a portal dataset was tied to a register entry."""

    LINK = "link"  # the entry's stored portal link names the dataset
    NAME = "name"  # titles match; an auditor confirms
    MANUAL = "manual"  # an auditor chose the dataset


class PortalSource(Timestamped, Base):
    """Where the holder publishes: a CKAN portal and the holder's organization on it."""

    __tablename__ = "portal_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    portal_url: Mapped[str] = mapped_column(String(500))
    portal_organization: Mapped[str] = mapped_column(String(200))  # CKAN id or name
    # The organization's own CKAN API key, sealed (models/portal/tokens.py); it belongs to
    # portal_url's origin and is dropped when the portal moves to another one.
    api_token: Mapped[str | None] = mapped_column(Text)


class UnitPortalOrganization(Base):
    """A unit (or municipal enterprise) publishing as its own organization on the portal."""

    __tablename__ = "unit_portal_organization"
    __table_args__ = (UniqueConstraint("unit_id", "portal_organization"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    portal_organization: Mapped[str] = mapped_column(String(200))  # CKAN id or name


class PortalSnapshot(Timestamped, Base):
    """One reading of the portal; a failed one keeps its error and the previous stays in use."""

    __tablename__ = "portal_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime]
    portal_url: Mapped[str] = mapped_column(String(500))
    portal_organization: Mapped[str] = mapped_column(String(200))
    status: Mapped[SnapshotStatus] = mapped_column(enum_column(SnapshotStatus))
    error: Mapped[str | None] = mapped_column(Text)
    private_included: Mapped[bool] = mapped_column(default=False)
    dataset_count: Mapped[int] = mapped_column(default=0)
    # Progress while running: datasets stored and matched out of those the portal listed.
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    proposed: Mapped[int] = mapped_column(default=0)  # new matches, awaiting an auditor or not
    waiting: Mapped[int] = mapped_column(default=0)  # of them, awaiting an auditor
    finished_at: Mapped[datetime | None]

    datasets: Mapped[list["PublishedDataset"]] = relationship(
        back_populates="snapshot", lazy="raise", order_by="PublishedDataset.id"
    )


class PublishedDataset(Base):
    """A CKAN package as read in one snapshot."""

    __tablename__ = "published_dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("portal_snapshot.id", ondelete="CASCADE"), index=True
    )
    portal_id: Mapped[str] = mapped_column(String(100))  # CKAN package id, stable over time
    name: Mapped[str] = mapped_column(String(200))  # CKAN package name (the URL slug)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    private: Mapped[bool] = mapped_column(default=False)
    metadata_modified: Mapped[datetime | None]
    update_frequency: Mapped[str | None] = mapped_column(String(100))  # raw portal value
    # The portal organization it was read from: a unit's own, or the holder's (None).
    portal_organization: Mapped[str | None] = mapped_column(String(200))
    moderation: Mapped[bool] = mapped_column(default=False)  # awaiting the portal's moderation
    # CKAN's tracking summary (None: the portal does not expose it); downloads = resources'.
    views_total: Mapped[int | None]
    views_recent: Mapped[int | None]
    downloads_total: Mapped[int | None]

    snapshot: Mapped[PortalSnapshot] = relationship(back_populates="datasets", lazy="raise")
    resources: Mapped[list["PublishedResource"]] = relationship(
        back_populates="dataset", lazy="raise", order_by="PublishedResource.id"
    )


class PublishedResource(Base):
    """A file or API endpoint of a published dataset."""

    __tablename__ = "published_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("published_dataset.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(50), default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    last_modified: Mapped[datetime | None]

    dataset: Mapped[PublishedDataset] = relationship(back_populates="resources", lazy="raise")


class DatasetMatch(Timestamped, Base):
    """A register entry tied to a portal dataset (by its stable CKAN id, across snapshots)."""

    __tablename__ = "dataset_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_entry_id: Mapped[int] = mapped_column(
        ForeignKey("register_entry.id", ondelete="CASCADE"), unique=True
    )
    portal_id: Mapped[str] = mapped_column(String(100))
    method: Mapped[MatchMethod] = mapped_column(enum_column(MatchMethod))
    confirmed: Mapped[bool] = mapped_column(default=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None]


class RejectedMatch(Timestamped, Base):
    """A proposal an auditor rejected: the pair is never proposed again (matching it by hand
    lifts the rejection). Keyed like DatasetMatch, by the entry and the stable CKAN id."""

    __tablename__ = "rejected_match"
    __table_args__ = (UniqueConstraint("organization_id", "register_entry_id", "portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    register_entry_id: Mapped[int] = mapped_column(
        ForeignKey("register_entry.id", ondelete="CASCADE"), index=True
    )
    portal_id: Mapped[str] = mapped_column(String(100))
    rejected_by: Mapped[str] = mapped_column(String(64))
    rejected_at: Mapped[datetime]


class ManualPublication(Timestamped, Base):
    """An auditor's record of an entry's state, for holders (or datasets) not read from a portal.

    Append-only: the newest record observed on or before a date is the state on that date, so
    a past cycle's figures can be recomputed for the year-over-year comparison.
    """

    __tablename__ = "manual_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_entry_id: Mapped[int] = mapped_column(
        ForeignKey("register_entry.id", ondelete="CASCADE"), index=True
    )
    observed_on: Mapped[date]
    state: Mapped[PublicationState] = mapped_column(enum_column(PublicationState))
    last_updated_on: Mapped[date | None]
    formats: Mapped[str] = mapped_column(String(200), default="")  # "CSV, XLS"
    url: Mapped[str | None] = mapped_column(String(1000))
    source_changed_on: Mapped[date | None]  # last change of the source data ("on change" rules)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
