"""The report page: versions and signatures, asking for a new version, approval and sign-off.

Rendering never runs in a request: the button records the request and the cycle's sweep renders
the version; the page says where that stands (waiting, being rendered, failed, done). The mayor's
office reads and downloads approved or signed versions only.
"""

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Now, app_clock
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCoordinator,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleReader,
    console_router,
)
from api.uploads import read_upload
from models.account import EDITOR_ROLES, Account, Role
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid, NotFound
from models.kep import CHAIN_LABELS, signers_from_json
from models.report import (
    REPORT_STATUS_LABELS,
    SIGNATURE_CHECK_LABELS,
    ReportStatus,
)
from models.services.report.approval import approve_version
from models.services.report.downloads import ReportFile, report_file
from models.services.report.linter import lint_report
from models.services.report.rendering import render_state, request_new_version
from models.services.report.signoff import (
    attach_p7s,
    authoritative,
    may_sign,
    sign_version_pades,
)
from models.services.report.versions import (
    READY,
    downloadable_version,
    get_version,
    list_versions,
    signatures_of,
)

router = console_router()
OptionalFile = Annotated[UploadFile | None, File()]


def _report(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    is_mayor = account.role == Role.MAYOR_OFFICE
    versions = [
        v for v in list_versions(session, cycle_id=cycle.id) if not is_mayor or v.status in READY
    ]
    download: ReportFile | None = None
    waiting: str | None = None  # why the mayor's office has nothing to download yet
    try:
        chosen = downloadable_version(session, cycle_id=cycle.id, role=account.role)
        download = report_file(session, version=chosen, year=cycle.year)
    except NotFound as exc:
        waiting = exc.message if versions else None
    signatures = {v.id: signatures_of(session, version_id=v.id) for v in versions}
    render = render_state(session, cycle_id=cycle.id)
    # The linter reads the cycle's figures: only where the page offers approval (an editor,
    # the newest version a draft, nothing left to render).
    approvable = (
        account.role in EDITOR_ROLES
        and render.status == "done"
        and render.latest is not None
        and render.latest.status == ReportStatus.DRAFT
    )
    lint_count = (
        len(lint_report(session, cycle_id=cycle.id, now=app_clock(request).now()))
        if approvable
        else 0
    )
    return page(
        request,
        session,
        account,
        "console/report.html",
        {
            "cycle": cycle,
            "is_mayor": is_mayor,
            "render": render,
            "lint_count": lint_count,
            "download": download,
            "waiting": waiting,
            "labels": SIGNATURE_CHECK_LABELS,
            "chain_labels": CHAIN_LABELS,
            "kep_signers": {
                s.id: signers_from_json(s.kep_signers)
                for group in signatures.values()
                for s in group
            },
            "can_sign": may_sign(account.role),
            "versions": [
                {
                    "version": v,
                    "status": REPORT_STATUS_LABELS[v.status],
                    "signatures": signatures[v.id],
                    "official": authoritative(signatures[v.id]),
                    "newest": i == 0,
                    "file": report_file(session, version=v, year=cycle.year),
                }
                for i, v in enumerate(versions)
            ],
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/report")
def report_page(
    request: Request,
    session: DB,
    account: ConsoleReader,
    cycle: ConsoleCycle,
) -> Response:
    """The report's versions and signatures, saying exactly what was verified here."""
    return _report(request, session, account, cycle)


@router.post("/console/cycles/{cycle_id}/report/render")
def regenerate(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Ask for a new version: the sweep renders it outside this request."""
    request_new_version(session, cycle_id=cycle.id, now=now, actor=actor)
    return done(
        request,
        f"/console/cycles/{cycle.id}/report#render",
        "Нову версію замовлено: її буде сформовано найближчим часом.",
    )


@router.post("/console/cycles/{cycle_id}/report/versions/{number}/approve")
def approve(
    number: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Approve the newest draft; a refusal is shown beside the button."""
    try:
        approve_version(session, cycle_id=cycle.id, number=number, now=now, actor=actor)
    except DomainError as exc:
        return refused(_report, request, session, account, cycle, f"approve-{number}", exc)
    return done(
        request,
        f"/console/cycles/{cycle.id}/report#version-{number}",
        f"Версію {number} затверджено.",
    )


def _upload(upload: UploadFile | None, field: str, missing: str) -> bytes:
    if upload is None or not upload.filename:
        raise Invalid(missing, field=field)
    return read_upload(upload, field)


@router.post("/console/cycles/{cycle_id}/report/versions/{number}/sign")
def sign(
    number: int,
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    pkcs12: OptionalFile = None,
    password: FormText = "",
) -> Response:
    """Sign an approved version (PAdES) with the organization's PKCS#12; the key is not kept.

    The service refuses anyone but the coordinator. A plain (threadpool) route: pyHanko runs
    its own event loop.
    """
    try:
        version = get_version(session, cycle_id=cycle.id, number=number)
        sign_version_pades(
            session,
            version=version,
            pkcs12=_upload(pkcs12, "pkcs12", "Оберіть файл PKCS#12 (.p12 або .pfx)."),
            password=password or None,
            tsa_url=settings.tsa_url,
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_report, request, session, account, cycle, f"sign-{number}", exc)
    return done(
        request,
        f"/console/cycles/{cycle.id}/report#version-{number}",
        f"Версію {number} підписано.",
    )


@router.post("/console/cycles/{cycle_id}/report/versions/{number}/p7s")
def upload_p7s(
    number: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    p7s: OptionalFile = None,
) -> Response:
    """Attach a detached signature (.p7s) made by a qualified e-signature service."""
    try:
        version = get_version(session, cycle_id=cycle.id, number=number)
        attach_p7s(
            session,
            version=version,
            p7s=_upload(p7s, "p7s", "Оберіть файл підпису .p7s."),
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_report, request, session, account, cycle, f"p7s-{number}", exc)
    return done(
        request,
        f"/console/cycles/{cycle.id}/report#version-{number}",
        f"Підпис до версії {number} додано.",
    )
