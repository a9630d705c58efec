"""The information holder, its units and officials."""

import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped


def enum_column(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column stored as its value (no native PG enum: easier migrations)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UnitKind(enum.StrEnum):
    """What kind of unit of the holder."""

    EXECUTIVE_UNIT = "executive_unit"
    MUNICIPAL_ENTERPRISE = "municipal_enterprise"
    OTHER = "other"


UNIT_KIND_LABELS = {
    UnitKind.EXECUTIVE_UNIT: "виконавчий орган",
    UnitKind.MUNICIPAL_ENTERPRISE: "комунальне підприємство",
    UnitKind.OTHER: "інше",
}


class Organization(Timestamped, Base):
    """A public information holder (розпорядник інформації), e.g. a city council."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    edrpou: Mapped[str | None] = mapped_column(String(16))
    # Where the holder is, as the report's cover names it ("м. Калуш").
    place: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))

    units: Mapped[list["Unit"]] = relationship(
        back_populates="organization", lazy="raise", order_by="Unit.id"
    )


class Unit(Timestamped, Base):
    """A structural unit or municipal enterprise of the holder."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), default=UnitKind.EXECUTIVE_UNIT)
    head_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # A deactivated unit keeps its past cycles but gets no link in new ones.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    organization: Mapped[Organization] = relationship(back_populates="units", lazy="raise")


class Official(Timestamped, Base):
    """A named official of the holder (responsible for datasets, interviewed)."""

    __tablename__ = "official"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str | None] = mapped_column(String(254))
