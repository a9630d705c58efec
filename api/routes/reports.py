"""The report: versions, approval, signatures, the working group's text, and interviews.

Rendering never runs here: a change of text records the intent and the flow renders the new
version. Only the organization's own accounts see anything (another organization's cycle is a
404); the mayor's office reads and downloads approved or signed versions only.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, Field

from api.deps import DB, AppSettings, Editor, Now, Reader, WorkingGroup
from api.uploads import read_upload
from models.account import Account, Role
from models.actor import Actor
from models.base import utcnow
from models.errors import Invalid, NotFound
from models.report import (
    RECOMMENDATION_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    SECTION_LABELS,
    SIGNATURE_CHECK_LABELS,
    RecommendationStatus,
    ReportStatus,
    ReportVersion,
    SectionKey,
    Signature,
    SignatureKind,
)
from models.services.cycles import get_own_cycle
from models.services.interviews import (
    InterviewPlan,
    approve_schedule,
    list_interviews,
    propose_interview,
    record_interview,
)
from models.services.report.context import cycle_drafts
from models.services.report.narrative import list_sections, markdown_to_html, section_markdown
from models.services.report.recommendations import (
    add_recommendation,
    decide_recommendation,
    list_recommendations,
)
from models.services.report.rendering import request_new_version
from models.services.report.signoff import attach_p7s, load_signature_data, sign_version_pades
from models.services.report.versions import (
    READY,
    approve_version,
    downloadable_version,
    ensure_report,
    get_version,
    list_versions,
    load_pdf,
    render_due,
    signatures_of,
)

router = APIRouter(prefix="/api/cycles", tags=["звіт"])


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


class VersionRead(BaseModel):
    """A version of the report."""

    number: int
    status: ReportStatus
    status_label: str
    generated_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    signed_at: datetime | None
    sha256: str
    size: int
    signatures: list[SignatureRead]


class ReportRead(BaseModel):
    """The report's state for one cycle."""

    cycle_id: int
    versions: list[VersionRead]
    render_pending: bool
    download_url: str | None


def _signature_read(cycle_id: int, number: int, signature: Signature) -> SignatureRead:
    return SignatureRead(
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
    )


def _version_read(session: DB, cycle_id: int, version: ReportVersion) -> VersionRead:
    return VersionRead(
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
            _signature_read(cycle_id, version.number, s)
            for s in signatures_of(session, version_id=version.id)
        ],
    )


def _report_read(session: DB, cycle_id: int, account: Account) -> ReportRead:
    versions = list_versions(session, cycle_id=cycle_id)
    if account.role == Role.MAYOR_OFFICE:
        versions = [v for v in versions if v.status in READY]
    return ReportRead(
        cycle_id=cycle_id,
        versions=[_version_read(session, cycle_id, v) for v in versions],
        render_pending=render_due(session, cycle_id=cycle_id),
        download_url=f"/api/cycles/{cycle_id}/report/download" if versions else None,
    )


@router.get("/{cycle_id}/report", response_model=ReportRead)
def report_state(cycle_id: int, session: DB, account: Reader) -> ReportRead:
    """The report's versions, their state and signatures (the mayor's office: approved only)."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    return _report_read(session, cycle_id, account)


def _pdf_response(content: bytes, filename: str) -> Response:
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{cycle_id}/report/download",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def download(cycle_id: int, session: DB, account: Reader, version: int | None = None) -> Response:
    """The report's PDF: signed (PAdES) when it is; the mayor's office gets approved or signed."""
    cycle = get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    if version is None or account.role == Role.MAYOR_OFFICE:
        chosen = downloadable_version(session, cycle_id=cycle.id, role=account.role)
        if version is not None and chosen.number != version:
            raise NotFound("Ця версія звіту недоступна для завантаження.")
    else:
        chosen = get_version(session, cycle_id=cycle.id, number=version)
    pades = [
        s for s in signatures_of(session, version_id=chosen.id) if s.kind == SignatureKind.PADES
    ]
    if pades:
        data = load_signature_data(session, signature_id=pades[-1].id)
        return _pdf_response(data, f"infoaudit-report-{cycle.year}-v{chosen.number}-signed.pdf")
    return _pdf_response(
        load_pdf(session, version_id=chosen.id),
        f"infoaudit-report-{cycle.year}-v{chosen.number}.pdf",
    )


@router.get(
    "/{cycle_id}/report/versions/{number}/signatures/{signature_id}.p7s",
    response_class=Response,
    responses={200: {"content": {"application/pkcs7-signature": {}}}},
)
def download_p7s(
    cycle_id: int, number: int, signature_id: int, session: DB, account: Reader
) -> Response:
    """The detached signature file that goes with the PDF."""
    cycle = get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    version = get_version(session, cycle_id=cycle.id, number=number)
    signature = next(
        (s for s in signatures_of(session, version_id=version.id) if s.id == signature_id), None
    )
    if signature is None or signature.kind != SignatureKind.CADES_DETACHED:
        raise NotFound("Підпис не знайдено.")
    return Response(
        content=load_signature_data(session, signature_id=signature.id),
        media_type="application/pkcs7-signature",
        headers={
            "Content-Disposition": (
                f'attachment; filename="infoaudit-report-{cycle.year}-v{number}.pdf.p7s"'
            )
        },
    )


@router.post("/{cycle_id}/report/versions/{number}/approve", response_model=VersionRead)
def approve(cycle_id: int, number: int, session: DB, now: Now, account: Editor) -> VersionRead:
    """Approve the newest draft: its text is frozen, any change makes a new version."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    version = approve_version(
        session, cycle_id=cycle_id, number=number, now=now, actor=Actor.of(account)
    )
    return _version_read(session, cycle_id, version)


@router.post("/{cycle_id}/report/versions/{number}/sign", response_model=SignatureRead)
def sign(
    cycle_id: int,
    number: int,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: Editor,
    pkcs12: Annotated[UploadFile, File(description="PKCS#12 (.p12/.pfx) організації")],
    signer_name: Annotated[str, Form(min_length=3, max_length=200)],
    signer_position: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
) -> SignatureRead:
    """Sign an approved version (PAdES) with a PKCS#12 file; the key is used once, never kept.

    A plain (threadpool) route: pyHanko runs its own event loop.
    """
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    version = get_version(session, cycle_id=cycle_id, number=number)
    signature = sign_version_pades(
        session,
        version=version,
        pkcs12=read_upload(pkcs12, "pkcs12"),
        password=password or None,
        signer_name=signer_name,
        signer_position=signer_position,
        tsa_url=settings.tsa_url,
        now=now,
        actor=Actor.of(account),
    )
    return _signature_read(cycle_id, number, signature)


@router.post("/{cycle_id}/report/versions/{number}/p7s", response_model=SignatureRead)
def upload_p7s(
    cycle_id: int,
    number: int,
    session: DB,
    now: Now,
    account: Editor,
    p7s: Annotated[UploadFile, File(description="Відокремлений підпис CAdES (.p7s)")],
) -> SignatureRead:
    """Attach an external detached signature (.p7s) of an approved version's PDF."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    version = get_version(session, cycle_id=cycle_id, number=number)
    signature = attach_p7s(
        session,
        version=version,
        p7s=read_upload(p7s, "p7s"),
        now=now,
        actor=Actor.of(account),
    )
    return _signature_read(cycle_id, number, signature)


@router.post("/{cycle_id}/report/render", status_code=202, response_model=ReportRead)
def render_request(cycle_id: int, session: DB, now: Now, account: Editor) -> ReportRead:
    """Ask for a new version (the flow renders it; this request does not wait)."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    request_new_version(session, cycle_id=cycle_id, now=now, actor=Actor.of(account))
    return _report_read(session, cycle_id, account)


class SectionRead(BaseModel):
    """A narrative section: its Markdown and the sanitised HTML the report shows."""

    key: SectionKey
    label: str
    markdown: str
    html: str


class SectionUpdate(BaseModel):
    """New Markdown text of a section."""

    markdown: str = Field(max_length=100_000)


def _section_read(key: SectionKey, text: str) -> SectionRead:
    return SectionRead(
        key=key, label=SECTION_LABELS[key], markdown=text, html=str(markdown_to_html(text))
    )


@router.get("/{cycle_id}/report/sections", response_model=list[SectionRead])
def sections(cycle_id: int, session: DB, account: WorkingGroup) -> list[SectionRead]:
    """The narrative sections written by the working group."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    drafts = cycle_drafts(session, cycle_id=cycle_id, now=utcnow())
    return [
        _section_read(key, section_markdown(key, section, drafts[key]))
        for key, section in list_sections(session, cycle_id=cycle_id).items()
    ]


@router.put("/{cycle_id}/report/sections/{key}", response_model=SectionRead)
def update_section(
    cycle_id: int, key: SectionKey, body: SectionUpdate, session: DB, now: Now, account: Editor
) -> SectionRead:
    """Write a narrative section (Markdown); a new version will be rendered."""
    from models.services.report.narrative import update_section as write_section

    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    section = write_section(
        session, cycle_id=cycle_id, key=key, text=body.markdown, now=now, actor=Actor.of(account)
    )
    return _section_read(key, section.markdown)


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


def _recommendation_read(r: Any) -> RecommendationRead:
    return RecommendationRead(
        id=r.id,
        key=r.key,
        position=r.position,
        proposed_text=r.proposed_text,
        text=r.text,
        status=r.status,
        status_label=RECOMMENDATION_STATUS_LABELS[r.status],
    )


@router.get("/{cycle_id}/report/recommendations", response_model=list[RecommendationRead])
def recommendations(cycle_id: int, session: DB, account: WorkingGroup) -> list[RecommendationRead]:
    """The recommendations: proposed ones await the working group's decision."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    report = ensure_report(session, cycle_id=cycle_id)
    return [_recommendation_read(r) for r in list_recommendations(session, report_id=report.id)]


@router.post(
    "/{cycle_id}/report/recommendations", status_code=201, response_model=RecommendationRead
)
def create_recommendation(
    cycle_id: int, body: RecommendationCreate, session: DB, now: Now, account: Editor
) -> RecommendationRead:
    """Add a recommendation of the working group's own."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    created = add_recommendation(
        session, cycle_id=cycle_id, text=body.text, now=now, actor=Actor.of(account)
    )
    return _recommendation_read(created)


@router.patch(
    "/{cycle_id}/report/recommendations/{recommendation_id}", response_model=RecommendationRead
)
def update_recommendation(
    cycle_id: int,
    recommendation_id: int,
    body: RecommendationUpdate,
    session: DB,
    now: Now,
    account: Editor,
) -> RecommendationRead:
    """Keep, edit or drop a recommendation."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    decided = decide_recommendation(
        session,
        cycle_id=cycle_id,
        recommendation_id=recommendation_id,
        status=body.status,
        text=body.text,
        now=now,
        actor=Actor.of(account),
    )
    return _recommendation_read(decided)


class InterviewCreate(BaseModel):
    """A proposed interview."""

    unit_id: int
    officials: str = Field(min_length=3, max_length=2000)
    scheduled_at: datetime
    place: str = Field(default="", max_length=300)
    auditor_id: int | None = None


class InterviewRecord(BaseModel):
    """What an interview found."""

    notes: str = Field(default="", max_length=20_000)
    findings: str = Field(default="", max_length=20_000)
    held_at: datetime | None = None


class InterviewRead(BaseModel):
    """An interview of the schedule."""

    id: int
    unit_id: int
    auditor_id: int | None
    officials: str
    scheduled_at: datetime | None
    place: str
    approved_at: datetime | None
    held_at: datetime | None
    notes: str
    findings: str

    model_config = {"from_attributes": True}


@router.get("/{cycle_id}/interviews", response_model=list[InterviewRead])
def interviews(cycle_id: int, session: DB, account: WorkingGroup) -> list[InterviewRead]:
    """The interview schedule with notes and findings."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    return [InterviewRead.model_validate(i) for i in list_interviews(session, cycle_id=cycle_id)]


@router.post("/{cycle_id}/interviews", status_code=201, response_model=InterviewRead)
def propose(
    cycle_id: int, body: InterviewCreate, session: DB, now: Now, account: Editor
) -> InterviewRead:
    """Propose an interview (unit, officials, auditor, date and time, place)."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    if body.scheduled_at.tzinfo is None:
        raise Invalid("Вкажіть час з часовим поясом (наприклад, +03:00).", field="scheduled_at")
    interview = propose_interview(
        session,
        cycle_id=cycle_id,
        plan=InterviewPlan(
            unit_id=body.unit_id,
            officials=body.officials,
            scheduled_at=body.scheduled_at,
            place=body.place,
            auditor_id=body.auditor_id,
        ),
        now=now,
        actor=Actor.of(account),
    )
    return InterviewRead.model_validate(interview)


@router.post("/{cycle_id}/interviews/approve", response_model=list[InterviewRead])
def approve_interviews(
    cycle_id: int, session: DB, now: Now, account: Editor
) -> list[InterviewRead]:
    """Approve the interview schedule (the approval and its date are recorded)."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    approved = approve_schedule(session, cycle_id=cycle_id, now=now, actor=Actor.of(account))
    return [InterviewRead.model_validate(i) for i in approved]


@router.put("/{cycle_id}/interviews/{interview_id}", response_model=InterviewRead)
def record(
    cycle_id: int,
    interview_id: int,
    body: InterviewRecord,
    session: DB,
    now: Now,
    account: WorkingGroup,
) -> InterviewRead:
    """Record an interview's notes and findings (auditors too)."""
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    interview = record_interview(
        session,
        cycle_id=cycle_id,
        interview_id=interview_id,
        notes=body.notes,
        findings=body.findings,
        held_at=body.held_at,
        now=now,
        actor=Actor.of(account),
    )
    return InterviewRead.model_validate(interview)
