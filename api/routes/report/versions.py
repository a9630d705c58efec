"""The report's versions and downloads: its state, the PDF (signed when it is), the detached
signature files, and asking for a new version."""

from fastapi import APIRouter, Response

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, Reader
from api.report_files import version_download
from api.routes.report.schemas import ReportRead, report_read
from models.account import Role
from models.errors import NotFound
from models.report import SignatureKind
from models.services.report.rendering import request_new_version
from models.services.report.signoff import load_signature_data
from models.services.report.versions import (
    downloadable_version,
    get_version,
    signatures_of,
)

router = APIRouter(prefix="/api/cycles", tags=["звіт"])


@router.get("/{cycle_id}/report", response_model=ReportRead)
def report_state(account: Reader, cycle: OwnCycle, session: DB) -> ReportRead:
    """The report's versions, their state and signatures (the mayor's office: approved only)."""
    return report_read(session, cycle.id, account.role)


@router.get(
    "/{cycle_id}/report/download",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def download(account: Reader, cycle: OwnCycle, session: DB, version: int | None = None) -> Response:
    """The report's PDF: signed (PAdES) when it is; the mayor's office gets a signed one only."""
    if version is None or account.role == Role.MAYOR_OFFICE:
        chosen = downloadable_version(session, cycle_id=cycle.id, role=account.role)
        if version is not None and chosen.number != version:
            raise NotFound("Ця версія звіту недоступна для завантаження.")
    else:
        chosen = get_version(session, cycle_id=cycle.id, number=version)
    return version_download(session, cycle=cycle, version=chosen)


@router.get(
    "/{cycle_id}/report/versions/{number}/signatures/{signature_id}.p7s",
    response_class=Response,
    responses={200: {"content": {"application/pkcs7-signature": {}}}},
)
def download_p7s(
    _account: Reader, cycle: OwnCycle, number: int, signature_id: int, session: DB
) -> Response:
    """The detached signature file that goes with the PDF."""
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


@router.post("/{cycle_id}/report/render", status_code=202, response_model=ReportRead)
def render_request(
    account: Editor, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> ReportRead:
    """Ask for a new version (the flow renders it; this request does not wait)."""
    request_new_version(session, cycle_id=cycle.id, now=now, actor=actor)
    return report_read(session, cycle.id, account.role)
