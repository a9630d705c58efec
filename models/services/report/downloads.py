"""The report's files as they are downloaded: which version, whether signed, that file's size and
SHA-256, so every link can say exactly what it gives (and the hash beside it is the file's)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.report import ReportVersion, Signature, SignatureKind
from models.services.report.signoff import authoritative, load_signature_data
from models.services.report.versions import load_pdf, signatures_of


def size_ua(size: int) -> str:
    """A file size as people read it: «850 КБ», «1,2 МБ»."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} КБ"
    return f"{size / (1024 * 1024):.1f} МБ".replace(".", ",")


@dataclass(frozen=True)
class ReportFile:
    """The PDF a version's download link gives: signed inside (PAdES) when it is."""

    number: int
    year: int
    signed: bool  # the signature is inside the PDF (PAdES)
    sha256: str  # of exactly the bytes downloaded
    size: int
    signature_id: int | None  # the PAdES signature whose data is this file
    detached: tuple[Signature, ...]  # .p7s signatures (КЕП) made over this PDF

    @property
    def filename(self) -> str:
        """The download's file name."""
        suffix = "-signed" if self.signed else ""
        return f"infoaudit-report-{self.year}-v{self.number}{suffix}.pdf"

    @property
    def label(self) -> str:
        """What the link says: «Звіт, версія 2, підписаний КЕП (PDF, 1,2 МБ)»."""
        size = size_ua(self.size)
        if self.signed:
            return f"Звіт, версія {self.number}, підписаний КЕП (PDF, {size})"
        if self.detached:
            return f"Звіт, версія {self.number} (PDF, {size}); підпис КЕП — окремим файлом .p7s"
        return f"Звіт, версія {self.number}, не підписаний (PDF, {size})"


def report_file(session: Session, *, version: ReportVersion, year: int) -> ReportFile:
    """The file a version's download gives: the PDF of its authoritative signature when that is
    PAdES (a later signature never replaces it), else the rendered one (with any .p7s)."""
    signatures = signatures_of(session, version_id=version.id)
    official = authoritative(signatures)
    detached = tuple(s for s in signatures if s.kind == SignatureKind.CADES_DETACHED)
    if official is not None and official.kind == SignatureKind.PADES:
        signed = official
        return ReportFile(
            number=version.number,
            year=year,
            signed=True,
            sha256=signed.sha256,
            # The length in SQL: a page listing versions need not load megabytes.
            size=session.scalar(
                select(func.length(Signature.data)).where(Signature.id == signed.id)
            )
            or 0,
            signature_id=signed.id,
            detached=detached,
        )
    return ReportFile(
        number=version.number,
        year=year,
        signed=False,
        sha256=version.sha256,
        size=version.size,
        signature_id=None,
        detached=detached,
    )


def report_file_bytes(session: Session, *, version: ReportVersion, file: ReportFile) -> bytes:
    """The bytes of that file."""
    if file.signature_id is not None:
        return load_signature_data(session, signature_id=file.signature_id)
    return load_pdf(session, version_id=version.id)
