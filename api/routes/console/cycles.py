"""A cycle's page (timeline, figures, links, report and audit trail), sending the units their
links, and the coordinator's stage actions."""

from datetime import date
from typing import Any

import segno
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Now
from api.routes.console.common import FormText, done, page, see_other
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCoordinator,
    ConsoleCycle,
    ConsoleReader,
    console_router,
)
from api.routes.console.presenters import stage_rows
from models.account import Role
from models.cycle import AuditCycle, StageKind, StageStatus
from models.errors import DomainError, Invalid, NotFound
from models.security import new_token
from models.services.cycles import questionnaire_url, survey_url, unit_links
from models.services.events import list_events
from models.services.link_mailing import enqueue_unit_links, link_mailings
from models.services.questionnaires import PROGRESS_LABELS, unit_progress
from models.services.report.context import questionnaire_counts
from models.services.report.downloads import report_file
from models.services.report.versions import downloadable_version, latest_version
from models.services.stages import change_stage_early, extend_stage, skip_stage
from models.services.surveys.questions import count_responses
from models.settings import Settings

router = console_router()


def _links(session: Session, cycle_id: int, settings: Settings) -> list[dict[str, Any]]:
    """The units' secret questionnaire links as full addresses, with when each was mailed."""
    mailings = link_mailings(session, cycle_id=cycle_id)
    return [
        {
            "id": link.audited_unit_id,
            "unit": link.unit_name,
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


@router.get("/console/cycles/{cycle_id}")
def cycle_page(
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: ConsoleReader,
    cycle: ConsoleCycle,
) -> Response:
    """A cycle's timeline, figures, links, report and audit trail."""
    url = survey_url(settings.base_url, cycle.survey_slug)
    # The mayor's office reads the cycle, but the units' secret links are not theirs to see.
    show_links = account.role != Role.MAYOR_OFFICE
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
            "progress": unit_progress(session, cycle_id=cycle.id),
            "progress_labels": PROGRESS_LABELS,
            "participants": count_responses(session, cycle_id=cycle.id),
            "links": links,
            "survey_url": url,
            "survey_qr": segno.make(url, error="m").svg_inline(scale=4, title="QR-код опитування"),
            **_report_download(session, cycle, account.role),
            "request_key": new_token(12),
            "unmailed": sum(1 for link in links if link["email"] and link["mailing"] is None),
            "events": list(reversed(list_events(session, cycle_id=cycle.id)))[:100],
        },
    )


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


@router.post("/console/cycles/{cycle_id}/stages/{kind}")
def stage_action(
    kind: StageKind,
    session: DB,
    now: Now,
    _coordinator: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    action: FormText = "",
    reason: FormText = "",
    due_on: FormText = "",
) -> Response:
    """Open or close a stage early, extend its due date, or skip interviews — with a reason."""
    common: dict[str, Any] = {
        "cycle_id": cycle.id,
        "kind": kind,
        "reason": reason,
        "now": now,
        "actor": actor,
    }
    if action in ("open", "close"):
        to = StageStatus.OPEN if action == "open" else StageStatus.CLOSED
        change_stage_early(session, to=to, **common)
    elif action == "skip":
        skip_stage(session, **common)
    elif action == "extend":
        try:
            new_due = date.fromisoformat(due_on)
        except ValueError as exc:
            raise DomainError("Нова дата: має бути датою у форматі РРРР-ММ-ДД.") from exc
        extend_stage(session, due_on=new_due, **common)
    else:
        raise DomainError("Невідома дія.")
    return see_other(f"/console/cycles/{cycle.id}#stages")
