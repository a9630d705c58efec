"""Open data of a cycle: the publication state per unit and in total, and the requests to
publish the approved report's package on the portal and to take the quarterly monitoring card.

Neither runs in the request: the button records it and the sweep carries it out
(flows/portal_jobs.py); the page says where it stands and links to what it made.
"""

from pathlib import Path
from typing import Annotated

from fastapi import Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Now, app_clock
from api.routes.console.common import done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCoordinator,
    ConsoleCycle,
    ConsoleWorkingGroup,
    console_roles,
    console_router,
)
from models.account import Account, Role
from models.cycle import AuditCycle
from models.errors import DomainError, NotFound
from models.portal_job import PORTAL_JOB_STATUS_LABELS, PortalJobKind
from models.services.analysis import Timeliness, analyse_publication
from models.services.match_review import pending_match_entry_ids
from models.services.portal_jobs import get_job, latest_job, request_job
from models.services.publication import get_portal_source

router = console_router()
MONITORING_ROLES = frozenset({Role.COORDINATOR, Role.AUDITOR})
ConsoleMonitoring = Annotated[Account, console_roles(MONITORING_ROLES)]
LATER = "її виконає наступний обхід (зазвичай за кілька хвилин)."
REQUESTED = {
    PortalJobKind.PUBLISH: f"Публікацію заплановано: {LATER}",
    PortalJobKind.MONITORING: f"Картку моніторингу заплановано: {LATER}",
}


def open_data_url(cycle: AuditCycle, anchor: str = "") -> str:
    """Where the open-data page of a cycle is."""
    return f"/console/cycles/{cycle.id}/open-data" + (f"#{anchor}" if anchor else "")


def _open_data(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    organization_id = cycle.organization_id
    analysis = analyse_publication(
        session, organization_id=organization_id, as_of=app_clock(request).now()
    )
    jobs = {kind: latest_job(session, cycle_id=cycle.id, kind=kind) for kind in PortalJobKind}
    return page(
        request,
        session,
        account,
        "console/open_data.html",
        {
            "cycle": cycle,
            "analysis": analysis,
            "overdue": Timeliness.OVERDUE,
            "pending": len(pending_match_entry_ids(session, organization_id=organization_id)),
            "portal": get_portal_source(session, organization_id=organization_id),
            "publish_job": jobs[PortalJobKind.PUBLISH],
            "monitoring_job": jobs[PortalJobKind.MONITORING],
            "job_labels": PORTAL_JOB_STATUS_LABELS,
            "can_publish": account.role == Role.COORDINATOR,
            "can_monitor": account.role in MONITORING_ROLES,
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/open-data")
def open_data_page(
    request: Request, session: DB, account: ConsoleWorkingGroup, cycle: ConsoleCycle
) -> Response:
    """The publication state per unit and in total; publication and monitoring requests."""
    return _open_data(request, session, account, cycle)


def _request(
    kind: PortalJobKind,
    request: Request,
    session: Session,
    now: Now,
    account: Account,
    cycle: AuditCycle,
    actor: ConsoleActor,
) -> Response:
    try:
        request_job(session, cycle_id=cycle.id, kind=kind, actor=actor, now=now)
    except DomainError as exc:
        return refused(_open_data, request, session, account, cycle, kind.value, exc)
    return done(request, open_data_url(cycle, kind.value), REQUESTED[kind])


@router.post("/console/cycles/{cycle_id}/open-data/publish")
def publish(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Ask for the approved report's package to be published on the portal."""
    return _request(PortalJobKind.PUBLISH, request, session, now, account, cycle, actor)


@router.post("/console/cycles/{cycle_id}/open-data/monitoring")
def monitoring(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleMonitoring,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Ask for a fresh snapshot and the quarter's monitoring card."""
    return _request(PortalJobKind.MONITORING, request, session, now, account, cycle, actor)


@router.get("/console/cycles/{cycle_id}/open-data/jobs/{job_id}/files/{index}")
def job_file(
    job_id: int,
    index: int,
    session: DB,
    settings: AppSettings,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
) -> Response:
    """A file the monitoring wrote (the card's CSV or PDF), only from the data folder."""
    job = get_job(session, cycle_id=cycle.id, job_id=job_id)
    files = [str(f) for f in job.result.get("files", [])]
    if not 0 <= index < len(files):
        raise NotFound("Файл не знайдено.")
    path = Path(files[index]).resolve()
    if not path.is_relative_to(settings.data_dir.resolve()) or not path.is_file():
        raise NotFound("Файл не знайдено.")
    media = "application/pdf" if path.suffix == ".pdf" else "text/csv; charset=utf-8"
    return FileResponse(path, media_type=media, filename=path.name)
