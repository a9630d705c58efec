"""The action plan page: make the plan from the approved report's recommendations, edit its
items, add dated status notes, download the printable annex. The same service as the JSON API
(models/services/action_plan.py); a refusal comes back beside its field with what was typed."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, Now, app_clock
from api.report_files import pdf_response
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleReader,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import Account
from models.action_plan import ITEM_STATUS_LABELS, METRIC_LABELS, ItemStatus, Metric
from models.clock import local_date
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.services.action_plan import (
    ItemChanges,
    add_note,
    annex_context,
    create_plan,
    get_plan,
    is_overdue,
    responsible_label,
    status_label,
    unit_names,
    update_item,
)
from models.services.action_plan_items import add_item, remove_item
from models.services.report.versions import ready_version
from report_templates.action_plan import render_action_plan

router = console_router()


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise Invalid("Вкажіть дату у форматі рррр-мм-дд.", field=field) from exc


def _item_form(
    task: FormText = "",
    due_on: FormText = "",
    indicator: FormText = "",
    responsible_unit_id: FormText = "",
    responsible_person: FormText = "",
    responsible_email: FormText = "",
    metric: FormText = "",
    baseline: FormText = "",
) -> dict[str, str]:
    # One form for editing and adding an item: what was typed, to show again if refused.
    return {
        "task": task,
        "due_on": due_on,
        "indicator": indicator,
        "responsible_unit_id": responsible_unit_id,
        "responsible_person": responsible_person,
        "responsible_email": responsible_email,
        "metric": metric,
        "baseline": baseline,
    }


ItemForm = Annotated[dict[str, str], Depends(_item_form)]


def _changes(typed: dict[str, str]) -> ItemChanges:
    """An item's form as the service's changes; a malformed choice is refused beside it."""
    if typed["metric"] not in Metric.__members__.values():
        raise Invalid("Оберіть, як вимірюється показник.", field="metric")
    unit = typed["responsible_unit_id"]
    if unit and not unit.isdigit():
        raise Invalid("Оберіть підрозділ зі списку.", field="responsible_unit_id")
    return ItemChanges(
        task=typed["task"],
        due_on=_day(typed["due_on"], "due_on"),
        indicator=typed["indicator"],
        responsible_unit_id=int(unit) if unit else None,
        responsible_person=typed["responsible_person"],
        responsible_email=typed["responsible_email"],
        metric=Metric(typed["metric"]),
        baseline=typed["baseline"],
    )


def _plan_page(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = local_date(app_clock(request).now())
    plan = get_plan(session, cycle_id=cycle.id)
    approved = True
    try:
        ready_version(session, cycle_id=cycle.id)
    except DomainError:
        approved = False
    units = unit_names(session, organization_id=cycle.organization_id)
    items = [
        {
            "item": item,
            "status": status_label(item, today),
            "overdue": is_overdue(item, today),
            "responsible": responsible_label(item, units),
            "notes": [(n, ITEM_STATUS_LABELS[n.status]) for n in item.notes],
        }
        for item in (plan.items if plan else [])
    ]
    return page(
        request,
        session,
        account,
        "console/action_plan.html",
        {
            "cycle": cycle,
            "plan": plan,
            "approved": approved,
            "items": items,
            "units": units,
            "today": today,
            "status_labels": ITEM_STATUS_LABELS,
            "metric_labels": METRIC_LABELS,
            "error": error or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/action-plan")
def plan_page(
    request: Request, session: DB, account: ConsoleWorkingGroup, cycle: ConsoleCycle
) -> Response:
    """The plan and its items, or the button that makes it once the report is approved."""
    return _plan_page(request, session, account, cycle)


@router.post("/console/cycles/{cycle_id}/action-plan")
def make_plan(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    due_on: FormText = "",
) -> Response:
    """Make the plan from the approved report's recommendations."""
    try:
        plan = create_plan(
            session, cycle_id=cycle.id, due_on=_day(due_on, "due_on"), now=now, actor=actor
        )
    except DomainError as exc:
        return refused(
            _plan_page, request, session, account, cycle, "create", exc, {"due_on": due_on}
        )
    notice = f"План дій складено: завдань {len(plan.items)}."
    return done(request, f"/console/cycles/{cycle.id}/action-plan", notice)


@router.post("/console/cycles/{cycle_id}/action-plan/items/{item_id}")
def edit_item(
    item_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    typed: ItemForm,
) -> Response:
    """Save an item's task, deadline, indicator and who is responsible."""
    form = f"item-{item_id}"
    try:
        update_item(
            session,
            cycle_id=cycle.id,
            item_id=item_id,
            changes=_changes(typed),
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_plan_page, request, session, account, cycle, form, exc, typed)
    return done(request, f"/console/cycles/{cycle.id}/action-plan#{form}", "Збережено.")


@router.post("/console/cycles/{cycle_id}/action-plan/items")
def new_item(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    typed: ItemForm,
) -> Response:
    """Add a task the council decided on that is not among the report's recommendations."""
    try:
        item = add_item(session, cycle_id=cycle.id, changes=_changes(typed), now=now, actor=actor)
    except DomainError as exc:
        return refused(_plan_page, request, session, account, cycle, "add", exc, typed)
    notice = f"Завдання {item.position} додано до плану дій."
    return done(request, f"/console/cycles/{cycle.id}/action-plan#item-{item.id}", notice)


@router.post("/console/cycles/{cycle_id}/action-plan/items/{item_id}/remove")
def drop_item(
    item_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Remove an item nobody has reported on; the rest are renumbered."""
    try:
        removed = remove_item(session, cycle_id=cycle.id, item_id=item_id, now=now, actor=actor)
    except DomainError as exc:
        return refused(_plan_page, request, session, account, cycle, f"remove-{item_id}", exc)
    notice = f"Завдання {removed.position} вилучено з плану дій; наступні перенумеровано."
    return done(request, f"/console/cycles/{cycle.id}/action-plan", notice)


@router.post("/console/cycles/{cycle_id}/action-plan/items/{item_id}/notes")
def note(
    item_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    noted_on: FormText = "",
    status: FormText = "",
    text: FormText = "",
    value: FormText = "",
) -> Response:
    """Add a dated note that sets the item's status."""
    form = f"note-{item_id}"
    typed = {"noted_on": noted_on, "status": status, "text": text, "value": value}
    try:
        if status not in ItemStatus.__members__.values():
            raise Invalid("Оберіть стан виконання.", field="status")
        add_note(
            session,
            cycle_id=cycle.id,
            item_id=item_id,
            noted_on=_day(noted_on, "noted_on"),
            status=ItemStatus(status),
            text=text,
            value=value,
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_plan_page, request, session, account, cycle, form, exc, typed)
    return done(
        request, f"/console/cycles/{cycle.id}/action-plan#item-{item_id}", "Нотатку додано."
    )


@router.get("/console/cycles/{cycle_id}/action-plan.pdf")
def plan_pdf(
    request: Request, session: DB, account: ConsoleReader, cycle: ConsoleCycle
) -> Response:
    """The plan as the annex to print and publish (a page or two: rendered on the spot)."""
    context = annex_context(session, cycle_id=cycle.id, today=local_date(app_clock(request).now()))
    return pdf_response(render_action_plan(context), f"action-plan-{cycle.year}.pdf")
