"""Editing and deactivating the organization's units and logins, resetting a password."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.account import Account, AccountSession, Role
from models.actor import Actor
from models.errors import Conflict, Forbidden, NotFound
from models.organization import Unit
from models.schemas import AccountUpdate, UnitCreate
from models.security import hash_password, new_token
from models.services.accounts import lift_lockouts
from models.services.events import record_event


def get_own_unit(session: Session, *, unit_id: int, organization_id: int) -> Unit:
    """The organization's unit, or NotFound (another holder's unit is never revealed)."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.organization_id != organization_id:
        raise NotFound("Підрозділ не знайдено.")
    return unit


def update_unit(
    session: Session,
    *,
    unit_id: int,
    organization_id: int,
    data: UnitCreate,
    actor: Actor,
    at: datetime,
) -> Unit:
    """Rename a unit or change its kind, head or e-mail (names stay unique)."""
    unit = get_own_unit(session, unit_id=unit_id, organization_id=organization_id)
    clash = session.scalar(
        select(Unit.id).where(
            Unit.organization_id == organization_id, Unit.name == data.name, Unit.id != unit.id
        )
    )
    if clash is not None:
        raise Conflict(f"Підрозділ «{data.name}» вже існує.", field="name")
    unit.name, unit.kind, unit.head_name, unit.email = (
        data.name,
        data.kind,
        data.head_name,
        data.email,
    )
    session.flush()
    _record(session, organization_id, "unit.updated", at, actor, unit=unit.id, name=unit.name)
    return unit


def set_unit_active(
    session: Session,
    *,
    unit_id: int,
    organization_id: int,
    active: bool,
    actor: Actor,
    at: datetime,
) -> Unit:
    """Deactivate a unit (no link in new cycles; past cycles keep it) or bring it back."""
    unit = get_own_unit(session, unit_id=unit_id, organization_id=organization_id)
    if unit.is_active != active:
        unit.is_active = active
        session.flush()
        action = "unit.reactivated" if active else "unit.deactivated"
        _record(session, organization_id, action, at, actor, unit=unit.id, name=unit.name)
    return unit


def get_own_account(session: Session, *, account_id: int, organization_id: int) -> Account:
    """The organization's login, or NotFound."""
    account = session.get(Account, account_id)
    if account is None or account.organization_id != organization_id:
        raise NotFound("Обліковий запис не знайдено.")
    return account


def update_account(
    session: Session,
    *,
    account_id: int,
    organization_id: int,
    data: AccountUpdate,
    actor: Actor,
    at: datetime,
) -> Account:
    """Change a login's name, e-mail or role (never to administrator, never one's own role)."""
    account = get_own_account(session, account_id=account_id, organization_id=organization_id)
    if data.role is not None and data.role != account.role:
        if data.role == Role.ADMIN:
            raise Forbidden("Координатор не може створити адміністратора встановлення.")
        if actor.account_id == account.id:
            raise Conflict("Власну роль змінити не можна.", field="role")
        account.role = data.role
    if data.email is not None:
        email = data.email.strip().lower()
        clash = session.scalar(
            select(Account.id).where(Account.email == email, Account.id != account.id)
        )
        if clash is not None:
            raise Conflict("Обліковий запис з такою адресою вже існує.", field="email")
        account.email = email
    if data.full_name is not None:
        account.full_name = data.full_name
    session.flush()
    _record(
        session,
        organization_id,
        "account.updated",
        at,
        actor,
        account_id=account.id,
        role=account.role.value,
    )
    return account


def set_account_active(
    session: Session,
    *,
    account_id: int,
    organization_id: int,
    active: bool,
    actor: Actor,
    at: datetime,
) -> Account:
    """Deactivate a login (its sessions end, it cannot log in) or bring it back."""
    account = get_own_account(session, account_id=account_id, organization_id=organization_id)
    if not active and actor.account_id == account.id:
        raise Conflict("Власний обліковий запис вимкнути не можна.")
    if account.is_active != active:
        account.is_active = active
        if not active:
            _end_sessions(session, account.id)
        session.flush()
        action = "account.reactivated" if active else "account.deactivated"
        _record(session, organization_id, action, at, actor, account_id=account.id)
    return account


def reset_password(
    session: Session,
    *,
    account_id: int,
    organization_id: int,
    password: str | None,
    secret_key: str,
    actor: Actor,
    at: datetime,
) -> str:
    """Set a new password (or generate one); the account's sessions end and its login lockouts
    are lifted. Returns the password, to be shown once: only its hash is kept."""
    account = get_own_account(session, account_id=account_id, organization_id=organization_id)
    new_password = password or new_token(12)
    account.password_hash = hash_password(new_password)
    lift_lockouts(session, secret_key=secret_key, email=account.email)
    _end_sessions(session, account.id)
    session.flush()
    _record(
        session,
        organization_id,
        "account.password_reset",
        at,
        actor,
        account_id=account.id,
        generated=password is None,
    )
    return new_password


def _end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))


def _record(
    session: Session,
    organization_id: int,
    action: str,
    at: datetime,
    actor: Actor,
    **details: object,
) -> None:
    record_event(
        session,
        organization_id=organization_id,
        action=action,
        at=at,
        actor=actor,
        details=dict(details),
    )
