"""Rendering requests: a change of the text asks for a new version, the sweep renders it when
reporting is open; the console shows whether it is waiting, queued, failed or done."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle, StageKind, StageStatus
from models.event import AuditEvent
from models.report import Report, ReportVersion
from models.services.events import record_cycle_event, record_event
from models.services.report.versions import (
    ensure_report,
    get_report,
    latest_version,
    next_version_number,
    render_due,
)
from models.services.stages import get_stage

RENDER_FAILED = "report.render_failed"
RENDER_FAILED_MESSAGE = "Внутрішня помилка під час формування звіту."


def request_render(session: Session, *, report: Report, now: datetime) -> None:
    """Mark the text as changed: the next flow run renders a new version."""
    report.render_requested_at = now
    session.flush()


def pending_request(session: Session, *, cycle_id: int) -> datetime | None:
    """When the text last changed without a version rendered from it (None: nothing pending)."""
    report = get_report(session, cycle_id=cycle_id)
    return report.render_requested_at if report else None


def clear_request(session: Session, *, cycle_id: int, seen: datetime | None) -> None:
    """A version was rendered from the text as of ``seen``; a later change stays pending."""
    if seen is None:
        return
    session.execute(
        update(Report)
        .where(Report.cycle_id == cycle_id, Report.render_requested_at == seen)
        .values(render_requested_at=None)
        .execution_options(synchronize_session=False)
    )


def record_render_failure(
    session: Session, *, cycle_id: int, number: int, message: str | None, now: datetime
) -> None:
    """Note in the audit trail that rendering a version failed, so the console can say so.

    `message` is for people (Ukrainian); None when the cause is internal and stays in the log.
    """
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        return
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action=RENDER_FAILED,
        at=now,
        details={"version": number, "error": message or RENDER_FAILED_MESSAGE},
    )


RenderStatus = Literal["done", "waiting", "queued", "failed"]


@dataclass(frozen=True)
class RenderState:
    """Where the report's rendering stands, as the console shows it.

    done: the newest version reflects the text; waiting: a version is due but reporting has
    not opened (the sweep renders only then); queued: the sweep renders it on its next run;
    failed: the last attempt failed (the sweep tries again on its next run).
    """

    status: RenderStatus
    latest: ReportVersion | None
    reporting_starts_on: date
    error: str | None = None
    failed_at: datetime | None = None


def render_state(session: Session, *, cycle_id: int) -> RenderState:
    """Whether a version is due, waiting for reporting to open, failed, or done."""
    latest = latest_version(session, cycle_id=cycle_id)
    reporting = get_stage(session, cycle_id=cycle_id, kind=StageKind.REPORTING)
    if not render_due(session, cycle_id=cycle_id):
        return RenderState("done", latest, reporting.starts_on)
    if reporting.status not in (StageStatus.OPEN, StageStatus.CLOSED):
        return RenderState("waiting", latest, reporting.starts_on)
    requested = pending_request(session, cycle_id=cycle_id)
    number = next_version_number(session, cycle_id=cycle_id)
    failure = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.cycle_id == cycle_id, AuditEvent.action == RENDER_FAILED)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    # A failure counts while its version is still missing and nobody asked again since.
    if (
        failure is not None
        and failure.details.get("version") == number
        and (requested is None or failure.at >= requested)
    ):
        return RenderState(
            "failed",
            latest,
            reporting.starts_on,
            error=str(failure.details.get("error") or RENDER_FAILED_MESSAGE),
            failed_at=failure.at,
        )
    return RenderState("queued", latest, reporting.starts_on)


def request_new_version(
    session: Session,
    *,
    cycle_id: int,
    now: datetime,
    actor: Actor,
) -> None:
    """Ask for a new version (the flow renders it, never the request) and note who asked."""
    request_render(session, report=ensure_report(session, cycle_id=cycle_id), now=now)
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.render_requested",
        at=now,
        actor=actor,
    )
