"""The working group's console: log in, set up units, launch a cycle and follow it.

Plain HTML forms (no JavaScript needed), CSRF-checked; every action lands in the audit trail.
"""

from datetime import date, datetime
from typing import Any

import segno
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.deps import (
    DB,
    SESSION_COOKIE,
    AppSettings,
    BrowserForm,
    Now,
    bearer_token,
)
from api.errors import ukrainian_errors
from api.routes.console import consolidation, interviews, report, report_text, survey
from api.routes.console.common import (
    COORDINATOR_ONLY,
    CSRF,
    FormText,
    LoginRequired,
    _account,
    _cycle,
    _page,
    _see_other,
)
from api.routes.cycles import launch_for, links_read, survey_url
from api.web import verify_csrf
from models.account import Account, Role
from models.actor import Actor
from models.clock import local_date
from models.cycle import (
    STAGE_LABELS,
    STAGE_ORDER,
    STAGE_STATUS_LABELS,
    AuditCycle,
    Auditor,
    Stage,
    StageKind,
    StageStatus,
)
from models.errors import DomainError, Forbidden, TooManyAttempts, Unauthorized
from models.organization import UNIT_KIND_LABELS, UnitKind
from models.plan import CyclePlan
from models.schemas import AccountCreate, UnitCreate
from models.security import new_token
from models.services.accounts import authenticate, logout
from models.services.cycles import (
    default_schedule,
    get_own_cycle,
    list_cycles,
    previous_setup,
)
from models.services.events import list_events
from models.services.mail import enqueue_unit_links
from models.services.organizations import (
    UnitImport,
    add_unit,
    create_account,
    import_units,
    list_accounts,
    list_units,
)
from models.services.questionnaires import PROGRESS_LABELS, unit_progress
from models.services.report.context import questionnaire_counts
from models.services.report.versions import latest_version
from models.services.stages import change_stage_early, extend_stage, skip_stage
from models.services.surveys.questions import count_responses
from models.tabular import TableError, read_table

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, session: DB) -> Response:
    """The login page."""
    return _page(request, session, None, "console/login.html", {"email": "", "error": None})


@router.post("/login")
def login(
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    csrf: CSRF,
    email: FormText = "",
    password: FormText = "",
) -> Response:
    """Check the password and start a session cookie."""
    verify_csrf(request, csrf)
    try:
        token, login_session = authenticate(
            session, email=email, password=password, now=now, session_hours=settings.session_hours
        )
    except (Unauthorized, TooManyAttempts) as exc:
        context = {"email": email, "error": exc.message}
        return _page(request, session, None, "console/login.html", context, exc.status_code)
    response = _see_other("/console")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https"),
        max_age=settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def log_out(request: Request, session: DB, csrf: CSRF) -> Response:
    """End the session."""
    verify_csrf(request, csrf)
    token = bearer_token(request)
    if token:
        logout(session, token=token)
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/console")
def dashboard(request: Request, session: DB, now: Now) -> Response:
    """The organization's cycles and units."""
    account = _account(request, session, now)
    assert account.organization_id is not None
    cycles = list_cycles(session, organization_id=account.organization_id)
    units = list_units(session, organization_id=account.organization_id)
    return _page(
        request,
        session,
        account,
        "console/index.html",
        {"cycles": [_cycle_summary(c, now) for c in cycles], "units": units},
    )


def _cycle_summary(cycle: AuditCycle, now: datetime) -> dict[str, Any]:
    current = [s for s in cycle.stages if s.status == StageStatus.OPEN]
    return {
        "cycle": cycle,
        "current": ", ".join(STAGE_LABELS[s.kind] for s in current) or "—",
        "late": sum(1 for s in cycle.stages if _lateness(s, now)),
    }


def _lateness(stage: Stage, now: datetime) -> str | None:
    today = local_date(now)
    if stage.status == StageStatus.PLANNED and today > stage.starts_on:
        return "мав розпочатися " + f"{stage.starts_on:%d.%m.%Y}"
    if stage.status == StageStatus.OPEN and today > stage.due_on:
        return "мав завершитися " + f"{stage.due_on:%d.%m.%Y}"
    return None


@router.get("/console/units")
def units_page(request: Request, session: DB, now: Now) -> Response:
    """The organization's units and a form to add one."""
    account = _account(request, session, now)
    return _units(request, session, account, {}, None)


def _units(
    request: Request,
    session: Session,
    account: Account,
    values: dict[str, str],
    error: str | None,
    status_code: int = 200,
    upload: UnitImport | None = None,
) -> Response:
    assert account.organization_id is not None
    units = list_units(session, organization_id=account.organization_id)
    form = {"values": values, "error": error, "upload": upload}
    context = {"units": units, "kinds": UNIT_KIND_LABELS, **form}
    return _page(request, session, account, "console/units.html", context, status_code)


@router.post("/console/units")
def create_unit(
    request: Request,
    session: DB,
    now: Now,
    csrf: CSRF,
    name: FormText = "",
    kind: FormText = UnitKind.EXECUTIVE_UNIT.value,
    head_name: FormText = "",
    email: FormText = "",
) -> Response:
    """Add a unit."""
    verify_csrf(request, csrf)
    account = _account(request, session, now, COORDINATOR_ONLY)
    assert account.organization_id is not None
    values = {"name": name, "kind": kind, "head_name": head_name, "email": email}
    try:
        unit = UnitCreate.model_validate(
            {"name": name, "kind": kind, "head_name": head_name or None, "email": email or None}
        )
        add_unit(session, organization_id=account.organization_id, **unit.model_dump())
    except ValidationError as exc:
        message = "; ".join(f"{e['field']}: {e['message']}" for e in ukrainian_errors(exc.errors()))
        return _units(request, session, account, values, message, 422)
    except DomainError as exc:
        return _units(request, session, account, values, exc.message, exc.status_code)
    return _see_other("/console/units")


ROLE_LABELS = {
    Role.COORDINATOR: "координатор робочої групи",
    Role.WORKING_GROUP: "член робочої групи",
    Role.AUDITOR: "інформаційний аудитор",
    Role.MAYOR_OFFICE: "апарат міського голови (перегляд і завантаження)",
}
_ACCOUNT_FIELDS = {"email": "Пошта", "password": "Пароль", "role": "Роль", "full_name": "ПІБ"}


def _accounts(
    request: Request,
    session: Session,
    account: Account,
    values: dict[str, str],
    error: str | None,
    status_code: int = 200,
) -> Response:
    assert account.organization_id is not None
    accounts = list_accounts(session, organization_id=account.organization_id)
    form = {"values": values, "error": error}
    context = {"accounts": accounts, "roles": ROLE_LABELS, **form}
    return _page(request, session, account, "console/accounts.html", context, status_code)


@router.get("/console/accounts")
def accounts_page(request: Request, session: DB, now: Now) -> Response:
    """The organization's logins (coordinator only)."""
    account = _account(request, session, now, COORDINATOR_ONLY)
    return _accounts(request, session, account, {}, None)


@router.post("/console/accounts")
def create_login(
    request: Request,
    session: DB,
    now: Now,
    csrf: CSRF,
    email: FormText = "",
    full_name: FormText = "",
    role: FormText = "",
    password: FormText = "",
) -> Response:
    """Create a login for a member, an auditor or the mayor's office."""
    verify_csrf(request, csrf)
    account = _account(request, session, now, COORDINATOR_ONLY)
    assert account.organization_id is not None
    values = {"email": email, "full_name": full_name, "role": role}
    try:
        data = AccountCreate.model_validate(
            {"email": email, "full_name": full_name, "role": role, "password": password}
        )
        if data.role == Role.ADMIN:
            raise Forbidden("Координатор не може створити адміністратора встановлення.")
        create_account(
            session,
            organization_id=account.organization_id,
            actor=Actor.of(account),
            at=now,
            **data.model_dump(),
        )
    except ValidationError as exc:
        message = "; ".join(
            f"{_ACCOUNT_FIELDS.get(e['field'], e['field'])}: {e['message']}"
            for e in ukrainian_errors(exc.errors())
        )
        return _accounts(request, session, account, values, message, 422)
    except DomainError as exc:
        return _accounts(request, session, account, values, exc.message, exc.status_code)
    return _see_other("/console/accounts")


MAX_UNITS_UPLOAD = 1_000_000


@router.post("/console/units/upload")
def upload_units(request: Request, form: BrowserForm, session: DB, now: Now) -> Response:
    """Add units from a CSV or XLSX table; refused rows are listed with row and column."""
    verify_csrf(request, str(form.get("csrf_token") or ""))
    account = _account(request, session, now, COORDINATOR_ONLY)
    assert account.organization_id is not None
    upload = form.get("file")
    if not isinstance(upload, StarletteUploadFile) or not upload.filename:
        return _units(request, session, account, {}, "Оберіть файл CSV або XLSX.", 422)
    content = upload.file.read(MAX_UNITS_UPLOAD + 1)
    if len(content) > MAX_UNITS_UPLOAD:
        return _units(request, session, account, {}, "Файл завеликий (не більше 1 МБ).", 413)
    try:
        rows = read_table(content, upload.filename)
    except TableError as exc:
        return _units(request, session, account, {}, str(exc), 422)
    result = import_units(
        session,
        organization_id=account.organization_id,
        rows=rows,
        actor=Actor.of(account),
        at=now,
    )
    status_code = 200 if result.added or not result.errors else 422
    return _units(request, session, account, {}, None, status_code, upload=result)


@router.get("/console/cycles/new")
def launch_form(request: Request, session: DB, now: Now) -> Response:
    """The launch form, mirroring the mayor's order, with a default schedule.

    The previous cycle's set-up (units, auditors, involved persons) is offered again.
    """
    account = _account(request, session, now, COORDINATOR_ONLY)
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
    return _launch(request, session, account, values, chosen, None)


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
    status_code: int = 200,
) -> Response:
    assert account.organization_id is not None
    return _page(
        request,
        session,
        account,
        "console/launch.html",
        {
            "values": values,
            "units": list_units(session, organization_id=account.organization_id),
            "chosen_units": set(chosen_units),
            "stages": [(kind.value, STAGE_LABELS[kind]) for kind in STAGE_ORDER],
            "errors": errors or [],
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


@router.post("/console/cycles/new")
def launch(
    request: Request, form: BrowserForm, session: DB, now: Now, settings: AppSettings
) -> Response:
    """Recompute the schedule, or launch the cycle; errors re-render the form with the values."""
    verify_csrf(request, str(form.get("csrf_token") or ""))
    account = _account(request, session, now, COORDINATOR_ONLY)
    assert account.organization_id is not None
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "units"}
    chosen = [str(u) for u in form.getlist("units")]
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
                422,
            )
        return _launch(request, session, account, values, chosen, None)
    document = {
        "year": values.get("year") or None,
        "order": {
            "number": values.get("order_number", ""),
            "date": values.get("order_date") or None,
            "title": values.get("order_title") or "Про проведення інформаційного аудиту",
        },
        "units": chosen,
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
    try:
        plan = CyclePlan.model_validate(document)
        cycle = launch_for(session, account=account, plan=plan, settings=settings, now=now)
    except ValidationError as exc:
        errors = [
            f"{_field_label(e['field'])}: {e['message']}" for e in ukrainian_errors(exc.errors())
        ]
        return _launch(request, session, account, values, chosen, errors, 422)
    except DomainError as exc:
        session.rollback()
        return _launch(request, session, account, values, chosen, [exc.message], exc.status_code)
    return _see_other(f"/console/cycles/{cycle.id}")


_FIELD_LABELS = {
    "year": "Рік",
    "order.number": "Номер розпорядження",
    "order.date": "Дата розпорядження",
    "units": "Підрозділи",
    "auditors": "Аудитори",
}


def _field_label(field: str) -> str:
    if field in _FIELD_LABELS:
        return _FIELD_LABELS[field]
    parts = field.split(".")
    if parts[0] == "stages" and len(parts) > 1 and parts[1] in StageKind.__members__.values():
        return f"Етап «{STAGE_LABELS[StageKind(parts[1])]}»"
    return "Дані форми" if field == "body" else field


@router.get("/console/cycles/{cycle_id}")
def cycle_page(
    cycle_id: int, request: Request, session: DB, now: Now, settings: AppSettings
) -> Response:
    """A cycle's timeline, figures, links, report and audit trail."""
    account, cycle = _cycle(request, session, now, cycle_id)
    url = survey_url(settings, cycle)
    version = latest_version(session, cycle_id=cycle.id)
    show_links = account.role != Role.MAYOR_OFFICE
    return _page(
        request,
        session,
        account,
        "console/cycle.html",
        {
            "cycle": cycle,
            "stages": [
                {
                    "stage": s,
                    "label": STAGE_LABELS[s.kind],
                    "status": STAGE_STATUS_LABELS[s.status],
                    "late": _lateness(s, now),
                }
                for s in cycle.stages
            ],
            "counts": questionnaire_counts(session, cycle_id=cycle.id),
            "progress": unit_progress(session, cycle_id=cycle.id),
            "progress_labels": PROGRESS_LABELS,
            "participants": count_responses(session, cycle_id=cycle.id),
            "links": links_read(session, cycle_id=cycle.id, settings=settings)
            if show_links
            else [],
            "survey_url": url,
            "survey_qr": segno.make(url, error="m").svg_inline(scale=4, title="QR-код опитування"),
            "report": version,
            "request_key": new_token(12),
            "sent": request.query_params.get("sent"),
            "events": list(reversed(list_events(session, cycle_id=cycle.id)))[:100],
        },
    )


@router.post("/console/cycles/{cycle_id}/links")
def send_links(
    cycle_id: int,
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    csrf: CSRF,
    request_key: FormText = "",
) -> Response:
    """E-mail each unit its secret link (through the outbox; the sweep sends it)."""
    verify_csrf(request, csrf)
    account, cycle = _cycle(request, session, now, cycle_id, COORDINATOR_ONLY)
    if not 8 <= len(request_key) <= 64:
        raise DomainError("Форма застаріла. Оновіть сторінку й спробуйте ще раз.")
    count = enqueue_unit_links(
        session,
        cycle_id=cycle.id,
        settings=settings,
        now=now,
        request_key=request_key,
        actor=Actor.of(account),
    )
    return _see_other(f"/console/cycles/{cycle.id}?sent={count}#links")


@router.post("/console/cycles/{cycle_id}/stages/{kind}")
def stage_action(
    cycle_id: int,
    kind: StageKind,
    request: Request,
    session: DB,
    now: Now,
    csrf: CSRF,
    action: FormText = "",
    reason: FormText = "",
    due_on: FormText = "",
) -> Response:
    """Open or close a stage early, extend its due date, or skip interviews — with a reason."""
    verify_csrf(request, csrf)
    account = _account(request, session, now, COORDINATOR_ONLY)
    get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)
    common: dict[str, Any] = {
        "cycle_id": cycle_id,
        "kind": kind,
        "reason": reason,
        "now": now,
        "actor": Actor.of(account),
    }
    if action in ("open", "close"):
        to = StageStatus.OPEN if action == "open" else StageStatus.CLOSED
        change_stage_early(session, to=to, **common)
    elif action == "skip":
        skip_stage(session, **common)
    elif action == "extend":
        try:
            new_due = date.fromisoformat(due_on)
        except ValueError as exc:
            raise DomainError("Нова дата: має бути датою у форматі РРРР-ММ-ДД.") from exc
        extend_stage(session, due_on=new_due, **common)
    else:
        raise DomainError("Невідома дія.")
    return _see_other(f"/console/cycles/{cycle_id}#stages")


def install_console(app: FastAPI) -> None:
    """Add the console's routes and its login redirect to the app."""
    app.include_router(router)
    for pages in (report, report_text, interviews, survey, consolidation):
        app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, _exc: LoginRequired) -> Response:
        return _see_other("/login")
