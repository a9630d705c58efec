"""The action plan: made from the approved report's recommendations, edited, followed with dated
notes. The console, the JSON API and the demo all go through these functions."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.action_plan import (
    CLOSED,
    ITEM_STATUS_LABELS,
    OVERDUE_LABEL,
    ActionPlan,
    ActionPlanItem,
    ActionPlanNote,
    ItemStatus,
    Metric,
)
from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle
from models.errors import Conflict, Invalid, NotFound
from models.organization import Organization, Unit
from models.plan import EMAIL_PATTERN
from models.report import Recommendation, RecommendationStatus
from models.services.events import record_cycle_event
from models.services.report.versions import (
    ensure_report,
    latest_version,
    ready_version,
    render_due,
)

# A deadline the working group has not set yet: a quarter after the report's approval.
DEFAULT_DAYS = 91
MAX_TASK = 5000
# Who answers for a measure of the whole holder until the working group names someone.
WORKING_GROUP = "Робоча група з інформаційного аудиту"
MAX_SHORT = 300
EMAIL = re.compile(EMAIL_PATTERN)
# The indicator each kind of recommendation is measured by, as the plan first proposes it.
INDICATORS = {
    Metric.UNIT_PROBLEMS: (
        "усі набори даних підрозділу оприлюднено, оновлено вчасно й у машиночитаних форматах "
        "(невиконаних вимог: 0)"
    ),
    Metric.PRIVATE_TOTAL: "відновлено публічний доступ до наборів у приватному режимі (0 наборів)",
    Metric.UNITS_WITHOUT_QUESTIONNAIRE: "анкети подали всі підрозділи (0 без анкети)",
    Metric.SHARE_MEETING_ALL: (
        "щонайменше 85 % наборів відповідають рекомендаціям Міністерства цифрової трансформації"
    ),
}
MANUAL_INDICATORS = {
    "personal_data_systems": "оприлюднені дані знеособлено; підтверджено перевіркою",
    "top_proposals": "пропозиції мешканців розглянуто, рішення щодо кожної оприлюднено",
    "open_data_order": "зміни до акта ухвалено й оприлюднено",
    "next_audit": "план наступного інформаційного аудиту затверджено",
}
METRICS = {
    "private_datasets": Metric.PRIVATE_TOTAL,
    "units_without_questionnaire": Metric.UNITS_WITHOUT_QUESTIONNAIRE,
}


def get_plan(session: Session, *, cycle_id: int) -> ActionPlan | None:
    """The cycle's action plan with its items and their notes, or None."""
    return session.scalar(
        select(ActionPlan)
        .where(ActionPlan.cycle_id == cycle_id)
        .options(selectinload(ActionPlan.items).selectinload(ActionPlanItem.notes))
    )


def plan_item(session: Session, *, cycle_id: int, item_id: int) -> ActionPlanItem:
    """One item of the cycle's plan with its notes (404 when it is not of this cycle)."""
    item = session.scalar(
        select(ActionPlanItem)
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .where(ActionPlan.cycle_id == cycle_id, ActionPlanItem.id == item_id)
        .options(selectinload(ActionPlanItem.notes))
    )
    if item is None:
        raise NotFound("Завдання плану дій не знайдено.")
    return item


def _unit_of(units: list[Unit], text: str) -> Unit | None:
    # Unit recommendations start with the unit's name (findings.unit_actions): the longest
    # name that fits wins («Управління освіти» vs «Управління освіти і науки»).
    fitting = [u for u in units if text.startswith(f"{u.name}: ")]
    return max(fitting, key=lambda u: len(u.name)) if fitting else None


def create_plan(
    session: Session, *, cycle_id: int, now: datetime, actor: Actor, due_on: date | None = None
) -> ActionPlan:
    """Make the plan from the approved report's recommendations (every one not dropped)."""
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    if get_plan(session, cycle_id=cycle_id) is not None:
        raise Conflict("План дій за цим звітом уже складено: змінюйте його завдання.")
    try:
        version = ready_version(session, cycle_id=cycle_id)
    except NotFound as exc:
        raise Conflict(
            "План дій складається з рекомендацій затвердженого звіту: спершу затвердьте звіт."
        ) from exc
    latest = latest_version(session, cycle_id=cycle_id)
    if render_due(session, cycle_id=cycle_id) or (latest is not None and latest.id != version.id):
        # The recommendations now differ from the approved text: the plan must match a report.
        raise Conflict(
            "Текст звіту змінено після затвердження версії "
            f"{version.number}: затвердьте нову версію, і план дій буде складено з неї."
        )
    assert version.approved_at is not None
    deadline = due_on or local_date(version.approved_at) + timedelta(days=DEFAULT_DAYS)
    report = ensure_report(session, cycle_id=cycle_id)
    recommendations = [
        r
        for r in session.scalars(
            select(Recommendation)
            .where(Recommendation.report_id == report.id)
            .order_by(Recommendation.position, Recommendation.id)
        )
        if r.status != RecommendationStatus.DROPPED
    ]
    if not recommendations:
        raise Conflict("У затвердженому звіті немає рекомендацій: плану дій нема з чого скласти.")
    units = list(session.scalars(select(Unit).where(Unit.organization_id == cycle.organization_id)))
    plan = ActionPlan(cycle_id=cycle_id, report_version_id=version.id, created_by=actor.label)
    session.add(plan)
    session.flush()
    for position, recommendation in enumerate(recommendations, start=1):
        unit = (
            _unit_of(units, recommendation.text) if recommendation.key.startswith("unit:") else None
        )
        metric = Metric.UNIT_PROBLEMS if unit else METRICS.get(recommendation.key, Metric.NONE)
        session.add(
            ActionPlanItem(
                plan_id=plan.id,
                position=position,
                recommendation_id=recommendation.id,
                task=recommendation.text,
                responsible_unit_id=unit.id if unit else None,
                responsible_person=(unit.head_name or "")
                if unit
                else cycle.contact_name or WORKING_GROUP,
                responsible_email=(unit.email if unit else cycle.contact_email) or "",
                due_on=deadline,
                indicator=INDICATORS.get(metric)
                or MANUAL_INDICATORS.get(recommendation.key, "завдання виконано й підтверджено"),
                metric=metric,
                status=ItemStatus.PLANNED,
            )
        )
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="action_plan.created",
        at=now,
        actor=actor,
        details={"version": version.number, "items": len(recommendations)},
    )
    session.expire(plan)
    made = get_plan(session, cycle_id=cycle_id)
    assert made is not None
    return made


@dataclass(frozen=True)
class ItemChanges:
    """An item as the working group edits it (every field sent: a whole form)."""

    task: str
    due_on: date | None
    indicator: str
    responsible_unit_id: int | None = None
    responsible_person: str = ""
    responsible_email: str = ""
    metric: Metric = Metric.NONE
    baseline: str = ""


def check_changes(changes: ItemChanges, session: Session, organization_id: int) -> None:
    """Refuse an item's fields beside the field at fault (editing and adding alike)."""
    if not 3 <= len(changes.task.strip()) <= MAX_TASK:
        raise Invalid(f"Завдання: від 3 до {MAX_TASK} символів.", field="task")
    if changes.due_on is None:
        raise Invalid("Вкажіть строк виконання (дата).", field="due_on")
    if not 3 <= len(changes.indicator.strip()) <= MAX_TASK:
        raise Invalid(f"Ключовий показник: від 3 до {MAX_TASK} символів.", field="indicator")
    if changes.responsible_unit_id is not None:
        unit = session.get(Unit, changes.responsible_unit_id)
        if unit is None or unit.organization_id != organization_id:
            raise Invalid("Оберіть підрозділ зі списку.", field="responsible_unit_id")
    if changes.responsible_unit_id is None and not changes.responsible_person.strip():
        raise Invalid("Вкажіть відповідальний підрозділ або особу.", field="responsible_person")
    if len(changes.responsible_person) > MAX_SHORT:
        raise Invalid(f"Виконавець: до {MAX_SHORT} символів.", field="responsible_person")
    email = changes.responsible_email.strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise Invalid(
            "Вкажіть адресу ел. пошти, наприклад name@rada.gov.ua.", field="responsible_email"
        )
    if changes.metric == Metric.UNIT_PROBLEMS and changes.responsible_unit_id is None:
        raise Invalid(
            "Показник підрозділу вимірюється лише для завдання з відповідальним підрозділом.",
            field="metric",
        )
    if len(changes.baseline) > MAX_SHORT:
        raise Invalid(f"Значення показника: до {MAX_SHORT} символів.", field="baseline")


def apply_changes(item: ActionPlanItem, changes: ItemChanges) -> None:
    """Copy checked changes onto an item (check_changes first: the deadline is set)."""
    assert changes.due_on is not None
    item.task = changes.task.strip()
    item.due_on = changes.due_on
    item.indicator = changes.indicator.strip()
    item.responsible_unit_id = changes.responsible_unit_id
    item.responsible_person = changes.responsible_person.strip()
    item.responsible_email = changes.responsible_email.strip()
    item.metric = changes.metric
    item.baseline = changes.baseline.strip()


def update_item(
    session: Session,
    *,
    cycle_id: int,
    item_id: int,
    changes: ItemChanges,
    now: datetime,
    actor: Actor,
) -> ActionPlanItem:
    """Change an item's task, deadline, indicator or who is responsible."""
    item = plan_item(session, cycle_id=cycle_id, item_id=item_id)
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    check_changes(changes, session, cycle.organization_id)
    assert changes.due_on is not None
    moved = item.due_on != changes.due_on
    apply_changes(item, changes)
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="action_plan.item_updated",
        at=now,
        actor=actor,
        details={"item": item.position, "due_on": item.due_on.isoformat(), "moved": moved},
    )
    return item


def add_note(
    session: Session,
    *,
    cycle_id: int,
    item_id: int,
    noted_on: date | None,
    status: ItemStatus,
    text: str,
    value: str,
    now: datetime,
    actor: Actor,
) -> ActionPlanNote:
    """A dated note: sets the item's status and says what shows it (the evidence)."""
    item = plan_item(session, cycle_id=cycle_id, item_id=item_id)
    if noted_on is None:
        raise Invalid("Вкажіть дату нотатки.", field="noted_on")
    if noted_on > local_date(now):
        raise Invalid("Дата нотатки не може бути в майбутньому.", field="noted_on")
    if len(text) > MAX_TASK:
        raise Invalid(f"Нотатка: до {MAX_TASK} символів.", field="text")
    if status in CLOSED and not text.strip():
        raise Invalid(
            "Вкажіть, чим підтверджено виконання (або чому завдання не виконано).", field="text"
        )
    if len(value) > MAX_SHORT:
        raise Invalid(f"Значення показника: до {MAX_SHORT} символів.", field="value")
    note = ActionPlanNote(
        item_id=item.id,
        noted_on=noted_on,
        status=status,
        text=text.strip(),
        value=value.strip(),
        author=actor.label,
        recorded_at=now,
    )
    session.add(note)
    item.status = status
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="action_plan.note_added",
        at=now,
        actor=actor,
        details={"item": item.position, "status": status.value, "on": noted_on.isoformat()},
    )
    return note


def as_sentence(text: str) -> str:
    """A recommendation («оприлюднити …») as a task in a table cell: capitalised, no stop."""
    text = text.strip().rstrip(".;,")
    return text[:1].upper() + text[1:]


def annex_context(session: Session, *, cycle_id: int, today: date) -> dict[str, Any]:
    """What the printed plan shows (report_templates/action_plan.html.j2): seed 002's columns."""
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    plan = get_plan(session, cycle_id=cycle_id)
    if plan is None:
        raise NotFound("План дій ще не складено.")
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    units = unit_names(session, organization_id=cycle.organization_id)
    return {
        "organization": organization.name,
        "year": cycle.year,
        "order_number": cycle.order_number,
        "order_date": cycle.order_date,
        "today": today,
        "items": [
            {
                "number": item.position,
                "task": as_sentence(item.task),
                "due_on": item.due_on,
                "indicator": as_sentence(item.indicator),
                "responsible": responsible_label(item, units),
                "status": status_label(item, today),
            }
            for item in plan.items
        ],
    }


def is_overdue(item: ActionPlanItem, today: date) -> bool:
    """Past its deadline and neither done nor decided against."""
    return item.status not in CLOSED and item.due_on < today


def status_label(item: ActionPlanItem, today: date) -> str:
    """«виконано», «виконується», «прострочено», …"""
    if is_overdue(item, today):
        return OVERDUE_LABEL
    return ITEM_STATUS_LABELS[item.status]


def latest_note(item: ActionPlanItem) -> ActionPlanNote | None:
    """The newest dated note (notes must be loaded)."""
    return item.notes[-1] if item.notes else None


def responsible_label(item: ActionPlanItem, units: dict[int, str]) -> str:
    """«Управління освіти, Коваль О. П.» — the unit and the person, as the plan prints them."""
    parts = [units[item.responsible_unit_id]] if item.responsible_unit_id in units else []
    parts += [item.responsible_person] if item.responsible_person else []
    return ", ".join(parts) or "—"


def unit_names(session: Session, *, organization_id: int) -> dict[int, str]:
    """The organization's units by id (for the responsible column)."""
    rows = session.execute(
        select(Unit.id, Unit.name).where(Unit.organization_id == organization_id)
    )
    return {unit_id: name for unit_id, name in rows.tuples()}


def items_due_between(
    session: Session, *, organization_id: int, first: date, last: date
) -> list[ActionPlanItem]:
    """Items of the organization's plans with a deadline in [first, last] (the quarter)."""
    return list(
        session.scalars(
            select(ActionPlanItem)
            .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
            .join(AuditCycle, AuditCycle.id == ActionPlan.cycle_id)
            .where(
                AuditCycle.organization_id == organization_id,
                ActionPlanItem.due_on >= first,
                ActionPlanItem.due_on <= last,
            )
            .order_by(ActionPlanItem.due_on, ActionPlanItem.position)
            .options(selectinload(ActionPlanItem.notes))
        )
    )


def previous_plan(session: Session, *, cycle: AuditCycle) -> tuple[AuditCycle, ActionPlan] | None:
    """The plan of the organization's latest earlier cycle that has one, with that cycle."""
    row = session.execute(
        select(AuditCycle, ActionPlan)
        .join(ActionPlan, ActionPlan.cycle_id == AuditCycle.id)
        .where(AuditCycle.organization_id == cycle.organization_id, AuditCycle.year < cycle.year)
        .order_by(AuditCycle.year.desc(), AuditCycle.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    plan = get_plan(session, cycle_id=row[0].id)
    assert plan is not None
    return row[0], plan
