"""Interviews with officials: the proposed schedule, its approval, notes and findings per
interview, or the working group's recorded decision not to hold them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.clock import KYIV, local_date
from models.cycle import AuditCycle, AuditedUnit, Auditor, StageKind, StageStatus
from models.errors import Conflict, Invalid, NotFound
from models.interview import Interview
from models.organization import Unit
from models.services.events import record_event
from models.services.stages import get_stage


@dataclass(frozen=True)
class InterviewPlan:
    """One proposed interview: which unit, whom, who asks, when and where."""

    unit_id: int
    officials: str
    scheduled_at: datetime
    place: str
    auditor_id: int | None = None


def _cycle(session: Session, cycle_id: int) -> AuditCycle:
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    return cycle


def _ensure_not_skipped(session: Session, *, cycle_id: int) -> None:
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.INTERVIEWS)
    if stage.status == StageStatus.SKIPPED:
        raise Conflict(
            "Робоча група вирішила не проводити інтерв’ю"
            + (f" ({stage.skipped_reason})" if stage.skipped_reason else "")
            + ": графік інтерв’ю не ведеться."
        )


def list_interviews(session: Session, *, cycle_id: int) -> list[Interview]:
    """The cycle's interviews in schedule order."""
    return list(
        session.scalars(
            select(Interview)
            .where(Interview.cycle_id == cycle_id)
            .order_by(Interview.scheduled_at, Interview.id)
        )
    )


def get_interview(session: Session, *, cycle_id: int, interview_id: int) -> Interview:
    """One interview of the cycle (404 for another cycle's)."""
    interview = session.get(Interview, interview_id)
    if interview is None or interview.cycle_id != cycle_id:
        raise NotFound("Інтерв’ю не знайдено.")
    return interview


def _ensure_in_stage(session: Session, *, cycle_id: int, moment: datetime, field: str) -> None:
    """Interviews happen within the interview stage's dates (Kyiv calendar days)."""
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.INTERVIEWS)
    if not stage.starts_on <= local_date(moment) <= stage.due_on:
        raise Invalid(
            f"Дата має бути в межах етапу «Інтерв’ю»: {stage.starts_on:%d.%m.%Y}–"
            f"{stage.due_on:%d.%m.%Y}.",
            field=field,
        )


def _check_plan(session: Session, *, cycle_id: int, plan: InterviewPlan) -> None:
    audited = session.scalar(
        select(AuditedUnit.id).where(
            AuditedUnit.cycle_id == cycle_id, AuditedUnit.unit_id == plan.unit_id
        )
    )
    if audited is None:
        raise Invalid("Підрозділ не входить до переліку підрозділів аудиту.", field="unit_id")
    if plan.auditor_id is not None:
        auditor = session.get(Auditor, plan.auditor_id)
        if auditor is None or auditor.cycle_id != cycle_id:
            raise Invalid("Аудитора не знайдено серед аудиторів циклу.", field="auditor_id")
    if not plan.officials.strip():
        raise Invalid("Вкажіть посадових осіб, з якими проводиться інтерв’ю.", field="officials")
    _ensure_in_stage(session, cycle_id=cycle_id, moment=plan.scheduled_at, field="scheduled_at")


def propose_interview(
    session: Session, *, cycle_id: int, plan: InterviewPlan, now: datetime, actor: Actor
) -> Interview:
    """Add an interview to the proposed schedule; the schedule then needs (re)approval."""
    cycle = _cycle(session, cycle_id)
    _ensure_not_skipped(session, cycle_id=cycle_id)
    _check_plan(session, cycle_id=cycle_id, plan=plan)
    interview = Interview(
        cycle_id=cycle_id,
        unit_id=plan.unit_id,
        auditor_id=plan.auditor_id,
        officials=plan.officials.strip(),
        scheduled_at=plan.scheduled_at,
        place=plan.place.strip(),
    )
    session.add(interview)
    session.flush()
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="interview.proposed",
        at=now,
        actor=actor,
        details={"interview": interview.id, "unit": plan.unit_id},
    )
    return interview


def _not_held(session: Session, *, cycle_id: int, interview_id: int, verb: str) -> Interview:
    interview = get_interview(session, cycle_id=cycle_id, interview_id=interview_id)
    if interview.held_at is not None:
        raise Conflict(
            f"Інтерв’ю вже проведено {local_date(interview.held_at):%d.%m.%Y}: {verb} його "
            "не можна."
        )
    return interview


def update_interview(
    session: Session,
    *,
    cycle_id: int,
    interview_id: int,
    plan: InterviewPlan,
    now: datetime,
    actor: Actor,
) -> Interview:
    """Change an interview not yet held; a changed approved one needs approval again."""
    cycle = _cycle(session, cycle_id)
    _ensure_not_skipped(session, cycle_id=cycle_id)
    interview = _not_held(session, cycle_id=cycle_id, interview_id=interview_id, verb="змінити")
    _check_plan(session, cycle_id=cycle_id, plan=plan)
    new = {
        "unit_id": plan.unit_id,
        "auditor_id": plan.auditor_id,
        "officials": plan.officials.strip(),
        "scheduled_at": plan.scheduled_at,
        "place": plan.place.strip(),
    }
    changed = [k for k, v in new.items() if getattr(interview, k) != v]
    if not changed:
        return interview
    for key in changed:
        setattr(interview, key, new[key])
    was_approved = interview.approved_at is not None
    interview.approved_at = None
    interview.approved_by = None
    session.flush()
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="interview.updated",
        at=now,
        actor=actor,
        details={"interview": interview.id, "changed": changed, "approval_reset": was_approved},
    )
    return interview


def remove_interview(
    session: Session, *, cycle_id: int, interview_id: int, now: datetime, actor: Actor
) -> None:
    """Remove an interview not yet held from the schedule."""
    cycle = _cycle(session, cycle_id)
    interview = _not_held(session, cycle_id=cycle_id, interview_id=interview_id, verb="видалити")
    details = {"interview": interview.id, "unit": interview.unit_id}
    session.delete(interview)
    session.flush()
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="interview.removed",
        at=now,
        actor=actor,
        details=details,
    )


def approve_schedule(
    session: Session, *, cycle_id: int, now: datetime, actor: Actor
) -> list[Interview]:
    """Approve the proposed schedule: every interview not yet approved gets today's approval."""
    cycle = _cycle(session, cycle_id)
    _ensure_not_skipped(session, cycle_id=cycle_id)
    interviews = list_interviews(session, cycle_id=cycle_id)
    if not interviews:
        raise Conflict("Графік інтерв’ю порожній: спершу додайте інтерв’ю.")
    pending = [i for i in interviews if i.approved_at is None]
    for interview in pending:  # the stage's dates may have moved since it was proposed
        assert interview.scheduled_at is not None
        _ensure_in_stage(
            session, cycle_id=cycle_id, moment=interview.scheduled_at, field="scheduled_at"
        )
    for interview in pending:
        interview.approved_at = now
        interview.approved_by = actor.label
    session.flush()
    if pending:
        record_event(
            session,
            organization_id=cycle.organization_id,
            cycle_id=cycle_id,
            action="interviews.schedule_approved",
            at=now,
            actor=actor,
            details={"interviews": [i.id for i in pending]},
        )
    return interviews


def record_interview(
    session: Session,
    *,
    cycle_id: int,
    interview_id: int,
    notes: str,
    findings: str,
    held_at: datetime | None,
    now: datetime,
    actor: Actor,
) -> Interview:
    """Record an approved interview as held on the day it was held (by default its scheduled
    moment, never in the future), with its notes and findings."""
    cycle = _cycle(session, cycle_id)
    interview = get_interview(session, cycle_id=cycle_id, interview_id=interview_id)
    if interview.approved_at is None:
        raise Conflict("Інтерв’ю ще не затверджено у графіку: спершу затвердьте графік.")
    held = held_at or interview.held_at or interview.scheduled_at
    assert held is not None
    if held > now:
        raise Invalid(
            f"Дата проведення {local_date(held):%d.%m.%Y} ще не настала: інтерв’ю записують "
            "після того, як його проведено.",
            field="held_at",
        )
    _ensure_in_stage(session, cycle_id=cycle_id, moment=held, field="held_at")
    interview.notes = notes.strip()
    interview.findings = findings.strip()
    interview.held_at = held
    session.flush()
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="interview.recorded",
        at=now,
        actor=actor,
        details={"interview": interview.id},
    )
    return interview


def interviews_context(session: Session, *, cycle_id: int) -> dict[str, Any]:
    """The report's interviews section: held or not, the schedule, notes and findings."""
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.INTERVIEWS)
    rows = session.execute(
        select(Interview, Unit.name, Auditor.full_name)
        .join(Unit, Unit.id == Interview.unit_id)
        .outerjoin(Auditor, Auditor.id == Interview.auditor_id)
        .where(Interview.cycle_id == cycle_id)
        .order_by(Interview.scheduled_at, Interview.id)
    ).all()
    approved = [i.approved_at for i, _, _ in rows if i.approved_at is not None]
    return {
        "skipped": stage.status == StageStatus.SKIPPED,
        "skipped_reason": stage.skipped_reason,
        "schedule_approved_on": max(approved).astimezone(KYIV).date() if approved else None,
        "items": [
            {
                "unit": unit_name,
                "auditor": auditor_name or "",
                "officials": interview.officials,
                "scheduled_at": interview.scheduled_at.astimezone(KYIV)
                if interview.scheduled_at
                else None,
                "place": interview.place,
                "approved": interview.approved_at is not None,
                "held": interview.held_at is not None,
                "notes": interview.notes,
                "findings": interview.findings,
            }
            for interview, unit_name, auditor_name in rows
        ],
    }
