"""What every console page shares: the page layout, the redirect after a post, form fields."""

from typing import Annotated, Any, Protocol

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.web import render_page, set_notice
from models.account import EDITOR_ROLES, Account, Role
from models.cycle import AuditCycle
from models.errors import DomainError
from models.organization import Organization

FormText = Annotated[str, Form()]


def page(
    request: Request,
    session: Session,
    account: Account | None,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """A console page in the layout: the account, its organization and what it may do."""
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


def see_other(url: str) -> RedirectResponse:
    """The redirect after a successful post (303: the browser follows it with a GET)."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/console") -> str:
    """Where to go after login: only a path on this site (never "//host" or "https://…")."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c in target for c in "\\\r\n\t")
        or target.startswith("/login")
    ):
        return default
    return target


def done(request: Request, url: str, notice: str) -> RedirectResponse:
    """The redirect after a successful action, with the confirmation the next page shows once
    ("Збережено.", "Версію 2 затверджено.")."""
    response = see_other(url)
    set_notice(request, response, notice)
    return response


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


def refused(
    cycle_page: CyclePage,
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
    return cycle_page(
        request, session, account, cycle, error=error, values=values, status_code=exc.status_code
    )
