"""The interview schedule: propose (unit, officials, auditor, date and time, place), approve,
record notes and findings, or record the working group's decision not to hold interviews.

The coordinator and working-group members propose and approve; auditors record notes too.
"""

from datetime import date, datetime, time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import DB, Now, app_clock
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import WORKING_GROUP_ROLES, Account
from models.clock import KYIV, local_date
from models.cycle import AuditCycle, AuditedUnit, Auditor, StageKind, StageStatus
from models.errors import DomainError, Invalid
from models.interview import Interview
from models.organization import Unit
from models.services.interviews import (
    InterviewPlan,
    approve_schedule,
    list_interviews,
    propose_interview,
    record_interview,
    remove_interview,
    update_interview,
)
from models.services.stages import get_stage, skip_stage

router = console_router()
MAX_TEXT = 20_000


def _moment(day: str, clock_time: str, *, field: str, required: bool) -> datetime | None:
    """A Kyiv date and time from the form's date and time fields."""
    if not day.strip() and not required:
        return None
    try:
        parsed_day = date.fromisoformat(day.strip())
        parsed_time = time.fromisoformat(clock_time.strip()) if clock_time.strip() else time(10)
    except ValueError as exc:
        raise Invalid("Дата і час: вкажіть дату (РРРР-ММ-ДД) і час (ГГ:ХХ).", field=field) from exc
    return datetime.combine(parsed_day, parsed_time, tzinfo=KYIV)


def _form_moments(interview: Interview) -> dict[str, str]:
    """The scheduled and held moments as the forms' Kyiv date and time values."""
    scheduled = interview.scheduled_at.astimezone(KYIV) if interview.scheduled_at else None
    held = interview.held_at.astimezone(KYIV) if interview.held_at else scheduled
    return {
        "day": f"{scheduled:%Y-%m-%d}" if scheduled else "",
        "at_time": f"{scheduled:%H:%M}" if scheduled else "",
        "held_on": f"{held:%Y-%m-%d}" if held else "",
        "held_time": f"{held:%H:%M}" if held else "",
    }


def _interviews(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    units = session.execute(
        select(Unit.id, Unit.name)
        .join(AuditedUnit, AuditedUnit.unit_id == Unit.id)
        .where(AuditedUnit.cycle_id == cycle.id)
        .order_by(AuditedUnit.position)
    ).all()
    auditors = session.scalars(
        select(Auditor)
        .where(Auditor.cycle_id == cycle.id, Auditor.is_involved_only.is_(False))
        .order_by(Auditor.id)
    ).all()
    unit_names = {unit_id: name for unit_id, name in units}
    auditor_names = {a.id: a.full_name for a in auditors}
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.INTERVIEWS)
    interviews = list_interviews(session, cycle_id=cycle.id)
    return page(
        request,
        session,
        account,
        "console/interviews.html",
        {
            "cycle": cycle,
            "stage": stage,
            "skipped": stage.status == StageStatus.SKIPPED,
            "units": units,
            "auditors": auditors,
            "rows": [
                {
                    "interview": i,
                    "unit": unit_names.get(i.unit_id, "—"),
                    "auditor": auditor_names.get(i.auditor_id or 0, ""),
                    **_form_moments(i),
                }
                for i in interviews
            ],
            "pending": sum(1 for i in interviews if i.approved_at is None),
            "can_record": account.role in WORKING_GROUP_ROLES,
            "today": local_date(app_clock(request).now()).isoformat(),
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/interviews")
def interviews_page(
    request: Request,
    session: DB,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
) -> Response:
    """The interview schedule, its approval, notes and findings."""
    return _interviews(request, session, account, cycle)


def plan_values(
    unit_id: FormText = "",
    officials: FormText = "",
    auditor_id: FormText = "",
    day: FormText = "",
    at_time: FormText = "",
    place: FormText = "",
) -> dict[str, str]:
    """The propose and edit forms' fields, as typed (kept when the form is refused)."""
    return {
        "unit_id": unit_id,
        "officials": officials,
        "auditor_id": auditor_id,
        "day": day,
        "at_time": at_time,
        "place": place,
    }


PlanValues = Annotated[dict[str, str], Depends(plan_values)]


@router.post("/console/cycles/{cycle_id}/interviews")
def propose(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    values: PlanValues,
) -> Response:
    """Add an interview to the proposed schedule."""
    try:
        plan = _plan(values)
        propose_interview(session, cycle_id=cycle.id, plan=plan, now=now, actor=actor)
    except DomainError as exc:
        return refused(
            _interviews, request, session, account, cycle, "propose", _day_field(exc), values
        )
    return done(request, f"/console/cycles/{cycle.id}/interviews#schedule", "Інтерв’ю додано.")


def _plan(values: dict[str, str]) -> InterviewPlan:
    """An interview plan from the propose or edit form (field names as in the form)."""
    if not values["unit_id"].isdigit():
        raise Invalid("Оберіть підрозділ.", field="unit_id")
    if len(values["officials"]) > 2000 or len(values["place"]) > 300:
        raise Invalid("Задовгий текст: посадові особи до 2000, місце до 300 символів.")
    scheduled_at = _moment(values["day"], values["at_time"], field="day", required=True)
    assert scheduled_at is not None
    return InterviewPlan(
        unit_id=int(values["unit_id"]),
        officials=values["officials"],
        scheduled_at=scheduled_at,
        place=values["place"],
        auditor_id=int(values["auditor_id"]) if values["auditor_id"].isdigit() else None,
    )


def _day_field(exc: DomainError) -> DomainError:
    # The service names the plan's field; the form's is the date.
    if exc.field == "scheduled_at":
        exc.field = "day"
    elif exc.field == "held_at":
        exc.field = "held_on"
    return exc


@router.post("/console/cycles/{cycle_id}/interviews/{interview_id}/plan")
def change(
    interview_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    values: PlanValues,
) -> Response:
    """Change an interview not yet held (a changed approved one needs approval again)."""
    try:
        update_interview(
            session,
            cycle_id=cycle.id,
            interview_id=interview_id,
            plan=_plan(values),
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        form = f"edit-{interview_id}"
        return refused(_interviews, request, session, account, cycle, form, _day_field(exc), values)
    return done(request, f"/console/cycles/{cycle.id}/interviews#schedule", "Інтерв’ю змінено.")


@router.post("/console/cycles/{cycle_id}/interviews/{interview_id}/remove")
def remove(
    interview_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Remove an interview not yet held from the schedule."""
    try:
        remove_interview(
            session, cycle_id=cycle.id, interview_id=interview_id, now=now, actor=actor
        )
    except DomainError as exc:
        form = f"edit-{interview_id}"
        return refused(_interviews, request, session, account, cycle, form, exc, {})
    return done(request, f"/console/cycles/{cycle.id}/interviews#schedule", "Інтерв’ю видалено.")


@router.post("/console/cycles/{cycle_id}/interviews/approve")
def approve(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Approve the proposed schedule (the approval and its date are recorded)."""
    try:
        approve_schedule(session, cycle_id=cycle.id, now=now, actor=actor)
    except DomainError as exc:
        return refused(_interviews, request, session, account, cycle, "approve", exc, {})
    return done(request, f"/console/cycles/{cycle.id}/interviews#schedule", "Графік затверджено.")


@router.post("/console/cycles/{cycle_id}/interviews/skip")
def skip(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    reason: FormText = "",
) -> Response:
    """Record the decision not to hold interviews, with the reason the report will give."""
    try:
        if len(reason.strip()) < 3 or len(reason) > 2000:
            raise Invalid("Причина: від 3 до 2000 символів.", field="reason")
        skip_stage(
            session,
            cycle_id=cycle.id,
            kind=StageKind.INTERVIEWS,
            reason=reason.strip(),
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(
            _interviews, request, session, account, cycle, "skip", exc, {"reason": reason}
        )
    return done(request, f"/console/cycles/{cycle.id}/interviews", "Рішення записано.")


@router.post("/console/cycles/{cycle_id}/interviews/{interview_id}")
def record(
    interview_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    notes: FormText = "",
    findings: FormText = "",
    held_on: FormText = "",
    held_time: FormText = "",
) -> Response:
    """Record an approved interview as held on the given day, with its notes and findings."""
    form = f"record-{interview_id}"
    values = {"notes": notes, "findings": findings, "held_on": held_on, "held_time": held_time}
    try:
        if len(notes) > MAX_TEXT or len(findings) > MAX_TEXT:
            raise Invalid(f"Нотатки і висновки: не більше {MAX_TEXT} символів кожне.")
        held_at = _moment(held_on, held_time, field="held_on", required=True)
        record_interview(
            session,
            cycle_id=cycle.id,
            interview_id=interview_id,
            notes=notes,
            findings=findings,
            held_at=held_at,
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_interviews, request, session, account, cycle, form, _day_field(exc), values)
    return done(
        request, f"/console/cycles/{cycle.id}/interviews#interview-{interview_id}", "Збережено."
    )
