"""The organization's units: the list, a form to add one, adding many from a table, editing and
deactivating one, replacing one unit's secret link in a cycle, and where the holder and each
unit publish on the open-data portal."""

import re

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.deps import DB, AppSettings, BrowserForm, Now
from api.errors import ukrainian_errors
from api.routes.console.common import FormText, done, page, see_other
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCoordinator,
    ConsoleCycle,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import Account
from models.errors import DomainError
from models.organization import UNIT_KIND_LABELS, Unit, UnitKind
from models.schemas import UnitCreate
from models.services.cycles import replace_unit_link
from models.services.organizations import UnitImport, add_unit, import_units, list_units
from models.services.people import get_own_unit, set_unit_active, update_unit
from models.services.portal_snapshots import (
    set_unit_portal_organizations,
    unit_portal_organizations,
)
from models.services.portal_source import set_portal_source, token_is_set
from models.services.publication import get_portal_source
from models.tabular import TableError, read_table

router = console_router()
MAX_UNITS_UPLOAD = 1_000_000
PORTAL_URL = re.compile(r"^https?://\S+$")


def _units(
    request: Request,
    session: Session,
    account: Account,
    values: dict[str, str],
    error: str | None,
    status_code: int = 200,
    upload: UnitImport | None = None,
    portal_error: dict[str, str] | None = None,
) -> Response:
    assert account.organization_id is not None
    units = list_units(session, organization_id=account.organization_id)
    form = {"values": values, "error": error, "upload": upload, "portal_error": portal_error}
    source = get_portal_source(session, organization_id=account.organization_id)
    context = {
        "units": units,
        "kinds": UNIT_KIND_LABELS,
        "portal_source": source,
        "portal_token_set": token_is_set(source),
        "unit_portals": unit_portal_organizations(session, organization_id=account.organization_id),
        **form,
    }
    return page(request, session, account, "console/units.html", context, status_code)


@router.get("/console/units")
def units_page(request: Request, session: DB, account: ConsoleWorkingGroup) -> Response:
    """The organization's units and a form to add one."""
    return _units(request, session, account, {}, None)


@router.post("/console/units")
def create_unit(
    request: Request,
    session: DB,
    account: ConsoleCoordinator,
    name: FormText = "",
    kind: FormText = UnitKind.EXECUTIVE_UNIT.value,
    head_name: FormText = "",
    email: FormText = "",
) -> Response:
    """Add a unit."""
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
    return see_other("/console/units")


@router.post("/console/units/upload")
def upload_units(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
) -> Response:
    """Add units from a CSV or XLSX table, every row or none; refused rows are listed with row
    and column."""
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
        session, organization_id=account.organization_id, rows=rows, actor=actor, at=now
    )
    status_code = 422 if result.errors else 200
    return _units(request, session, account, {}, None, status_code, upload=result)


@router.post("/console/units/portal")
def set_portal(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    portal_url: FormText = "",
    portal_organization: FormText = "",
    api_token: FormText = "",
    remove_token: FormText = "",
) -> Response:
    """Say on which portal (one the administrator allows) and under which organization the
    holder publishes, and its API key (write-only: never shown back)."""
    assert account.organization_id is not None
    # The key is not kept in the form when it is shown again with an error.
    values = {"portal_url": portal_url, "portal_organization": portal_organization}
    url, name = portal_url.strip(), portal_organization.strip()
    problem = None
    if not PORTAL_URL.match(url) or len(url) > 500:
        problem = {"field": "portal_url", "message": "Адреса порталу: має починатися з https://."}
    elif not name or len(name) > 200 or " " in name:
        problem = {
            "field": "portal_organization",
            "message": "Організація на порталі: ідентифікатор без пробілів (як kalush-rada).",
        }
    if problem is None:
        try:
            set_portal_source(
                session,
                organization_id=account.organization_id,
                portal_url=url,
                portal_organization=name,
                api_token=api_token or None,
                remove_token=bool(remove_token),
                actor=actor,
                now=now,
            )
        except DomainError as exc:
            session.rollback()
            problem = {"field": exc.field or "portal_url", "message": exc.message}
    if problem is not None:
        return _units(request, session, account, values, None, 422, portal_error=problem)
    return done(request, "/console/units#portal", "Збережено.")


@router.post("/console/units/portal-organizations")
def set_unit_portal(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    unit_id: FormText = "",
    portal_organizations: FormText = "",
) -> Response:
    """Say under which portal organization(s) a unit publishes (one per line or comma)."""
    assert account.organization_id is not None
    values = {"unit_id": unit_id, "portal_organizations": portal_organizations}
    names = [n for n in re.split(r"[,;\n]", portal_organizations) if n.strip()]
    try:
        set_unit_portal_organizations(
            session,
            organization_id=account.organization_id,
            unit_id=int(unit_id) if unit_id.isdigit() else 0,
            names=names,
            actor=actor,
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        problem = {"field": exc.field or "unit_id", "message": exc.message}
        return _units(
            request, session, account, values, None, exc.status_code, portal_error=problem
        )
    return done(request, "/console/units#portal", "Збережено.")


def _unit_page(
    request: Request,
    session: Session,
    account: Account,
    unit: Unit,
    values: dict[str, str] | None = None,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = values or {
        "name": unit.name,
        "kind": unit.kind.value,
        "head_name": unit.head_name or "",
        "email": unit.email or "",
    }
    context = {"unit": unit, "kinds": UNIT_KIND_LABELS, "values": shown, "error": error}
    return page(request, session, account, "console/unit.html", context, status_code)


@router.get("/console/units/{unit_id}")
def unit_page(unit_id: int, request: Request, session: DB, account: ConsoleCoordinator) -> Response:
    """A unit's form: its name, kind, head and e-mail; deactivating it."""
    assert account.organization_id is not None
    unit = get_own_unit(session, unit_id=unit_id, organization_id=account.organization_id)
    return _unit_page(request, session, account, unit)


@router.post("/console/units/{unit_id}")
def edit_unit(
    unit_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    name: FormText = "",
    kind: FormText = UnitKind.EXECUTIVE_UNIT.value,
    head_name: FormText = "",
    email: FormText = "",
) -> Response:
    """Save a unit's changes; a refusal comes back beside its field with the input kept."""
    assert account.organization_id is not None
    unit = get_own_unit(session, unit_id=unit_id, organization_id=account.organization_id)
    values = {"name": name, "kind": kind, "head_name": head_name, "email": email}
    try:
        data = UnitCreate.model_validate(
            {"name": name, "kind": kind, "head_name": head_name or None, "email": email or None}
        )
        update_unit(
            session,
            unit_id=unit.id,
            organization_id=account.organization_id,
            data=data,
            actor=actor,
            at=now,
        )
    except ValidationError as exc:
        first = ukrainian_errors(exc.errors())[0]
        error = {"field": first["field"], "message": first["message"]}
        return _unit_page(request, session, account, unit, values, error, 422)
    except DomainError as exc:
        session.rollback()
        error = {"field": exc.field or "name", "message": exc.message}
        return _unit_page(request, session, account, unit, values, error, exc.status_code)
    return done(request, "/console/units", f"Підрозділ «{data.name}» збережено.")


@router.post("/console/units/{unit_id}/active")
def unit_active(
    unit_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    active: FormText = "",
) -> Response:
    """Deactivate a unit (no link in new cycles) or bring it back."""
    assert account.organization_id is not None
    unit = set_unit_active(
        session,
        unit_id=unit_id,
        organization_id=account.organization_id,
        active=active == "1",
        actor=actor,
        at=now,
    )
    notice = "увімкнено" if unit.is_active else "вимкнено: у нових циклах він не отримає анкети"
    return done(request, "/console/units", f"Підрозділ «{unit.name}» {notice}.")


@router.post("/console/cycles/{cycle_id}/units/{unit_id}/link")
def replace_link(
    unit_id: int,
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    _coordinator: ConsoleCoordinator,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Give one unit a new secret link; its old link stops working, the others stay."""
    replace_unit_link(
        session,
        cycle_id=cycle.id,
        unit_id=unit_id,
        secret_key=settings.secret_key,
        now=now,
        actor=actor,
    )
    unit = session.get(Unit, unit_id)
    assert unit is not None
    notice = f"Посилання підрозділу «{unit.name}» замінено. Передайте підрозділу нове посилання."
    return done(request, f"/console/cycles/{cycle.id}#links", notice)
