"""The organization's logins: the list and a form to add one (coordinator only)."""

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DB, Now
from api.errors import ukrainian_errors
from api.routes.console.common import FormText, page, see_other
from api.routes.console.deps import ConsoleActor, ConsoleCoordinator, console_router
from models.account import Account, Role
from models.errors import DomainError
from models.schemas import AccountCreate
from models.services.organizations import create_member_account, list_accounts

router = console_router()
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
        message = "; ".join(
            f"{_ACCOUNT_FIELDS.get(e['field'], e['field'])}: {e['message']}"
            for e in ukrainian_errors(exc.errors())
        )
        return _accounts(request, session, account, values, message, 422)
    except DomainError as exc:
        return _accounts(request, session, account, values, exc.message, exc.status_code)
    return see_other("/console/accounts")
