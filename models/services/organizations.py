"""Organizations, their units, officials and accounts."""

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.account import Account, Role
from models.actor import Actor
from models.errors import Conflict, Forbidden, Invalid, NotFound
from models.organization import Official, Organization, Unit, UnitKind
from models.passwords import check_password
from models.schemas import OrganizationCreate, UnitCreate
from models.security import hash_password
from models.services.events import record_event
from models.tabular import check_import_rows
from models.validation import error_message


def count_organizations(session: Session) -> int:
    """How many organizations the installation holds."""
    return session.scalar(select(func.count(Organization.id))) or 0


def list_organization_ids(session: Session) -> list[int]:
    """Every organization of the installation."""
    return list(session.scalars(select(Organization.id).order_by(Organization.id)))


def get_organization(session: Session, *, organization_id: int) -> Organization:
    """The organization, or NotFound."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("Організацію не знайдено.")
    return organization


def create_organization(
    session: Session,
    *,
    name: str,
    edrpou: str | None,
    at: datetime,
    actor: Actor,
    place: str | None = None,
    website: str | None = None,
) -> Organization:
    """Create an information holder."""
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise Conflict(f"Організація «{name}» вже існує.", field="name")
    organization = Organization(name=name, edrpou=edrpou, place=place, website=website)
    session.add(organization)
    session.flush()
    record_event(
        session, organization_id=organization.id, action="organization.created", at=at, actor=actor
    )
    return organization


def create_organization_with_coordinator(
    session: Session, *, document: OrganizationCreate, at: datetime, actor: Actor
) -> Organization:
    """An organization with its units and first coordinator (the API and the CLI both use it)."""
    organization = create_organization(
        session,
        name=document.name,
        edrpou=document.edrpou,
        place=document.place,
        website=document.website,
        at=at,
        actor=actor,
    )
    for unit in document.units:
        add_unit(session, organization_id=organization.id, **unit.model_dump())
    create_account(
        session,
        organization_id=organization.id,
        email=document.coordinator.email,
        password=document.coordinator.password,
        full_name=document.coordinator.full_name,
        role=Role.COORDINATOR,
        actor=actor,
        at=at,
    )
    return organization


def add_unit(
    session: Session,
    *,
    organization_id: int,
    name: str,
    kind: UnitKind = UnitKind.EXECUTIVE_UNIT,
    head_name: str | None = None,
    email: str | None = None,
) -> Unit:
    """Add a unit; names are unique within the organization."""
    exists = session.scalar(
        select(Unit.id).where(Unit.organization_id == organization_id, Unit.name == name)
    )
    if exists is not None:
        raise Conflict(f"Підрозділ «{name}» вже існує.", field="name")
    unit = Unit(
        organization_id=organization_id, name=name, kind=kind, head_name=head_name, email=email
    )
    session.add(unit)
    session.flush()
    return unit


def list_units(session: Session, *, organization_id: int) -> list[Unit]:
    """The organization's units in the order they were added."""
    return list(
        session.scalars(
            select(Unit).where(Unit.organization_id == organization_id).order_by(Unit.id)
        )
    )


def units_by_name(session: Session, *, organization_id: int, names: list[str]) -> list[Unit]:
    """The named units, in the order given; an unknown name is a 422 naming it."""
    found = {
        unit.name: unit
        for unit in session.scalars(
            select(Unit).where(Unit.organization_id == organization_id, Unit.name.in_(names))
        )
    }
    unknown = [name for name in names if name not in found]
    if unknown:
        raise Invalid("Невідомі підрозділи: " + "; ".join(unknown), field="units")
    return [found[name] for name in names]


def get_or_create_official(
    session: Session,
    *,
    organization_id: int,
    full_name: str,
    position: str = "",
    unit_id: int | None = None,
    email: str | None = None,
) -> Official:
    """The official with this name and position, created on first mention."""
    official = session.scalar(
        select(Official).where(
            Official.organization_id == organization_id,
            Official.full_name == full_name,
            Official.position == position,
        )
    )
    if official is None:
        official = Official(
            organization_id=organization_id,
            full_name=full_name,
            position=position,
            unit_id=unit_id,
            email=email,
        )
        session.add(official)
        session.flush()
    return official


def create_account(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    organization_id: int | None,
    actor: Actor,
    at: datetime,
    full_name: str = "",
) -> Account:
    """Create a login (recorded in the audit trail); the password is stored only as a hash."""
    check_password(password, personal=(email, full_name))
    if role != Role.ADMIN and organization_id is None:
        raise Invalid("Обліковий запис має належати організації.", field="organization_id")
    email = email.strip().lower()
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict("Обліковий запис з такою адресою вже існує.", field="email")
    account = Account(
        email=email,
        password_hash=hash_password(password),
        role=role,
        organization_id=organization_id,
        full_name=full_name,
    )
    session.add(account)
    session.flush()
    if organization_id is not None:
        record_event(
            session,
            organization_id=organization_id,
            action="account.created",
            at=at,
            actor=actor,
            details={"account_id": account.id, "role": account.role.value},
        )
    return account


def create_member_account(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    organization_id: int,
    actor: Actor,
    at: datetime,
    full_name: str = "",
) -> Account:
    """A login the coordinator adds to the organization (never an installation administrator)."""
    # One rule for the JSON API and the console: administrators are made with the CLI.
    if role == Role.ADMIN:
        raise Forbidden("Координатор не може створити адміністратора встановлення.")
    return create_account(
        session,
        email=email,
        password=password,
        role=role,
        organization_id=organization_id,
        actor=actor,
        at=at,
        full_name=full_name,
    )


def list_accounts(session: Session, *, organization_id: int) -> list[Account]:
    """The organization's logins, in the order they were created."""
    return list(
        session.scalars(
            select(Account).where(Account.organization_id == organization_id).order_by(Account.id)
        )
    )


UNIT_COLUMNS = {"назва": "name", "вид": "kind", "керівник": "head_name", "пошта": "email"}
UNIT_KINDS_BY_LABEL = {
    "виконавчий орган": UnitKind.EXECUTIVE_UNIT,
    "комунальне підприємство": UnitKind.MUNICIPAL_ENTERPRISE,
    "інше": UnitKind.OTHER,
}


@dataclass
class UnitImport:
    """What an upload of units added and which rows it refused (row and column named)."""

    added: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def import_units(
    session: Session, *, organization_id: int, rows: list[list[str]], actor: Actor, at: datetime
) -> UnitImport:
    """Add units from a table with the columns Назва, Вид, Керівник, Пошта: every row or none.

    A refused row (named with its column) refuses the whole table, so a corrected file can be
    uploaded again as it is; only a table taken whole is recorded in the audit trail.
    """
    check_import_rows(len(rows) - 1)
    with session.begin_nested() as whole:
        result = _import_unit_rows(session, organization_id=organization_id, rows=rows)
        if result.errors:
            whole.rollback()
            result.added.clear()
            return result
    record_event(
        session,
        organization_id=organization_id,
        action="units.imported",
        at=at,
        actor=actor,
        details={"added": len(result.added), "refused": len(result.errors)},
    )
    return result


def _import_unit_rows(
    session: Session, *, organization_id: int, rows: list[list[str]]
) -> UnitImport:
    result = UnitImport()
    if not rows:
        result.errors.append("Файл порожній.")
        return result
    header = [cell.strip().casefold() for cell in rows[0]]
    columns = {UNIT_COLUMNS[h]: i for i, h in enumerate(header) if h in UNIT_COLUMNS}
    if "name" not in columns:
        result.errors.append(
            "У першому рядку має бути стовпець «Назва» (також: Вид, Керівник, Пошта)."
        )
        return result
    for line, row in enumerate(rows[1:], start=2):
        values = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        if not any(values.values()):
            continue
        kind_label = values.get("kind", "").casefold()
        if kind_label and kind_label not in UNIT_KINDS_BY_LABEL:
            result.errors.append(
                f"Рядок {line}, стовпець «Вид»: «{values['kind']}» — очікується одне з: "
                + ", ".join(UNIT_KINDS_BY_LABEL)
                + "."
            )
            continue
        try:
            unit = UnitCreate(
                name=values["name"],
                kind=UNIT_KINDS_BY_LABEL.get(kind_label, UnitKind.EXECUTIVE_UNIT),
                head_name=values.get("head_name") or None,
                email=values.get("email") or None,
            )
            add_unit(session, organization_id=organization_id, **unit.model_dump())
        except ValidationError as exc:
            error = exc.errors()[0]
            column = {"name": "Назва", "head_name": "Керівник", "email": "Пошта"}.get(
                str(error["loc"][0]), str(error["loc"][0])
            )
            result.errors.append(f"Рядок {line}, стовпець «{column}»: {error_message(error)}.")
            continue
        except Conflict as exc:
            result.errors.append(f"Рядок {line}, стовпець «Назва»: {exc.message}")
            continue
        result.added.append(unit.name)
    return result
