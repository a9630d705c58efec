"""The report's versions: the full context, which version is due, approval and what may be
downloaded. Draft → approved (its PDF frozen; any change renders a new version) → signed."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.account import Role
from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle, StageKind, StageStatus
from models.errors import Conflict, NotFound
from models.event import AuditEvent
from models.report import Report, ReportStatus, ReportVersion, Signature
from models.services.events import record_cycle_event, record_event
from models.services.interviews import interviews_context
from models.services.report_text import (
    ensure_report,
    narrative_context,
    recommendations_context,
    request_render,
)
from models.services.reports import (
    build_report_context,
    get_report,
    latest_version,
    next_version_number,
)
from models.services.stages import get_stage

READY = (ReportStatus.APPROVED, ReportStatus.SIGNED)
RENDER_FAILED = "report.render_failed"
RENDER_FAILED_MESSAGE = "Внутрішня помилка під час формування звіту."


def full_report_context(
    session: Session, *, cycle_id: int, now: datetime, version: int
) -> dict[str, Any]:
    """The figures' context plus the working group's text and the interviews."""
    context = build_report_context(session, cycle_id=cycle_id, now=now, version=version)
    context["narrative"] = narrative_context(session, cycle_id=cycle_id)
    context["interviews"] = interviews_context(session, cycle_id=cycle_id)
    context["recommendations"] = recommendations_context(
        session, cycle_id=cycle_id, context=context
    )
    return context


def render_due(session: Session, *, cycle_id: int) -> bool:
    """No version yet, or the text changed since the newest version's context was built."""
    if latest_version(session, cycle_id=cycle_id) is None:
        return True
    report = get_report(session, cycle_id=cycle_id)
    return report is not None and report.render_requested_at is not None


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


def list_versions(session: Session, *, cycle_id: int) -> list[ReportVersion]:
    """Every version of the cycle's report, newest first."""
    return list(
        session.scalars(
            select(ReportVersion)
            .join(Report, Report.id == ReportVersion.report_id)
            .where(Report.cycle_id == cycle_id)
            .order_by(ReportVersion.number.desc())
        )
    )


def get_version(session: Session, *, cycle_id: int, number: int) -> ReportVersion:
    """One version by its number (404 for an unknown one)."""
    version = session.scalar(
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.cycle_id == cycle_id, ReportVersion.number == number)
    )
    if version is None:
        raise NotFound(f"Версію звіту {number} не знайдено.")
    return version


def approve_version(
    session: Session, *, cycle_id: int, number: int, now: datetime, actor: Actor
) -> ReportVersion:
    """Approve the newest draft: its PDF is frozen from now on."""
    version = get_version(session, cycle_id=cycle_id, number=number)
    latest = latest_version(session, cycle_id=cycle_id)
    assert latest is not None
    if version.status != ReportStatus.DRAFT:
        raise Conflict(f"Версію {number} вже затверджено.")
    if version.id != latest.id:
        raise Conflict(
            f"Затвердити можна лише найновішу версію ({latest.number}), а не версію {number}."
        )
    if render_due(session, cycle_id=cycle_id):
        raise Conflict(
            "Текст звіту змінено після формування цієї версії: дочекайтеся нової версії "
            "і затвердьте її."
        )
    version.status = ReportStatus.APPROVED
    version.approved_at = now
    version.approved_by = actor.label
    session.flush()
    record_version_event(
        session,
        version,
        action="report.approved",
        now=now,
        actor=actor,
        details={"version": version.number, "sha256": version.sha256},
    )
    return version


def record_version_event(
    session: Session,
    version: ReportVersion,
    *,
    action: str,
    now: datetime,
    actor: Actor,
    details: dict[str, Any],
) -> None:
    """Record in the cycle's audit trail something done to a report version."""
    report = session.get(Report, version.report_id)
    assert report is not None
    cycle = session.get(AuditCycle, report.cycle_id)
    assert cycle is not None
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle.id,
        action=action,
        at=now,
        actor=actor,
        details=details,
    )


def signatures_of(session: Session, *, version_id: int) -> list[Signature]:
    """A version's signatures, oldest first."""
    return list(
        session.scalars(
            select(Signature)
            .where(Signature.report_version_id == version_id)
            .order_by(Signature.id)
        )
    )


def downloadable_version(session: Session, *, cycle_id: int, role: Role) -> ReportVersion:
    """The version a role may download: the mayor's office only an approved or signed one."""
    versions = list_versions(session, cycle_id=cycle_id)
    if not versions:
        raise NotFound("Звіт ще не сформовано: він з’явиться на етапі підготовки звіту.")
    if role != Role.MAYOR_OFFICE:
        return versions[0]
    ready = [v for v in versions if v.status in READY]
    signed = [v for v in ready if v.status == ReportStatus.SIGNED]
    if signed:
        return signed[0]
    if ready:
        return ready[0]
    raise NotFound("Звіт ще не затверджено: завантажити можна затверджений або підписаний звіт.")


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


def approved_text_notice(session: Session, *, cycle_id: int) -> str | None:
    """What editing the text means once the newest version is approved (None before that).

    The approved (and signed) version never changes: an edit makes a new draft version, which
    has to be approved again.
    """
    latest = latest_version(session, cycle_id=cycle_id)
    if latest is None or latest.status not in READY:
        return None
    assert latest.approved_at is not None
    return (
        f"Версію {latest.number} звіту затверджено {local_date(latest.approved_at):%d.%m.%Y}; "
        "вона не зміниться. Збережені зміни увійдуть до нової версії-чернетки, яку потрібно "
        "буде затвердити знову."
    )
