"""Launching a cycle from the console: the form mirrors the mayor's order, with a default
schedule and the previous cycle's set-up offered again."""

import re
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, BrowserForm, Now
from api.errors import ukrainian_errors
from api.routes.console.common import done, page
from api.routes.console.deps import ConsoleActor, ConsoleCoordinator, console_router
from api.routes.console.question_form import (
    KIND_LABELS,
    follow_units,
    has_rows,
    plan_rows,
    plans_from_rows,
    rows_from_form,
)
from models.account import Account
from models.clock import local_date
from models.cycle import STAGE_LABELS, STAGE_ORDER, Auditor, StageKind
from models.errors import DomainError
from models.plan import CyclePlan, QuestionPlan
from models.services.cycles import default_schedule, launch_cycle, previous_setup
from models.services.organizations import list_units
from models.services.surveys.questions import launch_questions

router = console_router()
QUESTION_FIELD = re.compile(r"q\d+_")
_FIELD_LABELS = {
    "year": "Рік",
    "order.number": "Номер розпорядження",
    "order.date": "Дата розпорядження",
    "units": "Підрозділи",
    "auditors": "Аудитори",
}


@router.get("/console/cycles/new")
def launch_form(request: Request, session: DB, now: Now, account: ConsoleCoordinator) -> Response:
    """The launch form, mirroring the mayor's order, with a default schedule.

    The previous cycle's set-up (units, auditors, involved persons) is offered again.
    """
    assert account.organization_id is not None
    today = local_date(now)
    values = _schedule_values(today)
    values.update(
        {"year": str(today.year), "order_date": today.isoformat(), "start": today.isoformat()}
    )
    chosen: list[str] = []
    previous = previous_setup(session, organization_id=account.organization_id)
    if previous is not None:
        chosen = previous.unit_names
        values["auditors"] = _people_text(previous.auditors)
        values["involved"] = _people_text(previous.involved)
    # The consultation opens soon after launch: its questions are reviewed here, before it.
    units = chosen or [u.name for u in list_units(session, organization_id=account.organization_id)]
    questions = launch_questions(session, organization_id=account.organization_id, unit_names=units)
    return _launch(request, session, account, values, chosen, None, plan_rows(questions, units))


def _people_text(people: list[Auditor]) -> str:
    # Keep the fields in place ("ПІБ; ; пошта" when the position is empty): _people splits so.
    lines = ("; ".join((p.full_name, p.position, p.email or "")).rstrip("; ") for p in people)
    return "\n".join(lines)


def _schedule_values(start: date) -> dict[str, str]:
    values = {}
    for kind, (starts_on, due_on) in default_schedule(start).items():
        values[f"{kind.value}_starts_on"] = starts_on.isoformat()
        values[f"{kind.value}_due_on"] = due_on.isoformat()
    return values


def _launch(
    request: Request,
    session: Session,
    account: Account,
    values: dict[str, Any],
    chosen_units: list[str],
    errors: list[str] | None,
    question_rows: list[dict[str, Any]],
    status_code: int = 200,
) -> Response:
    assert account.organization_id is not None
    return page(
        request,
        session,
        account,
        "console/launch.html",
        {
            "values": values,
            "units": [
                u
                for u in list_units(session, organization_id=account.organization_id)
                if u.is_active
            ],
            "chosen_units": set(chosen_units),
            "stages": [(kind.value, STAGE_LABELS[kind]) for kind in STAGE_ORDER],
            "errors": errors or [],
            "editor_rows": question_rows,
            "kind_labels": KIND_LABELS,
            "follows_units": True,
        },
        status_code,
    )


def _people(text: str) -> list[dict[str, str | None]]:
    """One person a line: «ПІБ; посада; e-mail» (position and e-mail optional)."""
    people = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(";")]
        if parts and parts[0]:
            people.append(
                {
                    "full_name": parts[0],
                    "position": parts[1] if len(parts) > 1 else "",
                    "email": parts[2] if len(parts) > 2 and parts[2] else None,
                }
            )
    return people


def _plan_document(
    values: dict[str, Any], chosen: list[str], questions: list[QuestionPlan] | None
) -> dict[str, Any]:
    """The form's fields as the cycle plan's document (what CyclePlan validates)."""
    return {
        "questions": [q.model_dump() for q in questions] if questions is not None else None,
        "year": values.get("year") or None,
        "order": {
            "number": values.get("order_number", ""),
            "date": values.get("order_date") or None,
            "title": values.get("order_title") or "Про проведення інформаційного аудиту",
        },
        "units": chosen,
        "historical": values.get("historical") == "1",
        "auditors": _people(values.get("auditors", "")),
        "involved": _people(values.get("involved", "")),
        "stages": {
            kind.value: {
                "starts_on": values.get(f"{kind.value}_starts_on") or None,
                "due_on": values.get(f"{kind.value}_due_on") or None,
                **(
                    {"skip_reason": values["skip_reason"]}
                    if kind == StageKind.INTERVIEWS and values.get("skip_reason", "").strip()
                    else {}
                ),
            }
            for kind in STAGE_ORDER
        },
    }


@router.post("/console/cycles/new")
def launch(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
) -> Response:
    """Recompute the schedule, or launch the cycle; errors re-render the form with the values."""
    assert account.organization_id is not None
    values: dict[str, Any] = {
        k: str(v) for k, v in form.items() if k != "units" and not QUESTION_FIELD.match(k)
    }
    chosen = [str(u) for u in form.getlist("units")]
    # A form without the editor (an older page) launches with the default questions.
    rows = rows_from_form(form) if has_rows(form) else []
    known = [u.name for u in list_units(session, organization_id=account.organization_id)]
    follow_units(rows, chosen=chosen, known=known)
    questions, question_errors = plans_from_rows(rows) if rows else (None, [])
    if form.get("action") == "schedule":
        try:
            values.update(_schedule_values(date.fromisoformat(values.get("start", ""))))
        except ValueError:
            return _launch(
                request,
                session,
                account,
                values,
                chosen,
                ["Дата початку: має бути датою у форматі РРРР-ММ-ДД"],
                rows,
                422,
            )
        return _launch(request, session, account, values, chosen, None, rows)
    if question_errors:
        return _launch(request, session, account, values, chosen, question_errors, rows, 422)
    try:
        cycle = launch_cycle(
            session,
            organization_id=account.organization_id,
            plan=CyclePlan.model_validate(_plan_document(values, chosen, questions)),
            secret_key=settings.secret_key,
            now=now,
            actor=actor,
        )
    except ValidationError as exc:
        errors = [
            f"{_field_label(e['field'])}: {e['message']}" for e in ukrainian_errors(exc.errors())
        ]
        return _launch(request, session, account, values, chosen, errors, rows, 422)
    except DomainError as exc:
        session.rollback()
        return _launch(
            request, session, account, values, chosen, [exc.message], rows, exc.status_code
        )
    return done(request, f"/console/cycles/{cycle.id}", "Цикл запущено.")


def _field_label(field: str) -> str:
    if field in _FIELD_LABELS:
        return _FIELD_LABELS[field]
    parts = field.split(".")
    if parts[0] == "stages" and len(parts) > 1 and parts[1] in StageKind.__members__.values():
        return f"Етап «{STAGE_LABELS[StageKind(parts[1])]}»"
    return "Дані форми" if field == "body" else field
