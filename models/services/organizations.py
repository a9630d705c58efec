"""Organizations, their units, officials and accounts."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.account import Account, Role
from models.errors import Conflict, Invalid, NotFound
from models.organization import Official, Organization, Unit, UnitKind
from models.security import hash_password
from models.services.events import record_event

MIN_PASSWORD_LENGTH = 10


def count_organizations(session: Session) -> int:
    """How many organizations the installation holds."""
    return session.scalar(select(func.count(Organization.id))) or 0


def get_organization(session: Session, *, organization_id: int) -> Organization:
    """The organization, or NotFound."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("Організацію не знайдено.")
    return organization


def create_organization(
    session: Session, *, name: str, edrpou: str | None, at: datetime, actor: str
) -> Organization:
    """Create an information holder."""
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise Conflict(f"Організація «{name}» вже існує.", field="name")
    organization = Organization(name=name, edrpou=edrpou)
    session.add(organization)
    session.flush()
    record_event(
        session, organization_id=organization.id, action="organization.created", at=at, actor=actor
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
    full_name: str = "",
) -> Account:
    """Create a login; the password is stored only as an argon2 hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Пароль має містити щонайменше {MIN_PASSWORD_LENGTH} символів.", field="password"
        )
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
    return account


def list_accounts(session: Session, *, organization_id: int) -> list[Account]:
    """The organization's logins, in the order they were created."""
    return list(
        session.scalars(
            select(Account).where(Account.organization_id == organization_id).order_by(Account.id)
        )
    )
