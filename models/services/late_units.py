"""A unit's late questionnaire, accepted by the working group with a reason.

Once accepted, the unit's drafts count as submitted and its link takes answers after the remote
audit's due date, until the report is approved (the report then rests on what was collected).
"""

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle, AuditedUnit, CycleStatus, StageKind
from models.errors import Conflict, Invalid, NotFound
from models.organization import Unit
from models.questionnaire import QuestionnaireSubmission, SubmissionStatus
from models.services.events import record_event
from models.services.stage_actions import approved_report_on
from models.services.stages import FINAL, StageWindow, ensure_accepting, get_stage


def remote_audit_over(stage: StageWindow, today: date) -> bool:
    """Whether the remote audit no longer takes answers from units in general."""
    return stage.status in FINAL or today > stage.due_on


def ensure_unit_accepting(
    session: Session, *, audited: AuditedUnit, stage: StageWindow, now: datetime
) -> None:
    """Refuse unless this unit's link takes answers now: the stage's dates, or the working
    group's acceptance of its late questionnaire while the report is not yet approved; a
    historical cycle's answers are entered by the working group afterwards, while it is active."""
    cycle = session.get(AuditCycle, audited.cycle_id)
    if cycle is not None and cycle.is_historical and cycle.status == CycleStatus.ACTIVE:
        return
    if audited.late_accepted_at is not None and remote_audit_over(stage, local_date(now)):
        if approved_report_on(session, cycle_id=audited.cycle_id) is None:
            return
    ensure_accepting(stage, now=now, what="Анкетування")


def accept_late(
    session: Session,
    *,
    cycle_id: int,
    unit_id: int,
    reason: str,
    now: datetime,
    actor: Actor,
) -> AuditedUnit:
    """Accept one unit's late questionnaire: its drafts now count, its link takes answers."""
    audited = session.scalar(
        select(AuditedUnit).where(AuditedUnit.cycle_id == cycle_id, AuditedUnit.unit_id == unit_id)
    )
    if audited is None:
        raise NotFound("Підрозділ не входить до переліку підрозділів аудиту.")
    reason = reason.strip()
    if len(reason) < 3:
        raise Invalid("Вкажіть причину (щонайменше 3 символи).", field="reason")
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    unit = session.get(Unit, audited.unit_id)
    assert unit is not None
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.REMOTE_AUDIT)
    if not remote_audit_over(stage, local_date(now)):
        raise Conflict(
            f"Анкетування триває до {stage.due_on:%d.%m.%Y}: анкети підрозділу «{unit.name}» "
            "приймаються і без окремого рішення."
        )
    if audited.late_accepted_at is not None:
        raise Conflict(f"Анкету підрозділу «{unit.name}» із запізненням уже прийнято.")
    approved = approved_report_on(session, cycle_id=cycle_id)
    if cycle.status == CycleStatus.COMPLETED or approved is not None:
        raise Conflict(
            f"Звіт за результатами аудиту затверджено{f' {approved:%d.%m.%Y}' if approved else ''}:"
            " прийняти анкету із запізненням не можна, бо звіт ґрунтується на зібраних даних."
        )
    counted = session.execute(
        update(QuestionnaireSubmission)
        .where(
            QuestionnaireSubmission.audited_unit_id == audited.id,
            QuestionnaireSubmission.status == SubmissionStatus.DRAFT,
        )
        .values(status=SubmissionStatus.SUBMITTED, submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    audited.late_accepted_at = now
    audited.late_accepted_by = actor.label
    audited.late_reason = reason
    session.flush()
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="questionnaire.late_accepted",
        at=now,
        actor=actor,
        details={"unit": unit.name, "reason": reason, "drafts_counted": counted},
    )
    return audited


def late_unit_ids(
    session: Session, *, cycle_id: int, now: datetime, outstanding_only: bool = False
) -> set[int]:
    """Audited units late with their questionnaire: none submitted after the due date, or (unless
    `outstanding_only`) one accepted late."""
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.REMOTE_AUDIT)
    accepted = (
        set()
        if outstanding_only
        else set(
            session.scalars(
                select(AuditedUnit.id).where(
                    AuditedUnit.cycle_id == cycle_id, AuditedUnit.late_accepted_at.is_not(None)
                )
            )
        )
    )
    if not remote_audit_over(stage, local_date(now)):
        return accepted
    submitted = select(QuestionnaireSubmission.audited_unit_id).where(
        QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED
    )
    missing = set(
        session.scalars(
            select(AuditedUnit.id).where(
                AuditedUnit.cycle_id == cycle_id, AuditedUnit.id.not_in(submitted)
            )
        )
    )
    return accepted | missing
