"""Cycles and stages as the console's pages show them (the home page and the cycle page)."""

from datetime import datetime
from typing import Any

from models.clock import local_date
from models.cycle import STAGE_LABELS, STAGE_STATUS_LABELS, AuditCycle, Stage, StageStatus


def lateness(stage: Stage, now: datetime) -> str | None:
    """What a stage should have done by today and has not ("мав розпочатися …"), if anything."""
    today = local_date(now)
    if stage.status == StageStatus.PLANNED and today > stage.starts_on:
        return "мав розпочатися " + f"{stage.starts_on:%d.%m.%Y}"
    if stage.status == StageStatus.OPEN and today > stage.due_on:
        return "мав завершитися " + f"{stage.due_on:%d.%m.%Y}"
    return None


def cycle_summary(cycle: AuditCycle, now: datetime) -> dict[str, Any]:
    """A cycle's line on the home page: its open stages and how many stages are late."""
    current = [s for s in cycle.stages if s.status == StageStatus.OPEN]
    return {
        "cycle": cycle,
        "current": ", ".join(STAGE_LABELS[s.kind] for s in current) or "—",
        "late": sum(1 for s in cycle.stages if lateness(s, now)),
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
