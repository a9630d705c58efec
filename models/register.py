"""The dataset register (Annex 1): what the holder must publish as open data."""

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from models.base import Base, Timestamped
from models.organization import Official, Unit, enum_column
from models.periodicity import BasePeriod, Periodicity


class RegisterSource(enum.StrEnum):
    """Where the obligation to publish comes from."""

    ALL_HOLDERS = "all_holders"  # Resolution 835, the list for all holders
    LOCAL_GOVERNMENT = "local_government"  # Resolution 835, local self-government section
    LOCAL = "local"  # the council's own additions


SOURCE_LABELS = {
    RegisterSource.ALL_HOLDERS: "Постанова 835 — для всіх розпорядників",
    RegisterSource.LOCAL_GOVERNMENT: "Постанова 835 — органи місцевого самоврядування",
    RegisterSource.LOCAL: "Місцеве доповнення",
}


register_entry_unit = Table(
    "register_entry_unit",
    Base.metadata,
    Column("entry_id", ForeignKey("register_entry.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)

# The responsible officials of an entry, in the order the register names them.
register_entry_official = Table(
    "register_entry_official",
    Base.metadata,
    Column("entry_id", ForeignKey("register_entry.id", ondelete="CASCADE"), primary_key=True),
    Column("official_id", ForeignKey("official.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)


class RegisterEntry(Timestamped, Base):
    """A dataset the holder must publish, with its structured periodicity."""

    __tablename__ = "register_entry"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[RegisterSource] = mapped_column(
        enum_column(RegisterSource), default=RegisterSource.LOCAL
    )
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    portal_url: Mapped[str | None] = mapped_column(String(500))
    period_base: Mapped[BasePeriod | None] = mapped_column(enum_column(BasePeriod))
    period_as_needed: Mapped[bool] = mapped_column(default=False)
    period_unscheduled: Mapped[bool] = mapped_column(default=False)
    period_on_change_days: Mapped[int | None]
    period_lag_days: Mapped[int | None]
    periodicity_note: Mapped[str] = mapped_column(
        Text, default=""
    )  # "; подає відділ ..." in Annex 1
    # The Resolution 835 catalogue's code when picked from it ("all_holders.12").
    catalogue_code: Mapped[str | None] = mapped_column(String(40))
    # A retired entry stays (its number and history) but leaves Annex 1 and the analysis.
    retired_at: Mapped[datetime | None]

    periodicity: Mapped[Periodicity] = composite(
        "period_base",
        "period_as_needed",
        "period_unscheduled",
        "period_on_change_days",
        "period_lag_days",
    )
    units: Mapped[list[Unit]] = relationship(
        secondary=register_entry_unit, lazy="raise", order_by="Unit.id"
    )
    # Written only through set_officials (the position column keeps their order).
    officials: Mapped[list[Official]] = relationship(
        secondary=register_entry_official,
        lazy="raise",
        order_by=register_entry_official.c.position,
        viewonly=True,
    )


class ProposalDecision(enum.StrEnum):
    """What the working group decided on an item the staff proposed as a dataset."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RegisterProposal(Base):
    """The decision on a questionnaire item marked "worth publishing as open data"; an item
    with a decision is not proposed again."""

    __tablename__ = "register_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    information_item_id: Mapped[int] = mapped_column(
        ForeignKey("information_item.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[ProposalDecision] = mapped_column(enum_column(ProposalDecision))
    register_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_entry.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
