"""A cycle's page (timeline, figures, links, report and audit trail), sending the units their
links, and the coordinator's stage actions."""

from datetime import date
from typing import Any

import segno
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Now, app_clock
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleAuditing,
    ConsoleCoordinator,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleReader,
    console_router,
)
from api.routes.console.presenters import stage_rows, unit_lateness
from flows.portal_snapshot import start_portal_snapshot
from models.account import WORKING_GROUP_ROLES, Account, Role
from models.cycle import AuditCycle, StageKind, StageStatus
from models.errors import DomainError, Invalid, NotFound
from models.security import new_token
from models.services.cycles import questionnaire_url, survey_url, unit_links
from models.services.events import list_events
from models.services.late_units import accept_late, late_unit_ids
from models.services.link_mailing import enqueue_unit_links, link_mailings
from models.services.portal_snapshots import (
    current_snapshot,
    request_snapshot,
    snapshot_status_text,
)
from models.services.publication import get_portal_source
from models.services.questionnaires import PROGRESS_LABELS, unit_progress
from models.services.register import count_register
from models.services.report.context import questionnaire_counts
from models.services.report.downloads import report_file
from models.services.report.versions import downloadable_version, latest_version
from models.services.stage_actions import change_stage_early, extend_stage, reopen_stage
from models.services.stages import skip_stage
from models.services.surveys.totals import survey_participants
from models.services.trail import describe_events
from models.settings import Settings

router = console_router()


def _links(session: Session, cycle_id: int, settings: Settings) -> list[dict[str, Any]]:
    """The units' secret questionnaire links as full addresses, with when each was mailed."""
    mailings = link_mailings(session, cycle_id=cycle_id)
    return [
        {
            "id": link.audited_unit_id,
            "unit": link.unit_name,
            "unit_id": str(link.unit_id),
            "email": link.unit_email,
            "url": questionnaire_url(settings.base_url, link.token),
            "mailing": mailings.get(link.audited_unit_id),
        }
        for link in unit_links(session, cycle_id=cycle_id, secret_key=settings.secret_key)
    ]


def _report_download(session: Session, cycle: AuditCycle, role: Role) -> dict[str, Any]:
    """The report file this role downloads from the cycle page (the mayor's office: a signed
    one only), or why there is none yet."""
    try:
        version = downloadable_version(session, cycle_id=cycle.id, role=role)
    except NotFound as exc:
        rendered = latest_version(session, cycle_id=cycle.id) is not None
        return {"report": None, "report_waiting": exc.message if rendered else None}
    return {
        "report": report_file(session, version=version, year=cycle.year),
        "report_waiting": None,
    }


def _cycle_page(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """A cycle's timeline, figures, links, report and audit trail (with a refused form's error)."""
    settings = request.app.state.settings
    now = app_clock(request).now()
    url = survey_url(settings.base_url, cycle.survey_slug)
    # The mayor's office reads the cycle, but the units' secret links are not theirs to see.
    show_links = account.role != Role.MAYOR_OFFICE
    working = account.role in WORKING_GROUP_ROLES
    progress = unit_progress(session, cycle_id=cycle.id)
    late = late_unit_ids(session, cycle_id=cycle.id, now=now)
    links = _links(session, cycle.id, settings) if show_links else []
    return page(
        request,
        session,
        account,
        "console/cycle.html",
        {
            "cycle": cycle,
            "stages": stage_rows(cycle, now),
            "counts": questionnaire_counts(session, cycle_id=cycle.id),
            "progress": progress,
            "progress_labels": PROGRESS_LABELS,
            "units_submitted": sum(1 for row in progress if row.submitted),
            "late_units": unit_lateness(session, cycle_id=cycle.id, late=late),
            "participants": survey_participants(session, cycle_id=cycle.id),
            "links": links,
            "survey_url": url,
            "survey_qr": segno.make(url, error="m").svg_inline(scale=4, title="QR-код опитування"),
            **_report_download(session, cycle, account.role),
            "request_key": new_token(12),
            "register_count": count_register(session, organization_id=cycle.organization_id),
            # The working group's material (the audit trail, the inventory's exports, the
            # portal's snapshots) is not the mayor's office's (README, "Roles").
            "working_material": working,
            "trail": describe_events(
                session, list(reversed(list_events(session, cycle_id=cycle.id)))[:100]
            )
            if working
            else [],
            "error": error or {},
            "values": values or {},
            **_portal(session, cycle.organization_id, account.role),
            "unmailed": sum(1 for link in links if link["email"] and link["mailing"] is None),
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}")
def cycle_page(
    request: Request, session: DB, account: ConsoleReader, cycle: ConsoleCycle
) -> Response:
    """A cycle's timeline, figures, links, report and audit trail."""
    return _cycle_page(request, session, account, cycle)


def _portal(session: Session, organization_id: int, role: Role) -> dict[str, Any]:
    """The portal snapshot's status and whether this account may request one."""
    snapshot = current_snapshot(session, organization_id=organization_id)
    return {
        "portal_source": get_portal_source(session, organization_id=organization_id),
        "snapshot": snapshot,
        "snapshot_text": snapshot_status_text(snapshot) if snapshot else None,
        "can_snapshot": role in (Role.COORDINATOR, Role.AUDITOR),
    }


@router.post("/console/cycles/{cycle_id}/portal-snapshot")
def portal_snapshot(
    request: Request,
    session: DB,
    now: Now,
    _account: ConsoleAuditing,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Request a snapshot of the portal; the flow runs in the background, the page shows it."""
    snapshot, created = request_snapshot(
        session, organization_id=cycle.organization_id, actor=actor, now=now
    )
    session.commit()  # before the flow starts: it reads the request's row
    if created:
        start_portal_snapshot(cycle.organization_id, now, snapshot.id)
    notice = "Знімок порталу запитано." if created else "Знімок порталу вже триває."
    return done(request, f"/console/cycles/{cycle.id}#portal", notice)


@router.post("/console/cycles/{cycle_id}/links")
def send_links(
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    _coordinator: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    request_key: FormText = "",
    resend: FormText = "",
) -> Response:
    """E-mail the units not mailed yet their secret link (through the outbox; the sweep sends
    it); `resend` ("all" or one audited unit's id) mails again on that explicit choice."""
    if not 8 <= len(request_key) <= 64:
        raise DomainError("Форма застаріла. Оновіть сторінку й спробуйте ще раз.")
    if resend not in ("", "all") and not resend.isdigit():
        raise Invalid("Невідомий підрозділ.", field="resend")
    count = enqueue_unit_links(
        session,
        cycle_id=cycle.id,
        settings=settings,
        now=now,
        request_key=request_key,
        actor=actor,
        resend=[int(resend)] if resend.isdigit() else None,
        resend_all=resend == "all",
    )
    notice = (
        f"Листів поставлено в чергу на надсилання: {count}."
        if count
        else "Нових листів не надіслано: посилання вже надсилали. Щоб надіслати ще раз, "
        "оберіть «Надіслати ще раз» біля підрозділу або для всіх."
    )
    return done(request, f"/console/cycles/{cycle.id}#links", notice)


_STAGE_DONE = {
    "open": "Етап розпочато.",
    "close": "Етап завершено.",
    "skip": "Рішення не проводити етап записано.",
    "extend": "Строк етапу продовжено.",
    "reopen": "Етап відкрито повторно.",
}


@router.post("/console/cycles/{cycle_id}/stages/{kind}")
def stage_action(
    kind: StageKind,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    action: FormText = "",
    reason: FormText = "",
    due_on: FormText = "",
) -> Response:
    """Open or close a stage early, extend or reopen it, or skip interviews — with a reason."""
    common: dict[str, Any] = {
        "cycle_id": cycle.id,
        "kind": kind,
        "reason": reason,
        "now": now,
        "actor": actor,
    }
    values = {"kind": kind.value, "reason": reason, "due_on": due_on}
    try:
        if len(reason) > 2000:
            raise Invalid("Причина: не більше 2000 символів.", field="reason")
        if action in ("open", "close"):
            to = StageStatus.OPEN if action == "open" else StageStatus.CLOSED
            change_stage_early(session, to=to, **common)
        elif action == "skip":
            skip_stage(session, **common)
        elif action in ("extend", "reopen"):
            try:
                new_due = date.fromisoformat(due_on)
            except ValueError as exc:
                raise Invalid(
                    "Нова дата завершення: вкажіть дату (РРРР-ММ-ДД).", field="due_on"
                ) from exc
            change = extend_stage if action == "extend" else reopen_stage
            change(session, due_on=new_due, **common)
        else:
            raise Invalid("Невідома дія.")
    except DomainError as exc:
        return refused(
            _cycle_page, request, session, account, cycle, f"stage-{kind.value}", exc, values
        )
    return done(request, f"/console/cycles/{cycle.id}#stage-{kind.value}", _STAGE_DONE[action])


@router.post("/console/cycles/{cycle_id}/units/{unit_id}/accept-late")
def accept_late_form(
    unit_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    reason: FormText = "",
) -> Response:
    """Accept one unit's late questionnaire, with the reason."""
    try:
        if len(reason) > 2000:
            raise Invalid("Причина: не більше 2000 символів.", field="reason")
        accept_late(
            session, cycle_id=cycle.id, unit_id=unit_id, reason=reason, now=now, actor=actor
        )
    except DomainError as exc:
        values = {"unit_id": str(unit_id), "reason": reason}
        return refused(
            _cycle_page, request, session, account, cycle, f"late-{unit_id}", exc, values
        )
    return done(
        request,
        f"/console/cycles/{cycle.id}#progress",
        "Анкету підрозділу прийнято із запізненням.",
    )
