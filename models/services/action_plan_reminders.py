"""Reminders to the person responsible for an action-plan item: before its deadline and once it
is overdue, through the outbox.

As with questionnaire reminders (models/services/mail.py), each message is recorded under a
dedup key per item, deadline and point (plan-reminder:<item>:<due_on>:<point>), so reruns and
two sweeps at once record it once; a moved deadline starts its own points.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.action_plan import CLOSED, ActionPlan, ActionPlanItem
from models.clock import local_date
from models.cycle import AuditCycle
from models.organization import Organization, Unit
from models.services.mail import OVERDUE_POINT, cycle_contact, enqueue, reminder_point

# Days before the deadline: a fortnight to plan the work, three days for the last push.
PLAN_REMINDER_DAYS = (14, 3)


def _text(
    *, point: str, organization: str, item: ActionPlanItem, year: int, contact: str
) -> tuple[str, str]:
    due = f"{item.due_on:%d.%m.%Y}"
    task = f"«{item.task}»"
    if point == OVERDUE_POINT:
        subject = f"Строк виконання завдання плану дій минув {due}"
        lead = (
            f"Строк виконання завдання {item.position} плану дій за результатами "
            f"інформаційного аудиту {year} року ({organization}) минув {due}, а його виконання "
            "ще не підтверджено."
        )
    else:
        subject = f"Нагадування: завдання плану дій — до {due}"
        lead = (
            f"Нагадуємо, що завдання {item.position} плану дій за результатами інформаційного "
            f"аудиту {year} року ({organization}) потрібно виконати до {due} включно."
        )
    whom = f" ({contact})" if contact else ""
    body = (
        "Шановні колеги!\n\n"
        f"{lead}\n\nЗавдання: {task}\nКлючовий показник: {item.indicator}\n\n"
        f"Про виконання та його підтвердження повідомте робочу групу{whom}: вона внесе "
        "нотатку до плану дій, і наступний аудит покаже стан виконання.\n\n"
        "Це повідомлення надіслано автоматично, відповідати на нього не потрібно.\n"
    )
    return subject, body


def enqueue_plan_reminders(
    session: Session,
    *,
    now: datetime,
    organization_id: int | None = None,
    days_before: Sequence[int] = PLAN_REMINDER_DAYS,
) -> int:
    """Record today's reminders for open items (every organization's, or one's); how many."""
    today = local_date(now)
    query = (
        select(ActionPlanItem, AuditCycle)
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .join(AuditCycle, AuditCycle.id == ActionPlan.cycle_id)
        .where(ActionPlanItem.status.not_in(CLOSED))
        .order_by(ActionPlanItem.id)
    )
    if organization_id is not None:
        query = query.where(AuditCycle.organization_id == organization_id)
    recorded = 0
    for item, cycle in session.execute(query).tuples():
        point = reminder_point(today=today, due_on=item.due_on, days_before=days_before)
        if point is None:
            continue
        unit = session.get(Unit, item.responsible_unit_id) if item.responsible_unit_id else None
        recipient = item.responsible_email or (unit.email if unit else "") or ""
        if not recipient:
            continue
        organization = session.get(Organization, cycle.organization_id)
        assert organization is not None
        subject, body = _text(
            point=point,
            organization=organization.name,
            item=item,
            year=cycle.year,
            contact=cycle_contact(session, cycle),
        )
        message = enqueue(
            session,
            dedup_key=f"plan-reminder:{item.id}:{item.due_on.isoformat()}:{point}",
            recipients=[recipient],
            subject=subject,
            body=body,
            now=now,
        )
        recorded += message is not None
    return recorded
