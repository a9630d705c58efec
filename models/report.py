"""The audit report, its versions and their signatures."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
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
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    # Deferred: listing versions must not pull megabytes of PDF.
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))


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
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
