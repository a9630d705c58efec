"""The audit report, its versions and their signatures."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.base import Base, Timestamped, utcnow
from models.organization import enum_column


class ReportStatus(enum.StrEnum):
    """Draft, then approved (text frozen), then signed."""

    DRAFT = "draft"
    APPROVED = "approved"
    SIGNED = "signed"


REPORT_STATUS_LABELS = {
    ReportStatus.DRAFT: "чернетка",
    ReportStatus.APPROVED: "затверджено",
    ReportStatus.SIGNED: "підписано",
}


class Report(Timestamped, Base):
    """The report of a cycle."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), unique=True
    )
    # Set when the text changed after the newest version: the flow renders a new version.
    render_requested_at: Mapped[datetime | None]
    # The day the publication analysis describes ("станом на …"), set by the working group;
    # None until then: the remote audit's start, frozen by the first rendered version.
    figures_as_of: Mapped[date | None]

    versions: Mapped[list["ReportVersion"]] = relationship(
        lazy="raise", order_by="ReportVersion.number"
    )


class ReportVersion(Base):
    """A rendered PDF of the report; a change makes a new version."""

    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.DRAFT
    )
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None]
    figures_as_of: Mapped[date | None]  # the day its figures describe
    # The cycle's figures as they stood on approval (models.services.report.frozen_figures):
    # the next years' reports quote them, not a recount with a register changed since.
    frozen_figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    # Deferred: listing versions must not pull megabytes of PDF.
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class SignatureCheck(enum.StrEnum):
    """What was verified here: never more than was actually checked."""

    VALID = "valid"  # the cryptographic check passed here (integrity and signer's key)
    INVALID = "invalid"  # the check ran here and failed
    NOT_VERIFIED = "not_verified"  # the algorithm (e.g. DSTU 4145) cannot be checked here
    # КЕП: the signature was checked and is valid, but the chain to the trusted list of
    # qualified providers was not (no list uploaded) or does not reach it.
    CHAIN_UNCHECKED = "chain_unchecked"
    UNTRUSTED = "untrusted"


SIGNATURE_CHECK_LABELS = {
    SignatureCheck.VALID: "підпис перевірено: цілісний, відповідає сертифікату підписувача",
    SignatureCheck.INVALID: "підпис недійсний",
    SignatureCheck.NOT_VERIFIED: "криптографічну перевірку підпису тут не виконано",
    SignatureCheck.CHAIN_UNCHECKED: "підпис математично дійсний, ланцюжок не перевірено",
    SignatureCheck.UNTRUSTED: (
        "підпис математично дійсний, але сертифікат не походить від надавача з довіреного списку"
    ),
}


class SignatureKind(enum.StrEnum):
    """PAdES inside the PDF, or a detached CAdES (.p7s) from a qualified e-signature service."""

    PADES = "pades"
    CADES_DETACHED = "cades_detached"


class Signature(Base):
    """A signature of one report version."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_version_id: Mapped[int] = mapped_column(
        ForeignKey("report_version.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SignatureKind] = mapped_column(enum_column(SignatureKind))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_position: Mapped[str] = mapped_column(String(500), default="")
    signed_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The hash of `data`: the signed PDF (PAdES) or the .p7s file (detached CAdES).
    sha256: Mapped[str] = mapped_column(String(64))
    # The hash of the unsigned version's PDF that the signature is bound to.
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    algorithm: Mapped[str] = mapped_column(String(200), default="")
    certificate: Mapped[str] = mapped_column(Text, default="")  # subject, issuer, serial
    timestamped_at: Mapped[datetime | None]  # RFC 3161 token time, when there is one
    verification: Mapped[SignatureCheck] = mapped_column(
        enum_column(SignatureCheck), default=SignatureCheck.NOT_VERIFIED
    )
    verification_note: Mapped[str] = mapped_column(Text, default="")
    # КЕП (.p7s): every signer as checked here, JSON (models.kep.Signer.to_dict); "" otherwise.
    kep_signers: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class SectionKey(enum.StrEnum):
    """The report's narrative sections: drafted from the data, rewritten by the working group."""

    INTRO = "intro"
    LEGAL_BASE = "legal_base"
    OPEN_DATA = "open_data"
    SERVICES = "services"
    CONSULTATION = "consultation"
    REMOTE_AUDIT = "remote_audit"
    CONCLUSIONS = "conclusions"


SECTION_LABELS = {
    SectionKey.INTRO: "Вступ",
    SectionKey.LEGAL_BASE: "Аналіз нормативно-правової бази",
    SectionKey.OPEN_DATA: "Аналіз стану оприлюднення відкритих даних",
    SectionKey.SERVICES: "Аналіз інформаційних сервісів",
    SectionKey.CONSULTATION: "Аналіз результатів консультацій з громадськістю",
    SectionKey.REMOTE_AUDIT: "Аналіз результатів віддаленого інформаційного аудиту",
    SectionKey.CONCLUSIONS: "Висновки",
}


class ReportSection(Timestamped, Base):
    """A narrative section in Markdown; rendered sanitised."""

    __tablename__ = "report_section"
    __table_args__ = (UniqueConstraint("report_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    key: Mapped[SectionKey] = mapped_column(enum_column(SectionKey))
    markdown: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str | None] = mapped_column(String(100))


class RecommendationStatus(enum.StrEnum):
    """A proposed recommendation awaits the working group; kept, edited or dropped after."""

    PROPOSED = "proposed"
    KEPT = "kept"
    EDITED = "edited"
    DROPPED = "dropped"


RECOMMENDATION_STATUS_LABELS = {
    RecommendationStatus.PROPOSED: "запропоновано",
    RecommendationStatus.KEPT: "залишено",
    RecommendationStatus.EDITED: "змінено",
    RecommendationStatus.DROPPED: "вилучено",
}


class Recommendation(Timestamped, Base):
    """A recommendation of the report, proposed from a finding or added by the working group."""

    __tablename__ = "report_recommendation"
    __table_args__ = (UniqueConstraint("report_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # Which finding proposed it ("overdue_datasets", …) or "manual-<n>"; proposing is idempotent.
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    proposed_text: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_column(RecommendationStatus), default=RecommendationStatus.PROPOSED
    )
