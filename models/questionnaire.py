"""The staff inventory questionnaire: submissions with information systems and items."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped
from models.cycle import AuditedUnit
from models.organization import enum_column


class SubmissionStatus(enum.StrEnum):
    """A questionnaire is a draft until its author submits it."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class OwnerType(enum.StrEnum):
    """Who owns an information system."""

    COMMUNAL = "communal"
    STATE = "state"
    PRIVATE = "private"


class AccessCategory(enum.StrEnum):
    """Access to an information item; secret items are excluded from the audit."""

    PUBLIC = "public"
    OFFICIAL_USE = "official_use"
    SECRET = "secret"
    PERSONAL_DATA = "personal_data"


class QuestionnaireSubmission(Timestamped, Base):
    """One staff member's questionnaire for their unit."""

    __tablename__ = "questionnaire_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    audited_unit_id: Mapped[int] = mapped_column(
        ForeignKey("audited_unit.id", ondelete="CASCADE"), index=True
    )
    respondent_name: Mapped[str] = mapped_column(String(200))
    respondent_position: Mapped[str] = mapped_column(String(500), default="")
    respondent_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_column(SubmissionStatus), default=SubmissionStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None]

    audited_unit: Mapped[AuditedUnit] = relationship(lazy="raise")
    systems: Mapped[list["InformationSystem"]] = relationship(
        lazy="raise", order_by="InformationSystem.position", cascade="all, delete-orphan"
    )
    items: Mapped[list["InformationItem"]] = relationship(
        lazy="raise", order_by="InformationItem.position", cascade="all, delete-orphan"
    )


class InformationSystem(Base):
    """An information system or service a unit's staff use, as written in a questionnaire."""

    __tablename__ = "information_system"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_submission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    basis: Mapped[str] = mapped_column(Text, default="")
    administrator: Mapped[str] = mapped_column(String(500), default="")
    owner_type: Mapped[OwnerType | None] = mapped_column(enum_column(OwnerType))
    description: Mapped[str] = mapped_column(Text, default="")
    holds_personal_data: Mapped[bool] = mapped_column(default=False)
    export_formats: Mapped[str] = mapped_column(String(200), default="")
    has_api: Mapped[bool] = mapped_column(default=False)


class InformationItem(Base):
    """A kind of public information a unit works with, aligned with the portal's audit dataset."""

    __tablename__ = "information_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_submission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    kept_in: Mapped[str] = mapped_column(String(300), default="")  # a system's name, or "паперово"
    access_category: Mapped[AccessCategory] = mapped_column(
        enum_column(AccessCategory), default=AccessCategory.PUBLIC
    )
    secret_explanation: Mapped[str | None] = mapped_column(Text)
    is_dataset_candidate: Mapped[bool] = mapped_column(default=False)
    update_frequency: Mapped[str] = mapped_column(String(200), default="")
    approx_records: Mapped[int | None]
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(100), default="")
    restricted_fields: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
