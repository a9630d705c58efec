"""The organization's logins: the list, adding one, editing, deactivating and resetting a
password (coordinator only)."""

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Now
from api.errors import ukrainian_errors
from api.routes.console.common import FormText, done, page
from api.routes.console.deps import ConsoleActor, ConsoleCoordinator, console_router
from models.account import ROLE_LABELS as ALL_ROLE_LABELS
from models.account import Account, Role
from models.errors import DomainError, Invalid
from models.schemas import AccountCreate, AccountUpdate
from models.services.organizations import create_member_account, list_accounts
from models.services.people import (
    get_own_account,
    reset_password,
    set_account_active,
    update_account,
)

router = console_router()
# Least powerful first: the form preselects none of them.
ROLE_LABELS = {
    role: ALL_ROLE_LABELS[role]
    + (" (перегляд і завантаження)" if role == Role.MAYOR_OFFICE else "")
    for role in (Role.WORKING_GROUP, Role.AUDITOR, Role.MAYOR_OFFICE, Role.COORDINATOR)
}
_ACCOUNT_FIELDS = {"email": "Пошта", "password": "Пароль", "role": "Роль", "full_name": "ПІБ"}


def _error(exc: ValidationError) -> dict[str, str]:
    first = ukrainian_errors(exc.errors())[0]
    return {"field": first["field"], "message": first["message"]}


def _accounts(
    request: Request,
    session: Session,
    account: Account,
    values: dict[str, str],
    error: dict[str, str] | None,
    status_code: int = 200,
) -> Response:
    assert account.organization_id is not None
    accounts = list_accounts(session, organization_id=account.organization_id)
    form = {"values": values, "error": error}
    context = {"accounts": accounts, "roles": ROLE_LABELS, **form}
    return page(request, session, account, "console/accounts.html", context, status_code)


@router.get("/console/accounts")
def accounts_page(request: Request, session: DB, account: ConsoleCoordinator) -> Response:
    """The organization's logins (coordinator only)."""
    return _accounts(request, session, account, {}, None)


@router.post("/console/accounts")
def create_login(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    email: FormText = "",
    full_name: FormText = "",
    role: FormText = "",
    password: FormText = "",
) -> Response:
    """Create a login for a member, an auditor or the mayor's office."""
    assert account.organization_id is not None
    values = {"email": email, "full_name": full_name, "role": role}
    try:
        if not role:
            raise Invalid("Оберіть роль.", field="role")
        data = AccountCreate.model_validate(
            {"email": email, "full_name": full_name, "role": role, "password": password}
        )
        create_member_account(
            session,
            organization_id=account.organization_id,
            actor=actor,
            at=now,
            **data.model_dump(),
        )
    except ValidationError as exc:
        return _accounts(request, session, account, values, _error(exc), 422)
    except DomainError as exc:
        session.rollback()
        error = {"field": exc.field or "", "message": exc.message}
        return _accounts(request, session, account, values, error, exc.status_code)
    return done(request, "/console/accounts", f"Обліковий запис {data.email} створено.")


def _account_page(
    request: Request,
    session: Session,
    account: Account,
    member: Account,
    values: dict[str, str] | None = None,
    error: dict[str, str] | None = None,
    status_code: int = 200,
    new_password: str | None = None,
) -> Response:
    shown = values or {
        "email": member.email,
        "full_name": member.full_name,
        "role": member.role.value,
    }
    context = {
        "member": member,
        "roles": ROLE_LABELS,
        "values": shown,
        "error": error,
        "new_password": new_password,
        "is_self": member.id == account.id,
    }
    response = page(request, session, account, "console/account.html", context, status_code)
    if new_password is not None:  # shown once: never kept by a cache
        response.headers["Cache-Control"] = "no-store"
    return response


def _member(session: Session, account: Account, account_id: int) -> Account:
    assert account.organization_id is not None
    return get_own_account(session, account_id=account_id, organization_id=account.organization_id)


@router.get("/console/accounts/{account_id}")
def account_page(
    account_id: int, request: Request, session: DB, account: ConsoleCoordinator
) -> Response:
    """A login's form, its password reset and its deactivation."""
    return _account_page(request, session, account, _member(session, account, account_id))


@router.post("/console/accounts/{account_id}")
def edit_login(
    account_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    email: FormText = "",
    full_name: FormText = "",
    role: FormText = "",
) -> Response:
    """Save a login's name, e-mail and role."""
    member = _member(session, account, account_id)
    values = {"email": email, "full_name": full_name, "role": role}
    try:
        data = AccountUpdate.model_validate(
            {"email": email, "full_name": full_name, "role": role or None}
        )
        assert account.organization_id is not None
        update_account(
            session,
            account_id=member.id,
            organization_id=account.organization_id,
            data=data,
            actor=actor,
            at=now,
        )
    except ValidationError as exc:
        return _account_page(request, session, account, member, values, _error(exc), 422)
    except DomainError as exc:
        session.rollback()
        error = {"field": exc.field or "", "message": exc.message}
        return _account_page(request, session, account, member, values, error, exc.status_code)
    return done(request, "/console/accounts", "Обліковий запис збережено.")


@router.post("/console/accounts/{account_id}/password")
def reset_login_password(
    account_id: int,
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    password: FormText = "",
) -> Response:
    """Set a new password, or generate one; it is shown on this page once."""
    member = _member(session, account, account_id)
    assert account.organization_id is not None
    try:
        if password and len(password) < 10:
            raise Invalid("Пароль має містити щонайменше 10 символів.", field="password")
        new_password = reset_password(
            session,
            account_id=member.id,
            organization_id=account.organization_id,
            password=password or None,
            secret_key=settings.secret_key,
            actor=actor,
            at=now,
        )
    except DomainError as exc:
        error = {"field": exc.field or "password", "message": exc.message}
        return _account_page(request, session, account, member, None, error, exc.status_code)
    return _account_page(request, session, account, member, new_password=new_password)


@router.post("/console/accounts/{account_id}/active")
def login_active(
    account_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleCoordinator,
    actor: ConsoleActor,
    active: FormText = "",
) -> Response:
    """Deactivate a login (its sessions end) or bring it back."""
    member = _member(session, account, account_id)
    assert account.organization_id is not None
    try:
        set_account_active(
            session,
            account_id=member.id,
            organization_id=account.organization_id,
            active=active == "1",
            actor=actor,
            at=now,
        )
    except DomainError as exc:
        error = {"field": "active", "message": exc.message}
        return _account_page(request, session, account, member, None, error, exc.status_code)
    state = "увімкнено" if member.is_active else "вимкнено: увійти з ним більше не можна"
    return done(request, "/console/accounts", f"Обліковий запис {member.email} {state}.")
