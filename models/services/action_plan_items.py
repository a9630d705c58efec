"""Tasks the working group adds to the action plan by hand, and tasks it removes.

The rule for removal (the simpler of the two consistent ones): an item is **deleted** only while
it has no notes, i.e. before anyone has reported on it; the remaining items are renumbered 1…n,
so the console, the annex PDF, the reminders and the next audit's "state of recommendations"
all see the same numbers and none of them shows the removed task. It does not vanish from
history: the audit-trail event keeps its number and text. An item that already has notes is
refused (409): its story belongs in the next audit, so the working group records a note
«не виконано» with the council's decision instead, which already stops its reminders and shows
it as not done. No "withdrawn" flag is needed, hence no migration."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.action_plan import ActionPlanItem, ItemStatus
from models.actor import Actor
from models.cycle import AuditCycle
from models.errors import Conflict, NotFound
from models.services.action_plan import (
    ItemChanges,
    apply_changes,
    check_changes,
    get_plan,
    plan_item,
)
from models.services.events import record_cycle_event

# How much of a removed task the trail line keeps (it names the task, not the whole text).
TRAIL_TASK = 200


def add_item(
    session: Session, *, cycle_id: int, changes: ItemChanges, now: datetime, actor: Actor
) -> ActionPlanItem:
    """A task the council decided on that is not among the report's recommendations: it goes
    last, planned, and is reminded of like every other item."""
    plan = get_plan(session, cycle_id=cycle_id)
    if plan is None:
        raise NotFound("План дій ще не складено.")
    cycle = session.get(AuditCycle, cycle_id)
    assert cycle is not None
    check_changes(changes, session, cycle.organization_id)
    item = ActionPlanItem(
        plan_id=plan.id,
        position=max((i.position for i in plan.items), default=0) + 1,
        recommendation_id=None,
        status=ItemStatus.PLANNED,
    )
    apply_changes(item, changes)
    session.add(item)
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="action_plan.item_added",
        at=now,
        actor=actor,
        details={"item": item.position, "due_on": item.due_on.isoformat()},
    )
    set_committed_value(item, "notes", [])  # a new item has none: no lazy load needed
    return item


def remove_item(
    session: Session, *, cycle_id: int, item_id: int, now: datetime, actor: Actor
) -> ActionPlanItem:
    """Delete an item nobody has reported on yet and renumber the rest (see the module's rule);
    returns the deleted item (detached) for the confirmation."""
    item = plan_item(session, cycle_id=cycle_id, item_id=item_id)
    if item.notes:
        raise Conflict(
            "До завдання вже є нотатки про виконання, тож його не вилучити: додайте нотатку "
            "зі станом «не виконано» і рішенням, чому від завдання відмовилися."
        )
    position, task = item.position, item.task
    session.delete(item)
    session.flush()
    rest = session.scalars(
        select(ActionPlanItem)
        .where(ActionPlanItem.plan_id == item.plan_id)
        .order_by(ActionPlanItem.position, ActionPlanItem.id)
    )
    for number, other in enumerate(rest, start=1):
        other.position = number
    session.flush()
    record_cycle_event(
        session,
        cycle_id=cycle_id,
        action="action_plan.item_removed",
        at=now,
        actor=actor,
        details={"item": position, "task": task[:TRAIL_TASK]},
    )
    return item
