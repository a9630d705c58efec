"""Stage transitions driven by the clock, and whether a stage accepts answers now.

Every transition is a conditional UPDATE (status must still be the old one), so two runs at
the same instant, or a rerun after a crash, make each transition at most once.
"""

from datetime import date, datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.actor import SYSTEM, Actor
from models.clock import local_date
from models.cycle import (
    STAGE_LABELS,
    AuditCycle,
    CycleStatus,
    Stage,
    StageKind,
    StageStatus,
)
from models.errors import Conflict, Invalid, NotFound
from models.interview import Interview
from models.services.events import record_event

FINAL = (StageStatus.CLOSED, StageStatus.SKIPPED)
# Reporting needs what these stages collect.
REPORTING_NEEDS = (StageKind.CONSULTATION, StageKind.REMOTE_AUDIT, StageKind.INTERVIEWS)


def get_stage(session: Session, *, cycle_id: int, kind: StageKind) -> Stage:
    """One stage of a cycle."""
    stage = session.scalar(select(Stage).where(Stage.cycle_id == cycle_id, Stage.kind == kind))
    if stage is None:
        raise NotFound("Етап не знайдено.")
    return stage


def _move(
    session: Session,
    stage: Stage,
    *,
    old: tuple[StageStatus, ...],
    new: StageStatus,
    now: datetime,
    organization_id: int,
    actor: Actor = SYSTEM,
    reason: str | None = None,
) -> bool:
    values: dict[str, object] = {"status": new, "updated_at": now}
    if new == StageStatus.OPEN:
        values["opened_at"] = now
    if new in FINAL:
        values["closed_at"] = now
    if reason is not None:
        values["skipped_reason"] = reason
    result = session.execute(
        update(Stage)
        .where(Stage.id == stage.id, Stage.status.in_(old))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(stage)
        return False
    session.refresh(stage)
    record_event(
        session,
        organization_id=organization_id,
        cycle_id=stage.cycle_id,
        action=f"stage.{new.value}",
        at=now,
        actor=actor,
        details={"stage": stage.kind.value, **({"reason": reason} if reason else {})},
        dedup_key=f"stage:{stage.id}:{new.value}" if actor == SYSTEM else None,
    )
    return True


def _prerequisites_final(session: Session, *, cycle_id: int) -> bool:
    pending = session.scalar(
        select(func.count(Stage.id)).where(
            Stage.cycle_id == cycle_id,
            Stage.kind.in_(REPORTING_NEEDS),
            Stage.status.not_in(FINAL),
        )
    )
    return pending == 0


def advance_stage(
    session: Session,
    *,
    cycle_id: int,
    kind: StageKind,
    now: datetime,
    report_ready: bool = True,
) -> StageStatus:
    """Open the stage at its start and close it after its due date; returns its status.

    Reporting opens only once consultation, remote audit and interviews are final, and closes
    only when a report exists (`report_ready`).
    """
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    stage = get_stage(session, cycle_id=cycle_id, kind=kind)
    today = local_date(now)
    org = cycle.organization_id
    if stage.status == StageStatus.PLANNED and today >= stage.starts_on:
        if kind != StageKind.REPORTING or _prerequisites_final(session, cycle_id=cycle_id):
            _move(
                session,
                stage,
                old=(StageStatus.PLANNED,),
                new=StageStatus.OPEN,
                now=now,
                organization_id=org,
            )
    if stage.status == StageStatus.OPEN and today > stage.due_on:
        if kind != StageKind.REPORTING or report_ready:
            _move(
                session,
                stage,
                old=(StageStatus.OPEN,),
                new=StageStatus.CLOSED,
                now=now,
                organization_id=org,
            )
    if kind == StageKind.REPORTING and stage.status == StageStatus.CLOSED:
        complete_cycle(session, cycle=cycle, now=now)
    return stage.status


def complete_cycle(session: Session, *, cycle: AuditCycle, now: datetime) -> bool:
    """Mark the cycle completed once (all stages final)."""
    result = session.execute(
        update(AuditCycle)
        .where(AuditCycle.id == cycle.id, AuditCycle.status == CycleStatus.ACTIVE)
        .values(status=CycleStatus.COMPLETED, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(cycle)
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle.id,
        action="cycle.completed",
        at=now,
        dedup_key=f"cycle:{cycle.id}:completed",
    )
    return True


def skip_stage(
    session: Session,
    *,
    cycle_id: int,
    kind: StageKind,
    reason: str,
    now: datetime,
    actor: Actor,
) -> Stage:
    """Record the working group's decision not to hold a stage (interviews only), with reason.

    Refused once an interview has been held: the report cannot both give its findings and say
    that none were held. (Every way to skip, API, cycle page and interviews page, comes here.)
    """
    if kind != StageKind.INTERVIEWS:
        raise Conflict("Пропустити можна лише етап інтерв’ю.")
    held = session.scalar(
        select(Interview.id)
        .where(Interview.cycle_id == cycle_id, Interview.held_at.is_not(None))
        .limit(1)
    )
    if held is not None:
        raise Conflict("Інтерв’ю вже проводилися: рішення не проводити їх прийняти не можна.")
    if not reason.strip():
        raise Conflict("Вкажіть причину, з якої інтерв’ю не проводяться.", field="reason")
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    stage = get_stage(session, cycle_id=cycle_id, kind=kind)
    moved = _move(
        session,
        stage,
        old=(StageStatus.PLANNED, StageStatus.OPEN),
        new=StageStatus.SKIPPED,
        now=now,
        organization_id=cycle.organization_id,
        actor=actor,
        reason=reason.strip(),
    )
    if not moved and stage.status != StageStatus.SKIPPED:
        raise Conflict(f"Етап «{STAGE_LABELS[kind]}» вже завершено.")
    return stage


class StageWindow(Protocol):
    """What deciding whether a stage takes answers needs (a Stage, or a row of its columns)."""

    @property
    def starts_on(self) -> date: ...
    @property
    def due_on(self) -> date: ...
    @property
    def status(self) -> StageStatus: ...


def ensure_accepting(stage: StageWindow, *, now: datetime, what: str) -> None:
    """Refuse with 409 unless the stage takes answers now (409 names the dates)."""
    today = local_date(now)
    period = f"з {stage.starts_on:%d.%m.%Y} по {stage.due_on:%d.%m.%Y}"
    if stage.status in FINAL or today > stage.due_on:
        raise Conflict(
            f"{what} завершено {stage.due_on:%d.%m.%Y}: відповіді приймалися {period}. "
            "Відповідь не прийнято."
        )
    if stage.status == StageStatus.PLANNED and today < stage.starts_on:
        raise Conflict(f"{what} ще не розпочато: відповіді приймаються {period}.")


def _working_group_action(
    session: Session, *, cycle_id: int, kind: StageKind
) -> tuple[AuditCycle, Stage]:
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    return cycle, get_stage(session, cycle_id=cycle_id, kind=kind)


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 3:
        raise Invalid("Вкажіть причину (щонайменше 3 символи).", field="reason")
    return reason


# What an early transition may start from, how it is recorded, and the refusal otherwise.
_EARLY = {
    StageStatus.OPEN: ((StageStatus.PLANNED,), "stage.opened_early", "уже розпочато або завершено"),
    StageStatus.CLOSED: (
        (StageStatus.OPEN,),
        "stage.closed_early",
        "не триває: закрити його не можна",
    ),
}


def change_stage_early(
    session: Session,
    *,
    cycle_id: int,
    kind: StageKind,
    to: StageStatus,
    reason: str,
    now: datetime,
    actor: Actor,
) -> Stage:
    """Open a planned stage before its start, or close an open one before its due date."""
    reason = _require_reason(reason)
    cycle, stage = _working_group_action(session, cycle_id=cycle_id, kind=kind)
    if to == StageStatus.OPEN and kind == StageKind.REPORTING:
        if not _prerequisites_final(session, cycle_id=cycle_id):
            raise Conflict(
                "Підготовку звіту можна почати лише після завершення консультацій, анкетування "
                "та інтерв’ю."
            )
    old, action, refusal = _EARLY[to]
    moved = _move(
        session,
        stage,
        old=old,
        new=to,
        now=now,
        organization_id=cycle.organization_id,
        actor=actor,
    )
    if not moved:
        raise Conflict(f"Етап «{STAGE_LABELS[kind]}» {refusal}.")
    _note(session, cycle, stage, action, reason, now, actor)
    return stage


def extend_stage(
    session: Session,
    *,
    cycle_id: int,
    kind: StageKind,
    due_on: date,
    reason: str,
    now: datetime,
    actor: Actor,
) -> Stage:
    """Move a stage's due date later (recorded with the old date and the reason)."""
    reason = _require_reason(reason)
    cycle, stage = _working_group_action(session, cycle_id=cycle_id, kind=kind)
    if stage.status in FINAL:
        raise Conflict(f"Етап «{STAGE_LABELS[kind]}» уже завершено: продовжити його не можна.")
    if due_on <= stage.due_on:
        raise Invalid(
            f"Нова дата завершення має бути пізнішою за {stage.due_on:%d.%m.%Y}.", field="due_on"
        )
    if kind != StageKind.REPORTING:
        reporting = get_stage(session, cycle_id=cycle_id, kind=StageKind.REPORTING)
        if kind in REPORTING_NEEDS and due_on >= reporting.starts_on:
            raise Invalid(
                "Етап не може тривати після початку підготовки звіту "
                f"({reporting.starts_on:%d.%m.%Y}); спершу перенесіть підготовку звіту.",
                field="due_on",
            )
    old = stage.due_on
    stage.due_on = due_on
    session.flush()
    _note(
        session,
        cycle,
        stage,
        "stage.extended",
        reason,
        now,
        actor,
        extra={"from": old.isoformat(), "to": due_on.isoformat()},
    )
    return stage


def _note(
    session: Session,
    cycle: AuditCycle,
    stage: Stage,
    action: str,
    reason: str,
    now: datetime,
    actor: Actor,
    extra: dict[str, str] | None = None,
) -> None:
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle.id,
        action=action,
        at=now,
        actor=actor,
        details={"stage": stage.kind.value, "reason": reason, **(extra or {})},
    )
