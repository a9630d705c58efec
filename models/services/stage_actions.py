"""The working group's stage decisions, each with a recorded reason: open or close early,
extend, and reopen a closed stage — within the rules the later stages impose.

Refusals name the rule in Ukrainian, so the person knows what would have to change first.
"""

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.actor import Actor
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
from models.event import AuditEvent
from models.report import Report, ReportStatus, ReportVersion
from models.services.events import record_event
from models.services.stages import (
    FINAL,
    REPORTING_NEEDS,
    get_stage,
    move_stage,
    prerequisites_final,
)
from models.survey import SurveyTotals


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
        if not prerequisites_final(session, cycle_id=cycle_id):
            raise Conflict(
                "Підготовку звіту можна почати лише після завершення консультацій, анкетування "
                "та інтерв’ю."
            )
    old, action, refusal = _EARLY[to]
    moved = move_stage(
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


def approved_report_on(session: Session, *, cycle_id: int) -> date | None:
    """The day the cycle's report was first approved (or signed), if it was."""
    approved = session.scalar(
        select(ReportVersion.approved_at)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(
            Report.cycle_id == cycle_id,
            ReportVersion.status.in_((ReportStatus.APPROVED, ReportStatus.SIGNED)),
        )
        .order_by(ReportVersion.approved_at)
        .limit(1)
    )
    return local_date(approved) if approved is not None else None


def _has_entered_totals(session: Session, cycle: AuditCycle) -> bool:
    """Whether a historical cycle's survey totals were entered by hand."""
    if not cycle.is_historical:
        return False
    entered = session.scalar(select(SurveyTotals.id).where(SurveyTotals.cycle_id == cycle.id))
    return entered is not None


def _check_later_stages(
    session: Session, cycle: AuditCycle, stage: Stage, *, due_on: date, verb: str
) -> None:
    """The rules later stages (and figures entered by hand) impose on moving a stage's end
    (or reopening it)."""
    label = STAGE_LABELS[stage.kind]
    if cycle.status == CycleStatus.COMPLETED:
        raise Conflict(f"Цикл аудиту завершено: {verb} етап «{label}» не можна.")
    if stage.kind == StageKind.CONSULTATION and _has_entered_totals(session, cycle):
        # Residents' new responses would never reach the report: it counts the entered totals.
        raise Conflict(
            f"Для цього історичного циклу внесено підсумки опитування вручну: {verb} етап "
            f"«{label}» не можна, бо звіт ґрунтується на цих підсумках, а не на відповідях "
            "мешканців."
        )
    if stage.kind not in REPORTING_NEEDS:
        return
    approved = approved_report_on(session, cycle_id=cycle.id)
    if approved is not None:
        raise Conflict(
            f"Звіт за результатами аудиту затверджено {approved:%d.%m.%Y}: {verb} етап "
            f"«{label}» не можна, бо звіт ґрунтується на зібраних ним даних."
        )
    reporting = get_stage(session, cycle_id=cycle.id, kind=StageKind.REPORTING)
    if reporting.status == StageStatus.PLANNED and due_on >= reporting.starts_on:
        raise Invalid(
            "Етап не може тривати після початку підготовки звіту "
            f"({reporting.starts_on:%d.%m.%Y}); спершу перенесіть підготовку звіту.",
            field="due_on",
        )
    if reporting.status == StageStatus.OPEN and due_on >= reporting.due_on:
        raise Invalid(
            "Підготовка звіту вже триває: етап має завершитися раніше за неї "
            f"(до {reporting.due_on:%d.%m.%Y}); спершу продовжте підготовку звіту.",
            field="due_on",
        )


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
    """Move a stage's due date later (recorded with the old date and the reason); a closed
    stage is reopened until the new date."""
    reason = _require_reason(reason)
    cycle, stage = _working_group_action(session, cycle_id=cycle_id, kind=kind)
    if stage.status in FINAL:
        return reopen_stage(
            session,
            cycle_id=cycle_id,
            kind=kind,
            due_on=due_on,
            reason=reason,
            now=now,
            actor=actor,
        )
    if due_on <= stage.due_on:
        raise Invalid(
            f"Нова дата завершення має бути пізнішою за {stage.due_on:%d.%m.%Y}.", field="due_on"
        )
    _check_later_stages(session, cycle, stage, due_on=due_on, verb="продовжити")
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


def reopen_stage(
    session: Session,
    *,
    cycle_id: int,
    kind: StageKind,
    due_on: date,
    reason: str,
    now: datetime,
    actor: Actor,
) -> Stage:
    """Open a closed (or skipped) stage again until a new due date, with the reason.

    Its answers are taken again (a unit's late questionnaire, say) until `due_on`; the sweep
    closes it after that date as usual.
    """
    reason = _require_reason(reason)
    cycle, stage = _working_group_action(session, cycle_id=cycle_id, kind=kind)
    label = STAGE_LABELS[kind]
    if stage.status not in FINAL:
        raise Conflict(f"Етап «{label}» не завершено: відкривати його повторно не потрібно.")
    if due_on < local_date(now):
        raise Invalid(
            f"Нова дата завершення {due_on:%d.%m.%Y} вже минула: вкажіть сьогоднішню або пізнішу.",
            field="due_on",
        )
    if due_on < stage.starts_on:
        raise Invalid(
            f"Нова дата завершення раніша за початок етапу ({stage.starts_on:%d.%m.%Y}).",
            field="due_on",
        )
    _check_later_stages(session, cycle, stage, due_on=due_on, verb="відкрити повторно")
    old_status, old_due = stage.status, stage.due_on
    result = session.execute(
        update(Stage)
        .where(Stage.id == stage.id, Stage.status == old_status)
        .values(
            status=StageStatus.OPEN,
            due_on=due_on,
            closed_at=None,
            skipped_reason=None,
            opened_at=stage.opened_at or now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(stage)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"Етап «{label}» щойно змінено: оновіть сторінку.")
    _note(
        session,
        cycle,
        stage,
        "stage.reopened",
        reason,
        now,
        actor,
        extra={"from": old_due.isoformat(), "to": due_on.isoformat(), "was": old_status.value},
    )
    return stage


def moved_to_due_date(session: Session, stage: Stage) -> bool:
    """Whether the stage's current due date was set by an extension or a reopening."""
    moves = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.cycle_id == stage.cycle_id,
            AuditEvent.action.in_(("stage.extended", "stage.reopened")),
        )
        .order_by(AuditEvent.id.desc())
    )
    latest = next((e for e in moves if e.details.get("stage") == stage.kind.value), None)
    return latest is not None and latest.details.get("to") == stage.due_on.isoformat()


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
