"""What every console page shares: the logged-in account, the page layout, form fields."""

from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import bearer_token
from api.web import render_page
from models.account import EDITOR_ROLES, READ_ROLES, Account, Role
from models.cycle import AuditCycle
from models.errors import DomainError, Forbidden, Unauthorized
from models.organization import Organization
from models.services.accounts import account_for_token
from models.services.cycles import get_own_cycle

FormText = Annotated[str, Form()]
CSRF = Annotated[str, Form(alias="csrf_token")]
COORDINATOR_ONLY = frozenset({Role.COORDINATOR})


class LoginRequired(Exception):
    """The page needs a login: the handler redirects to /login."""


def _account(
    request: Request, session: Session, now: datetime, roles: frozenset[Role] = READ_ROLES
) -> Account:
    token = bearer_token(request)
    if not token:
        raise LoginRequired
    try:
        account = account_for_token(session, token=token, now=now)
    except Unauthorized as exc:
        raise LoginRequired from exc
    if account.role not in roles or account.organization_id is None:
        raise Forbidden("Недостатньо прав для цієї сторінки.")
    return account


def _cycle(
    request: Request,
    session: Session,
    now: datetime,
    cycle_id: int,
    roles: frozenset[Role] = READ_ROLES,
) -> tuple[Account, AuditCycle]:
    """The logged-in account (with one of these roles) and its organization's cycle."""
    account = _account(request, session, now, roles)
    return account, get_own_cycle(
        session, cycle_id=cycle_id, organization_id=account.organization_id
    )


def _page(
    request: Request,
    session: Session,
    account: Account | None,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    organization = (
        session.get(Organization, account.organization_id)
        if account is not None and account.organization_id is not None
        else None
    )
    return render_page(
        request,
        name,
        {
            "account": account,
            "organization_name": organization.name if organization else None,
            "can_manage": account is not None and account.role == Role.COORDINATOR,
            "can_edit": account is not None and account.role in EDITOR_ROLES,
            **context,
        },
        status_code,
    )


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class CyclePage(Protocol):
    """A console page of one cycle, shown again with a refused form's error and values."""

    def __call__(
        self,
        request: Request,
        session: Session,
        account: Account,
        cycle: AuditCycle,
        *,
        error: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response: ...


def _refused(
    page: CyclePage,
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    form: str,
    exc: DomainError,
    values: dict[str, str] | None = None,
) -> Response:
    """A refused form post: nothing half-done is kept, and the page comes back with the error
    beside that form and what was typed in it."""
    session.rollback()
    error = {"form": form, "message": exc.message, "field": exc.field or ""}
    return page(
        request, session, account, cycle, error=error, values=values, status_code=exc.status_code
    )
