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
from models.errors import Conflict, NotFound
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


def move_stage(
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
        # The due date is in the key: a stage reopened and closed again is recorded again.
        dedup_key=f"stage:{stage.id}:{new.value}:{stage.due_on}" if actor == SYSTEM else None,
    )
    return True


def prerequisites_final(session: Session, *, cycle_id: int) -> bool:
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
        if kind != StageKind.REPORTING or prerequisites_final(session, cycle_id=cycle_id):
            move_stage(
                session,
                stage,
                old=(StageStatus.PLANNED,),
                new=StageStatus.OPEN,
                now=now,
                organization_id=org,
            )
    if stage.status == StageStatus.OPEN and today > stage.due_on:
        # Reporting also waits for a stage reopened while it runs.
        if kind != StageKind.REPORTING or (
            report_ready and prerequisites_final(session, cycle_id=cycle_id)
        ):
            move_stage(
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
    moved = move_stage(
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
