"""The interview schedule: proposing, approving, and recording what an interview found."""

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, WorkingGroup
from models.errors import Invalid
from models.services.interviews import (
    InterviewPlan,
    approve_schedule,
    list_interviews,
    propose_interview,
    record_interview,
    remove_interview,
    update_interview,
)

router = APIRouter(prefix="/api/cycles", tags=["звіт"])


class InterviewCreate(BaseModel):
    """A proposed interview."""

    unit_id: int
    officials: str = Field(min_length=3, max_length=2000)
    scheduled_at: datetime
    place: str = Field(default="", max_length=300)
    auditor_id: int | None = None


class InterviewUpdate(BaseModel):
    """What an interview found."""

    notes: str = Field(default="", max_length=20_000)
    findings: str = Field(default="", max_length=20_000)
    held_at: datetime | None = None


class InterviewRead(BaseModel):
    """An interview of the schedule."""

    id: int
    unit_id: int
    auditor_id: int | None
    officials: str
    scheduled_at: datetime | None
    place: str
    approved_at: datetime | None
    held_at: datetime | None
    notes: str
    findings: str

    model_config = {"from_attributes": True}


@router.get("/{cycle_id}/interviews", response_model=list[InterviewRead])
def interviews(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[InterviewRead]:
    """The interview schedule with notes and findings."""
    return [InterviewRead.model_validate(i) for i in list_interviews(session, cycle_id=cycle.id)]


def _plan(body: InterviewCreate) -> InterviewPlan:
    if body.scheduled_at.tzinfo is None:
        raise Invalid("Вкажіть час з часовим поясом (наприклад, +03:00).", field="scheduled_at")
    return InterviewPlan(
        unit_id=body.unit_id,
        officials=body.officials,
        scheduled_at=body.scheduled_at,
        place=body.place,
        auditor_id=body.auditor_id,
    )


@router.post("/{cycle_id}/interviews", status_code=201, response_model=InterviewRead)
def propose(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: InterviewCreate,
    session: DB,
    now: Now,
) -> InterviewRead:
    """Propose an interview (unit, officials, auditor, date and time, place)."""
    interview = propose_interview(
        session, cycle_id=cycle.id, plan=_plan(body), now=now, actor=actor
    )
    return InterviewRead.model_validate(interview)


@router.put("/{cycle_id}/interviews/{interview_id}/plan", response_model=InterviewRead)
def change(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    interview_id: int,
    body: InterviewCreate,
    session: DB,
    now: Now,
) -> InterviewRead:
    """Change an interview not yet held (a changed approved one needs approval again)."""
    interview = update_interview(
        session,
        cycle_id=cycle.id,
        interview_id=interview_id,
        plan=_plan(body),
        now=now,
        actor=actor,
    )
    return InterviewRead.model_validate(interview)


@router.delete("/{cycle_id}/interviews/{interview_id}", status_code=204)
def remove(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    interview_id: int,
    session: DB,
    now: Now,
) -> Response:
    """Remove an interview not yet held from the schedule."""
    remove_interview(session, cycle_id=cycle.id, interview_id=interview_id, now=now, actor=actor)
    return Response(status_code=204)


@router.post("/{cycle_id}/interviews/approve", response_model=list[InterviewRead])
def approve_interviews(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> list[InterviewRead]:
    """Approve the interview schedule (the approval and its date are recorded)."""
    approved = approve_schedule(session, cycle_id=cycle.id, now=now, actor=actor)
    return [InterviewRead.model_validate(i) for i in approved]


@router.put("/{cycle_id}/interviews/{interview_id}", response_model=InterviewRead)
def record(
    _account: WorkingGroup,
    cycle: OwnCycle,
    actor: CurrentActor,
    interview_id: int,
    body: InterviewUpdate,
    session: DB,
    now: Now,
) -> InterviewRead:
    """Record an interview as held (`held_at`, by default its scheduled time; not in the
    future), with its notes and findings (auditors too)."""
    if body.held_at is not None and body.held_at.tzinfo is None:
        raise Invalid("Вкажіть час з часовим поясом (наприклад, +03:00).", field="held_at")
    interview = record_interview(
        session,
        cycle_id=cycle.id,
        interview_id=interview_id,
        notes=body.notes,
        findings=body.findings,
        held_at=body.held_at,
        now=now,
        actor=actor,
    )
    return InterviewRead.model_validate(interview)
