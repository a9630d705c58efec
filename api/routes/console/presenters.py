"""Cycles and stages as the console's pages show them (the home page and the cycle page)."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import local_date
from models.cycle import (
    STAGE_LABELS,
    STAGE_STATUS_LABELS,
    AuditCycle,
    AuditedUnit,
    Stage,
    StageStatus,
)


def lateness(stage: Stage, now: datetime) -> str | None:
    """What a stage should have done by today and has not ("мав розпочатися …"), if anything."""
    today = local_date(now)
    if stage.status == StageStatus.PLANNED and today > stage.starts_on:
        return "мав розпочатися " + f"{stage.starts_on:%d.%m.%Y}"
    if stage.status == StageStatus.OPEN and today > stage.due_on:
        return "мав завершитися " + f"{stage.due_on:%d.%m.%Y}"
    return None


def cycle_summary(
    cycle: AuditCycle, now: datetime, *, late_units: int = 0, units: int = 0
) -> dict[str, Any]:
    """A cycle's line on the home page: its open stages, and what is late (stages behind their
    dates, units without a questionnaire after the remote audit's due date)."""
    current = [s for s in cycle.stages if s.status == StageStatus.OPEN]
    late = [f"{STAGE_LABELS[s.kind]}: {lateness(s, now)}" for s in cycle.stages if lateness(s, now)]
    if late_units:
        late.append(f"анкети не подали: {late_units} з {units} підрозділів")
    return {
        "cycle": cycle,
        "current": ", ".join(STAGE_LABELS[s.kind] for s in current) or "—",
        "late": "; ".join(late),
    }


def unit_lateness(session: Session, *, cycle_id: int, late: set[int]) -> dict[int, dict[str, Any]]:
    """Per audited unit: its unit id, whether it is late, and its accepted late questionnaire."""
    return {
        audited.id: {
            "unit_id": audited.unit_id,
            "late": audited.id in late,
            "accepted_at": audited.late_accepted_at,
            "reason": audited.late_reason,
        }
        for audited in session.scalars(select(AuditedUnit).where(AuditedUnit.cycle_id == cycle_id))
    }


def stage_rows(cycle: AuditCycle, now: datetime) -> list[dict[str, Any]]:
    """The cycle page's timeline: each stage with its label, status and lateness."""
    return [
        {
            "stage": s,
            "label": STAGE_LABELS[s.kind],
            "status": STAGE_STATUS_LABELS[s.status],
            "late": lateness(s, now),
        }
        for s in cycle.stages
    ]
