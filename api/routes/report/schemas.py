"""The report's response and input schemas, and how a version and its signatures are shown."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from models.account import Role
from models.cycle import AuditCycle
from models.kep import CHAIN_LABELS, signers_from_json
from models.report import (
    RECOMMENDATION_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    SECTION_LABELS,
    SIGNATURE_CHECK_LABELS,
    Recommendation,
    RecommendationStatus,
    ReportStatus,
    ReportVersion,
    SectionKey,
    Signature,
    SignatureKind,
)
from models.services.report.downloads import report_file
from models.services.report.narrative import markdown_to_html
from models.services.report.signoff import authoritative
from models.services.report.versions import READY, list_versions, render_due, signatures_of


class KepSignerRead(BaseModel):
    """One signer of a КЕП (.p7s) as checked here."""

    name: str
    position: str
    organization: str
    edrpou: str
    rnokpp: str
    signed_at: datetime | None
    hash_algorithm: str
    signature_algorithm: str
    valid: bool | None
    verdict: str
    chain: str
    chain_label: str
    chain_note: str
    problem: str
    certificate: str


class SignatureRead(BaseModel):
    """A signature as shown: who, when, and exactly what was verified here."""

    id: int
    kind: SignatureKind
    signer_name: str
    signer_position: str
    signed_at: datetime
    timestamped_at: datetime | None
    algorithm: str
    certificate: str
    verification: str
    verification_label: str
    verification_note: str
    sha256: str
    document_sha256: str
    p7s_url: str | None
    signers: list[KepSignerRead] = []
    # The version's official signature (the first valid one): the one the mayor's office gets.
    authoritative: bool = False


class VersionRead(BaseModel):
    """A version of the report."""

    number: int
    status: ReportStatus
    status_label: str
    generated_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    signed_at: datetime | None
    sha256: str  # of the rendered (unsigned) PDF
    size: int
    signatures: list[SignatureRead]  # every signature, oldest first; one may be authoritative
    authoritative_signature_id: int | None = None
    # What this version's download gives: signed inside when it is, and that file's hash.
    download_url: str
    download_label: str
    download_signed: bool
    download_sha256: str


class ReportRead(BaseModel):
    """The report's state for one cycle."""

    cycle_id: int
    versions: list[VersionRead]
    render_pending: bool
    download_url: str | None


class SectionRead(BaseModel):
    """A narrative section: its Markdown and the sanitised HTML the report shows."""

    key: SectionKey
    label: str
    markdown: str
    html: str


class SectionUpdate(BaseModel):
    """New Markdown text of a section."""

    markdown: str = Field(max_length=100_000)


class SectionsUpdate(BaseModel):
    """New Markdown of several sections at once: one change of the text, one new version."""

    sections: dict[SectionKey, Annotated[str, Field(max_length=100_000)]] = Field(min_length=1)


class RecommendationRead(BaseModel):
    """A recommendation: proposed from a finding or written by the working group."""

    id: int
    key: str
    position: int
    proposed_text: str
    text: str
    status: RecommendationStatus
    status_label: str


class RecommendationCreate(BaseModel):
    """A recommendation the working group adds."""

    text: str = Field(min_length=3, max_length=5000)


class RecommendationUpdate(BaseModel):
    """Keep, edit (with text) or drop."""

    status: RecommendationStatus
    text: str | None = Field(default=None, max_length=5000)


def signature_read(
    cycle_id: int, number: int, signature: Signature, *, authoritative_id: int | None
) -> SignatureRead:
    """A signature as the API shows it, with the address of its .p7s when it is detached."""
    return SignatureRead(
        authoritative=signature.id == authoritative_id,
        id=signature.id,
        kind=signature.kind,
        signer_name=signature.signer_name,
        signer_position=signature.signer_position,
        signed_at=signature.signed_at,
        timestamped_at=signature.timestamped_at,
        algorithm=signature.algorithm,
        certificate=signature.certificate,
        verification=signature.verification.value,
        verification_label=SIGNATURE_CHECK_LABELS[signature.verification],
        verification_note=signature.verification_note,
        sha256=signature.sha256,
        document_sha256=signature.document_sha256,
        p7s_url=(
            f"/api/cycles/{cycle_id}/report/versions/{number}/signatures/{signature.id}.p7s"
            if signature.kind == SignatureKind.CADES_DETACHED
            else None
        ),
        signers=[
            KepSignerRead(
                **{k: v for k, v in signer.to_dict().items() if k in KepSignerRead.model_fields},
                verdict=signer.verdict,
                chain_label=CHAIN_LABELS[signer.chain],
            )
            for signer in signers_from_json(signature.kep_signers)
        ],
    )


def version_read(session: Session, cycle_id: int, version: ReportVersion, year: int) -> VersionRead:
    """A version with its signatures and its download, as the API shows it."""
    file = report_file(session, version=version, year=year)
    signatures = signatures_of(session, version_id=version.id)
    official = authoritative(signatures)
    official_id = official.id if official is not None else None
    return VersionRead(
        authoritative_signature_id=official_id,
        download_url=f"/api/cycles/{cycle_id}/report/download?version={version.number}",
        download_label=file.label,
        download_signed=file.signed,
        download_sha256=file.sha256,
        number=version.number,
        status=version.status,
        status_label=REPORT_STATUS_LABELS[version.status],
        generated_at=version.generated_at,
        approved_at=version.approved_at,
        approved_by=version.approved_by,
        signed_at=version.signed_at,
        sha256=version.sha256,
        size=version.size,
        signatures=[
            signature_read(cycle_id, version.number, s, authoritative_id=official_id)
            for s in signatures
        ],
    )


def report_read(session: Session, cycle_id: int, role: Role) -> ReportRead:
    """The report's state as this role may see it (the mayor's office: approved or signed)."""
    versions = list_versions(session, cycle_id=cycle_id)
    if role == Role.MAYOR_OFFICE:
        versions = [v for v in versions if v.status in READY]
    # The mayor's office downloads a signed version only.
    downloadable = [
        v for v in versions if role != Role.MAYOR_OFFICE or v.status == ReportStatus.SIGNED
    ]
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    return ReportRead(
        cycle_id=cycle_id,
        versions=[version_read(session, cycle_id, v, cycle.year) for v in versions],
        render_pending=render_due(session, cycle_id=cycle_id),
        download_url=f"/api/cycles/{cycle_id}/report/download" if downloadable else None,
    )


def section_read(key: SectionKey, text: str) -> SectionRead:
    """A section's Markdown with its sanitised HTML."""
    return SectionRead(
        key=key, label=SECTION_LABELS[key], markdown=text, html=str(markdown_to_html(text))
    )


def recommendation_read(r: Recommendation) -> RecommendationRead:
    """A recommendation with its status label."""
    return RecommendationRead(
        id=r.id,
        key=r.key,
        position=r.position,
        proposed_text=r.proposed_text,
        text=r.text,
        status=r.status,
        status_label=RECOMMENDATION_STATUS_LABELS[r.status],
    )
