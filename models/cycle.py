"""An audit cycle, its stages, auditors and audited units."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped
from models.organization import Organization, Unit, enum_column


class CycleStatus(enum.StrEnum):
    """Where the cycle is as a whole."""

    ACTIVE = "active"
    COMPLETED = "completed"


class StageKind(enum.StrEnum):
    """The five stages, in their order."""

    PREPARATION = "preparation"
    CONSULTATION = "consultation"
    REMOTE_AUDIT = "remote_audit"
    INTERVIEWS = "interviews"
    REPORTING = "reporting"


STAGE_ORDER = list(StageKind)

STAGE_LABELS = {
    StageKind.PREPARATION: "підготовчий етап",
    StageKind.CONSULTATION: "проведення консультацій з громадськістю",
    StageKind.REMOTE_AUDIT: "проведення віддаленого інформаційного аудиту (анкетування)",
    StageKind.INTERVIEWS: "проведення інтерв’ю посадових осіб (за необхідністю)",
    StageKind.REPORTING: "підготовка звіту за результатами інформаційного аудиту",
}


class StageStatus(enum.StrEnum):
    """A stage's state; closed and skipped are final."""

    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    SKIPPED = "skipped"


STAGE_STATUS_LABELS = {
    StageStatus.PLANNED: "заплановано",
    StageStatus.OPEN: "триває",
    StageStatus.CLOSED: "завершено",
    StageStatus.SKIPPED: "не проводився",
}


class AuditCycle(Timestamped, Base):
    """One annual audit, launched by the mayor's order."""

    __tablename__ = "audit_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    order_number: Mapped[str] = mapped_column(String(50))
    order_date: Mapped[date]
    order_title: Mapped[str] = mapped_column(
        String(500), default="Про проведення інформаційного аудиту"
    )
    interview_schedule_on: Mapped[date | None]
    # The holder's own act on open data the order relies on, as the report cites it.
    open_data_order: Mapped[str] = mapped_column(Text, default="")
    # The unit the order charges with the public consultation and its announcement.
    survey_unit: Mapped[str] = mapped_column(String(300), default="")
    # Whom units contact about the audit (overdue letters name them): the coordinator.
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    status: Mapped[CycleStatus] = mapped_column(
        enum_column(CycleStatus), default=CycleStatus.ACTIVE
    )
    # The public survey's address: unguessable so a closed consultation cannot be found by counting.
    survey_slug: Mapped[str] = mapped_column(String(64), unique=True)
    completed_at: Mapped[datetime | None]
    # A past year's audit entered afterwards (dates in the past, answers typed in by the working
    # group): no mail, no reminders; pages and the report mark it.
    is_historical: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    organization: Mapped[Organization] = relationship(lazy="raise")
    stages: Mapped[list["Stage"]] = relationship(
        back_populates="cycle", lazy="raise", order_by="Stage.position"
    )


class Stage(Timestamped, Base):
    """A stage of a cycle with its real start and due dates (Kyiv calendar dates, inclusive)."""

    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[StageKind] = mapped_column(enum_column(StageKind))
    position: Mapped[int]
    starts_on: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[StageStatus] = mapped_column(
        enum_column(StageStatus), default=StageStatus.PLANNED
    )
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    skipped_reason: Mapped[str | None] = mapped_column(Text)

    cycle: Mapped[AuditCycle] = relationship(back_populates="stages", lazy="raise")


class Auditor(Timestamped, Base):
    """An information auditor or another person involved by the order."""

    __tablename__ = "auditor"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    is_involved_only: Mapped[bool] = mapped_column(default=False)


class AuditedUnit(Timestamped, Base):
    """A unit audited in a cycle, with its secret questionnaire link.

    The link token is HMAC(secret key, link_salt): the database alone cannot reveal it, the
    working group can show it again, and lookups go through its SHA-256.
    """

    __tablename__ = "audited_unit"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    position: Mapped[int]
    link_salt: Mapped[str] = mapped_column(String(64))
    link_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    # The working group's acceptance of this unit's late questionnaire: its drafts count, and
    # its link takes answers after the remote audit's due date.
    late_accepted_at: Mapped[datetime | None]
    late_accepted_by: Mapped[str | None] = mapped_column(String(100))
    late_reason: Mapped[str | None] = mapped_column(Text)

    cycle: Mapped[AuditCycle] = relationship(lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


def describe_statuses(statuses: dict[str, str]) -> str:
    """The `audit_cycle` flow's result in Ukrainian, for people."""
    parts = [
        f"{STAGE_LABELS[StageKind(kind)]} – {STAGE_STATUS_LABELS[StageStatus(status)]}"
        for kind, status in statuses.items()
        if kind in StageKind.__members__.values()
    ]
    if "cycle" in statuses:
        parts.append(
            "цикл завершено" if statuses["cycle"] == CycleStatus.COMPLETED else "цикл триває"
        )
    return "; ".join(parts)
