"""Interviews with officials (optional stage)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class Interview(Timestamped, Base):
    """A planned or held interview with a unit's officials."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("auditor.id", ondelete="SET NULL"))
    officials: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    held_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
