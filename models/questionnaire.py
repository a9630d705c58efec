"""The staff inventory questionnaire: submissions with information systems and items."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
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


OWNER_TYPE_LABELS = {
    OwnerType.COMMUNAL: "комунальна",
    OwnerType.STATE: "державна",
    OwnerType.PRIVATE: "приватного постачальника",
}

ACCESS_CATEGORY_LABELS = {
    AccessCategory.PUBLIC: "відкрита (публічна)",
    AccessCategory.OFFICIAL_USE: "для службового користування",
    AccessCategory.SECRET: "таємна (не входить до аудиту, потрібне пояснення)",
    AccessCategory.PERSONAL_DATA: "містить персональні дані",
}

SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.DRAFT: "чернетка",
    SubmissionStatus.SUBMITTED: "подано",
}


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
    # +380XXXXXXXXX (comma-separated when several): infoAudit's dataUserTelephone.
    respondent_phone: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_column(SubmissionStatus), default=SubmissionStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None]
    # SHA-256 of the author's personal resume code: the draft needs the unit link plus this code.
    resume_lookup: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The form as typed (field name -> value) while a draft still has invalid fields, so that
    # nothing typed is lost; None once the draft validates (the rows then hold everything).
    draft_form: Mapped[dict[str, Any] | None] = mapped_column(JSON)

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
    # The rest of the Ministry's "results of the information audit" structure (infoAudit).
    data_type: Mapped[str] = mapped_column(String(500), default="")
    data_creator: Mapped[str] = mapped_column(String(500), default="")
    data_transfer: Mapped[str] = mapped_column(String(500), default="")
    date_created: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text, default="")
    usage_frequency: Mapped[str] = mapped_column(String(200), default="")
    public_interest: Mapped[str] = mapped_column(String(200), default="")
    government_interest: Mapped[str] = mapped_column(String(200), default="")
    relation: Mapped[str] = mapped_column(Text, default="")
    structure: Mapped[str] = mapped_column(Text, default="")
    documentation: Mapped[str] = mapped_column(Text, default="")
    developer_name: Mapped[str] = mapped_column(String(500), default="")
    developer_id: Mapped[str] = mapped_column(String(20), default="")
    dictionary: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[str] = mapped_column(String(100), default="")
    resource_url: Mapped[str | None] = mapped_column(String(500))


class ConsolidationKind(enum.StrEnum):
    """What a consolidation decision groups."""

    SYSTEM = "system"
    ITEM = "item"


# The kinds as the URLs and exports name them ("/consolidation/systems").
CONSOLIDATION_KINDS = {"systems": ConsolidationKind.SYSTEM, "items": ConsolidationKind.ITEM}


class ConsolidationAction(enum.StrEnum):
    """An auditor's manual correction of the automatic grouping."""

    MERGE = "merge"  # the group `group_key` joins the group `target_key`
    SPLIT = "split"  # the row `row_id` leaves its group and stands alone


class ConsolidationDecision(Base):
    """An auditor's merge or split; the questionnaire rows themselves are never changed."""

    __tablename__ = "consolidation_decision"
    __table_args__ = (UniqueConstraint("cycle_id", "kind", "action", "group_key", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ConsolidationKind] = mapped_column(enum_column(ConsolidationKind))
    action: Mapped[ConsolidationAction] = mapped_column(enum_column(ConsolidationAction))
    group_key: Mapped[str] = mapped_column(String(600), default="")
    target_key: Mapped[str] = mapped_column(String(600), default="")
    row_id: Mapped[int] = mapped_column(default=0)  # 0 for merges: a NULL would defeat the unique
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
