"""The console's request dependencies: the logged-in account with the page's roles, the path's
cycle of that account's organization, the actor the services record, and the CSRF check.

Unlike the JSON API (401/403 as JSON), a console page without a login redirects to /login and a
wrong role gets the "forbidden" page.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.deps import DB, Now, bearer_token, form_reader
from api.web import CSRF_FIELD, verify_csrf
from models.account import EDITOR_ROLES, READ_ROLES, WORKING_GROUP_ROLES, Account, Role
from models.actor import Actor
from models.cycle import AuditCycle
from models.errors import Forbidden, Unauthorized
from models.services.accounts import account_for_token
from models.services.cycles import get_own_cycle

COORDINATOR_ONLY = frozenset({Role.COORDINATOR})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The same limits as the routes' BrowserForm: Starlette parses a request's form once and caches
# it, so whichever reads it first sets the limits for both.
_read_form = form_reader()


class LoginRequired(Exception):
    """The page needs a login: the handler redirects to /login."""


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe-method form whose token does not match this browser's cookie (403)."""
    if request.method in SAFE_METHODS:
        return
    token = (await _read_form(request)).get(CSRF_FIELD)
    verify_csrf(request, token if isinstance(token, str) else None)


def console_router() -> APIRouter:
    """A router of console pages: hidden from the API schema, every form post CSRF-checked."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def logged_in(request: Request, session: DB, now: Now) -> Account:
    """The account of this browser's session (any role), or the redirect to /login."""
    token = bearer_token(request)
    if not token:
        raise LoginRequired
    try:
        return account_for_token(session, token=token, now=now)
    except Unauthorized as exc:
        raise LoginRequired from exc


LoggedIn = Annotated[Account, Depends(logged_in)]


def console_roles(roles: frozenset[Role]) -> Any:
    """A dependency: the logged-in account of an organization with one of these roles (403)."""

    # Async: a check of what is already loaded needs no worker thread.
    async def check(account: LoggedIn) -> Account:
        if account.role not in roles or account.organization_id is None:
            raise Forbidden("Недостатньо прав для цієї сторінки.")
        return account

    return Depends(check)


# Who may open a page or post a form, by the role sets of models/account.py.
ConsoleReader = Annotated[Account, console_roles(READ_ROLES)]
ConsoleWorkingGroup = Annotated[Account, console_roles(WORKING_GROUP_ROLES)]
ConsoleEditor = Annotated[Account, console_roles(EDITOR_ROLES)]
ConsoleCoordinator = Annotated[Account, console_roles(COORDINATOR_ONLY)]
# Those who take portal snapshots and confirm matches (as the JSON API's auditing routes).
ConsoleAuditing = Annotated[Account, console_roles(frozenset({Role.COORDINATOR, Role.AUDITOR}))]


def console_cycle(cycle_id: int, session: DB, account: ConsoleReader) -> AuditCycle:
    """The path's cycle if it belongs to the caller's organization (404 otherwise).

    Declare it after the route's role dependency, so that a wrong role is a 403 before the lookup.
    """
    return get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)


async def console_actor(account: LoggedIn) -> Actor:
    """Who acts in this request, as the services record it in the audit trail."""
    return Actor.of(account)


ConsoleCycle = Annotated[AuditCycle, Depends(console_cycle)]
ConsoleActor = Annotated[Actor, Depends(console_actor)]
