"""Which active cycles have something to do now: the sweep of a multi-host installation sends
an `audit_cycle` run only for those, not for every active cycle on every pass."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import local_date
from models.cycle import AuditCycle, CycleStatus, Stage, StageKind, StageStatus
from models.report import ReportStatus
from models.services.report.versions import latest_version, render_due


def cycle_due(session: Session, *, cycle: AuditCycle, stages: list[Stage], now: datetime) -> bool:
    """True when a run of `audit_cycle` would change something (or send reminders) now.

    Errs on the side of a run: an extra run changes nothing, a missed one delays a stage.
    """
    today = local_date(now)
    reporting = next((s for s in stages if s.kind == StageKind.REPORTING), None)
    if reporting is None:
        return True
    for stage in stages:
        if stage.status == StageStatus.PLANNED and today >= stage.starts_on:
            return True
        if stage.kind == StageKind.REMOTE_AUDIT and stage.status == StageStatus.OPEN:
            return True  # reminders are counted in days before its due date
        if stage is not reporting and stage.status == StageStatus.OPEN and today > stage.due_on:
            return True
    if reporting.status == StageStatus.CLOSED:
        return True  # the cycle is completed by the next run
    if reporting.status != StageStatus.OPEN:
        return False
    if render_due(session, cycle_id=cycle.id):
        return True
    if today <= reporting.due_on:
        return False
    latest = latest_version(session, cycle_id=cycle.id)
    # A historical cycle's reporting closes only once a version is approved.
    return latest is not None and (not cycle.is_historical or latest.status != ReportStatus.DRAFT)


def due_cycle_ids(session: Session, *, now: datetime) -> list[int]:
    """The active cycles with something to do now, oldest first."""
    cycles = session.scalars(
        select(AuditCycle).where(AuditCycle.status == CycleStatus.ACTIVE).order_by(AuditCycle.id)
    ).all()
    stages: dict[int, list[Stage]] = {}
    for stage in session.scalars(
        select(Stage).join(AuditCycle).where(AuditCycle.status == CycleStatus.ACTIVE)
    ):
        stages.setdefault(stage.cycle_id, []).append(stage)
    return [
        c.id for c in cycles if cycle_due(session, cycle=c, stages=stages.get(c.id, []), now=now)
    ]
