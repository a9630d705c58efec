"""What the next cycle's report says about the previous one: how the action plan made from its
recommendations went (each item, its status and evidence, the indicator then and now) and the
year-over-year figures of every earlier cycle: as frozen on its approval, this cycle's counted
from the database (models.services.report.frozen_figures)."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.action_plan import (
    ITEM_STATUS_LABELS,
    OVERDUE_LABEL,
    ActionPlanItem,
    ItemStatus,
    Metric,
)
from models.cycle import AuditCycle
from models.services.action_plan import (
    as_sentence,
    previous_plan,
    responsible_label,
    status_label,
    unit_names,
)
from models.services.cycles import get_cycle
from models.services.report.findings import datasets_ua
from models.services.report.frozen_figures import (
    CycleFigures,
    cycle_figures,
    earlier_cycle_figures,
)
from report_templates.environment import percent_ua, plural_ua


def metric_value(metric: Metric, figures: CycleFigures, unit: str | None) -> str:
    """The indicator's value in one cycle's figures, as the report prints it."""
    if metric == Metric.SHARE_MEETING_ALL:
        return (
            f"{percent_ua(figures.share_meeting_all)} ({figures.meeting_all} з {figures.required})"
        )
    if metric == Metric.PRIVATE_TOTAL:
        return f"у приватному режимі {datasets_ua(figures.private)}"
    if metric == Metric.UNITS_WITHOUT_QUESTIONNAIRE:
        n = figures.units_without_questionnaire
        return f"без анкети {n} {plural_ua(n, 'підрозділ', 'підрозділи', 'підрозділів')}"
    if metric == Metric.UNIT_PROBLEMS and unit is not None:
        return f"невиконаних вимог: {figures.unit_problems.get(unit, 0)}"
    return "—"


def _item_row(
    item: ActionPlanItem,
    *,
    units: dict[int, str],
    then: CycleFigures,
    now: CycleFigures,
    today: date,
) -> dict[str, Any]:
    unit = units.get(item.responsible_unit_id) if item.responsible_unit_id else None
    latest_value = next((n.value for n in reversed(item.notes) if n.value), "")
    measured = item.metric != Metric.NONE
    return {
        "number": item.position,
        "task": as_sentence(item.task),
        "responsible": responsible_label(item, units),
        "due_on": item.due_on,
        "status": status_label(item, today),
        "indicator": item.indicator,
        "evidence": [
            {"on": n.noted_on, "status": ITEM_STATUS_LABELS[n.status], "text": n.text}
            for n in item.notes
        ],
        "value_then": metric_value(item.metric, then, unit) if measured else item.baseline or "—",
        "value_now": metric_value(item.metric, now, unit) if measured else latest_value or "—",
        "measured": measured,
    }


def yoy_row(figures: CycleFigures, *, current: bool = False) -> dict[str, Any]:
    """A row of the year-over-year table."""
    return {
        "year": figures.year,
        "as_of": figures.as_of,
        "current": current,
        "units": figures.units,
        "questionnaires": figures.questionnaires,
        "information_systems": figures.information_systems,
        "information_items": figures.information_items,
        "survey_participants": figures.survey_participants,
        "required": figures.required,
        "published": figures.published,
        "on_time": figures.on_time,
        "machine_readable": figures.machine_readable,
        "share_meeting_all": figures.share_meeting_all,
    }


def previous_audit_context(
    session: Session, *, cycle_id: int, today: date
) -> dict[str, Any] | None:
    """The report's section on the previous audit, or None for an organization's first cycle."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    earlier = list(
        session.scalars(
            select(AuditCycle)
            .where(
                AuditCycle.organization_id == cycle.organization_id, AuditCycle.year < cycle.year
            )
            .order_by(AuditCycle.year, AuditCycle.id)
        )
    )
    if not earlier:
        return None
    # Earlier cycles as their approved reports stated them; this one's figures stay live.
    figures = {c.id: earlier_cycle_figures(session, cycle_id=c.id) for c in earlier}
    current = cycle_figures(session, cycle=cycle)
    found = previous_plan(session, cycle=cycle)
    plan: dict[str, Any] | None = None
    if found is not None:
        plan_cycle, action_plan = found
        units = unit_names(session, organization_id=cycle.organization_id)
        rows = [
            _item_row(item, units=units, then=figures[plan_cycle.id], now=current, today=today)
            for item in action_plan.items
        ]
        order = [ITEM_STATUS_LABELS[ItemStatus.DONE], ITEM_STATUS_LABELS[ItemStatus.IN_PROGRESS]]
        order += [ITEM_STATUS_LABELS[ItemStatus.PLANNED], OVERDUE_LABEL]
        order += [ITEM_STATUS_LABELS[ItemStatus.NOT_DONE]]
        plan = {
            "year": plan_cycle.year,
            "as_of_then": figures[plan_cycle.id].as_of,
            "rows": rows,
            # «виконано – 3, прострочено – 2»: each status with its count, none left out.
            "statuses": [
                (label, n) for label in order if (n := sum(r["status"] == label for r in rows))
            ],
        }
    return {
        "previous_year": earlier[-1].year,
        "today": today,
        "plan": plan,
        "yoy": [yoy_row(figures[c.id]) for c in earlier] + [yoy_row(current, current=True)],
    }
