"""The action plan of a cycle: made from the approved report's recommendations, its items
edited and followed with dated notes, and printed as an annex (models/services/action_plan.py)."""

from datetime import date, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, Reader
from api.report_files import pdf_response
from models.action_plan import ActionPlan, ActionPlanItem, ItemStatus, Metric
from models.clock import local_date
from models.errors import NotFound
from models.plan import EmailOrEmpty
from models.services.action_plan import (
    ItemChanges,
    add_note,
    annex_context,
    create_plan,
    get_plan,
    status_label,
    update_item,
)
from models.services.action_plan_items import add_item, remove_item
from report_templates.action_plan import render_action_plan

router = APIRouter(prefix="/api/cycles", tags=["план дій"])


class PlanCreate(BaseModel):
    """The deadline every item starts with (a quarter after approval when not given)."""

    due_on: date | None = None


class ItemUpdate(BaseModel):
    """An item as edited or added by hand: every field, as the console's form sends it."""

    task: str = Field(max_length=5000)
    due_on: date
    indicator: str = Field(max_length=5000)
    responsible_unit_id: int | None = None
    responsible_person: str = Field(default="", max_length=300)
    responsible_email: EmailOrEmpty = ""
    metric: Metric = Metric.NONE
    baseline: str = Field(default="", max_length=300)


class NoteCreate(BaseModel):
    """A dated note: the status it sets, the evidence, the indicator's value on that day."""

    noted_on: date
    status: ItemStatus
    text: str = Field(default="", max_length=5000)
    value: str = Field(default="", max_length=300)


class NoteRead(BaseModel):
    """A note on an item."""

    id: int
    noted_on: date
    status: ItemStatus
    text: str
    value: str
    recorded_at: datetime

    model_config = {"from_attributes": True}


class ItemRead(BaseModel):
    """An item of the plan, with its status today («прострочено» included)."""

    id: int
    position: int
    recommendation_id: int | None
    task: str
    responsible_unit_id: int | None
    responsible_person: str
    responsible_email: str
    due_on: date
    indicator: str
    metric: Metric
    baseline: str
    status: ItemStatus
    status_label: str
    notes: list[NoteRead]


class PlanRead(BaseModel):
    """The plan and its items in order."""

    id: int
    cycle_id: int
    report_version_id: int | None
    items: list[ItemRead]


def _item(item: ActionPlanItem, today: date) -> ItemRead:
    return ItemRead(
        id=item.id,
        position=item.position,
        recommendation_id=item.recommendation_id,
        task=item.task,
        responsible_unit_id=item.responsible_unit_id,
        responsible_person=item.responsible_person,
        responsible_email=item.responsible_email,
        due_on=item.due_on,
        indicator=item.indicator,
        metric=item.metric,
        baseline=item.baseline,
        status=item.status,
        status_label=status_label(item, today),
        notes=[NoteRead.model_validate(n) for n in item.notes],
    )


def _plan(plan: ActionPlan, now: datetime) -> PlanRead:
    today = local_date(now)
    return PlanRead(
        id=plan.id,
        cycle_id=plan.cycle_id,
        report_version_id=plan.report_version_id,
        items=[_item(i, today) for i in plan.items],
    )


@router.get("/{cycle_id}/action-plan", response_model=PlanRead)
def read_plan(_account: Reader, cycle: OwnCycle, session: DB, now: Now) -> PlanRead:
    """The cycle's action plan (404 until it is made)."""
    plan = get_plan(session, cycle_id=cycle.id)
    if plan is None:
        raise NotFound("План дій ще не складено.")
    return _plan(plan, now)


@router.post("/{cycle_id}/action-plan", status_code=201, response_model=PlanRead)
def make_plan(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, body: PlanCreate, session: DB, now: Now
) -> PlanRead:
    """Make the plan from the approved report's recommendations (409 before approval)."""
    plan = create_plan(session, cycle_id=cycle.id, due_on=body.due_on, now=now, actor=actor)
    return _plan(plan, now)


@router.put("/{cycle_id}/action-plan/items/{item_id}", response_model=ItemRead)
def edit_item(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    item_id: int,
    body: ItemUpdate,
    session: DB,
    now: Now,
) -> ItemRead:
    """Change an item's task, deadline, indicator or who is responsible."""
    item = update_item(
        session,
        cycle_id=cycle.id,
        item_id=item_id,
        changes=ItemChanges(**body.model_dump()),
        now=now,
        actor=actor,
    )
    return _item(item, local_date(now))


@router.post("/{cycle_id}/action-plan/items", status_code=201, response_model=ItemRead)
def new_item(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, body: ItemUpdate, session: DB, now: Now
) -> ItemRead:
    """Add a task the council decided on that is not among the report's recommendations."""
    item = add_item(
        session, cycle_id=cycle.id, changes=ItemChanges(**body.model_dump()), now=now, actor=actor
    )
    return _item(item, local_date(now))


@router.delete("/{cycle_id}/action-plan/items/{item_id}", status_code=204)
def delete_item(
    _account: Editor, cycle: OwnCycle, actor: CurrentActor, item_id: int, session: DB, now: Now
) -> Response:
    """Remove an item nobody has reported on (409 once it has notes); the rest are renumbered."""
    remove_item(session, cycle_id=cycle.id, item_id=item_id, now=now, actor=actor)
    return Response(status_code=204)


@router.post("/{cycle_id}/action-plan/items/{item_id}/notes", status_code=201)
def note(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    item_id: int,
    body: NoteCreate,
    session: DB,
    now: Now,
) -> NoteRead:
    """Add a dated note; it sets the item's status (done and not done need the evidence)."""
    added = add_note(
        session, cycle_id=cycle.id, item_id=item_id, now=now, actor=actor, **body.model_dump()
    )
    return NoteRead.model_validate(added)


@router.get("/{cycle_id}/action-plan.pdf")
def plan_pdf(_account: Reader, cycle: OwnCycle, session: DB, now: Now) -> Response:
    """The plan as an annex to print and publish (a page or two: rendered on the spot)."""
    context = annex_context(session, cycle_id=cycle.id, today=local_date(now))
    return pdf_response(render_action_plan(context), f"action-plan-{cycle.year}.pdf")
