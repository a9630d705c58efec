"""Facts of a cycle that the report's prose states: the order's auditors, stages as extended,
when questionnaires were actually accepted and from which units, and the day the figures
describe. Plain data for models.services.report.context."""

from datetime import date, datetime, time
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.clock import KYIV, local_date
from models.cycle import AuditCycle, AuditedUnit, Auditor, StageKind
from models.errors import Invalid, NotFound
from models.event import AuditEvent
from models.organization import Unit
from models.questionnaire import QuestionnaireSubmission, SubmissionStatus
from models.report import Report, ReportVersion
from models.services.events import record_cycle_event
from models.services.report.rendering import request_render
from models.services.report.versions import ensure_report, get_report


class PersonContext(TypedDict):
    """An auditor or a person involved by the order."""

    full_name: str
    position: str


class RemoteAuditContext(TypedDict):
    """What the remote audit actually collected, and when."""

    first_on: date | None  # the first submitted questionnaire's day (Kyiv)
    last_on: date | None  # the last one's
    units: list[str]  # units with a submitted questionnaire, in the order's order
    missing: list[str]  # audited units without one


def auditors(session: Session, *, cycle_id: int) -> tuple[list[PersonContext], int]:
    """The cycle's auditors (in order of entry) and how many persons the order involves."""
    rows = list(session.scalars(select(Auditor).where(Auditor.cycle_id == cycle_id)))
    people: list[PersonContext] = [
        {"full_name": a.full_name, "position": a.position} for a in rows if not a.is_involved_only
    ]
    return people, sum(a.is_involved_only for a in rows)


def stage_extensions(session: Session, *, cycle_id: int) -> dict[str, tuple[date, str]]:
    """Per stage kind, its first planned due date and the reason, when the stage was extended."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.cycle_id == cycle_id, AuditEvent.action == "stage.extended")
        .order_by(AuditEvent.id)
    )
    found: dict[str, tuple[date, str]] = {}
    for event in events:
        kind = str(event.details.get("stage", ""))
        if kind and kind not in found and event.details.get("from"):
            found[kind] = (
                date.fromisoformat(str(event.details["from"])),
                str(event.details.get("reason", "")),
            )
    return found


def remote_audit_facts(session: Session, *, cycle_id: int) -> RemoteAuditContext:
    """The days questionnaires were accepted on and the units that did or did not answer."""
    rows = session.execute(
        select(
            Unit.name,
            func.min(QuestionnaireSubmission.submitted_at),
            func.max(QuestionnaireSubmission.submitted_at),
            func.count(QuestionnaireSubmission.id),
        )
        .select_from(AuditedUnit)
        .join(Unit, Unit.id == AuditedUnit.unit_id)
        .outerjoin(
            QuestionnaireSubmission,
            (QuestionnaireSubmission.audited_unit_id == AuditedUnit.id)
            & (QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED),
        )
        .where(AuditedUnit.cycle_id == cycle_id)
        .group_by(AuditedUnit.id, AuditedUnit.position, Unit.name)
        .order_by(AuditedUnit.position)
    ).all()
    firsts = [first for _, first, _, n in rows if n and first is not None]
    lasts = [last for _, _, last, n in rows if n and last is not None]
    return {
        "first_on": local_date(min(firsts)) if firsts else None,
        "last_on": local_date(max(lasts)) if lasts else None,
        "units": [name for name, _, _, n in rows if n],
        "missing": [name for name, _, _, n in rows if not n],
    }


def figures_date(session: Session, *, cycle: AuditCycle) -> date:
    """The day the report's figures describe: the working group's date, else the one the first
    version froze, else the remote audit's start (as the seed's «станом на 23.09.2024»)."""
    report = get_report(session, cycle_id=cycle.id)
    if report is not None and report.figures_as_of is not None:
        return report.figures_as_of
    if report is not None:
        frozen = session.scalar(
            select(ReportVersion.figures_as_of)
            .where(ReportVersion.report_id == report.id, ReportVersion.figures_as_of.is_not(None))
            .order_by(ReportVersion.number)
            .limit(1)
        )
        if frozen is not None:
            return frozen
    remote = next(s for s in cycle.stages if s.kind == StageKind.REMOTE_AUDIT)
    return remote.starts_on


def end_of_day(day: date) -> datetime:
    """The last moment of a Kyiv calendar day: what was known on that day counts."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=KYIV)


def set_figures_date(
    session: Session, *, cycle_id: int, as_of: date, now: datetime, actor: Actor
) -> Report:
    """The working group sets the day the publication analysis describes; a new version follows."""
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    if as_of > local_date(now):
        raise Invalid(
            "Дата, станом на яку наводяться дані, не може бути в майбутньому.", field="as_of"
        )
    if as_of.year < cycle.year - 1:
        raise Invalid(f"Дата має стосуватися {cycle.year} року аудиту.", field="as_of")
    report = ensure_report(session, cycle_id=cycle_id)
    previous = report.figures_as_of
    report.figures_as_of = as_of
    request_render(session, report=report, now=now)
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="report.figures_date_set",
        at=now,
        actor=actor,
        details={"as_of": as_of.isoformat(), "from": previous.isoformat() if previous else None},
    )
    return report


def stage_rows(session: Session, *, cycle: AuditCycle) -> list[dict[str, Any]]:
    """Each stage's planned and actual dates: an extended stage names both."""
    extended = stage_extensions(session, cycle_id=cycle.id)
    return [
        {
            "kind": stage.kind.value,
            "planned_due_on": extended[stage.kind.value][0]
            if stage.kind.value in extended
            else stage.due_on,
            "extended": stage.kind.value in extended,
            "extension_reason": extended[stage.kind.value][1]
            if stage.kind.value in extended
            else "",
        }
        for stage in cycle.stages
    ]
