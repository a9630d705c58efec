"""Request dependencies: the session, the clock, the settings, the logged-in account and what
it may reach (its own organization, its own cycles)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.uploads import megabytes
from api.web import verify_csrf
from models.account import EDITOR_ROLES, READ_ROLES, WORKING_GROUP_ROLES, Account, Role
from models.actor import Actor
from models.bounds import MAX_INTEGER
from models.clock import Clock
from models.cycle import AuditCycle
from models.errors import Forbidden, NotFound, TooLarge, Unauthorized
from models.organization import Organization
from models.services.accounts import account_for_token
from models.services.cycles import get_own_cycle
from models.services.organizations import get_organization
from models.settings import Settings

SESSION_COOKIE = "infoaudit_session"


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request: commit on success, roll back on error.

    Async on purpose: opening a session does no I/O, and a sync dependency would cost two
    worker-thread hops per request. Only a session still in a transaction at the end needs a
    thread to commit it; a route that committed itself (the survey's hot path) needs none.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    finally:
        session.close()  # after a failure: rolls back (one short round trip)


def app_clock(request: Request) -> Clock:
    """The app's clock (injectable for tests and the demo), for code that holds the request."""
    clock: Clock = request.app.state.clock
    return clock


# The trivial dependencies are async so they run on the event loop, not in a worker thread.
# The largest id a row can have (a signed 64-bit integer, in SQLite and PostgreSQL alike).
MAX_ID = MAX_INTEGER


async def ids_in_range(request: Request) -> None:
    """A path number no row can have names nothing: 404, before it reaches the database (where
    SQLite's driver would overflow, below -2^63 as above 2^63-1)."""
    for value in request.path_params.values():
        if isinstance(value, str) and value.removeprefix("-").isdecimal():
            if not -MAX_ID - 1 <= int(value) <= MAX_ID:
                raise NotFound("Сторінку не знайдено.")


async def get_clock(request: Request) -> Clock:
    """The app's clock as a dependency."""
    return app_clock(request)


async def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> datetime:
    """The current instant by the app's clock."""
    return clock.now()


async def get_app_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


# The body and the form are read here, on the event loop, so that the routes that take them can
# be plain `def`s: their database work and file parsing then run in a worker thread instead of
# holding up every other request (residents' survey submissions among them).
MAX_BODY = 5_000_000


async def read_body(request: Request) -> bytes:
    """The request's raw body, read no further than MAX_BODY (413 naming the limit)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge(f"Запит завеликий: більше {megabytes(MAX_BODY)}.", field="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge(f"Запит завеликий: більше {megabytes(MAX_BODY)}.", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


def form_reader(
    *, max_fields: int = 1000, max_files: int = 1000
) -> Callable[[Request], Awaitable[FormData]]:
    """A dependency reading the request's form (urlencoded or multipart) within these limits."""

    async def read_form(request: Request) -> FormData:
        return await request.form(max_fields=max_fields, max_files=max_files)

    return read_form


# scope="function": the commit happens before the response is sent. With the default scope
# the client could get its 303 "saved" before the commit, and a next request (or a crash)
# would not see what the page said was saved.
DB = Annotated[Session, Depends(get_db, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
RawBody = Annotated[bytes, Depends(read_body)]
BrowserForm = Annotated[FormData, Depends(form_reader())]


def client_address(request: Request) -> str:
    """The client's address as the server resolved it: uvicorn believes X-Forwarded-For only
    from INFOAUDIT_TRUSTED_PROXIES (api/serve.py), so a header cannot forge it."""
    return request.client.host if request.client else ""


ClientAddress = Annotated[str, Depends(client_address)]


def bearer_token(request: Request) -> str | None:
    """The session token from `Authorization: Bearer` or the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


def current_account(request: Request, session: DB, now: Now) -> Account:
    """The logged-in account, or 401.

    The API takes the console's session cookie too, but a change made with the cookie alone
    must carry the page's CSRF token in `X-CSRF-Token`: a browser sends the cookie with any
    other site's form, and no other site can read the token or set the header."""
    token = bearer_token(request)
    if not token:
        raise Unauthorized("Потрібно увійти до системи.")
    by_cookie = not request.headers.get("authorization", "").lower().startswith("bearer ")
    if by_cookie and request.method not in SAFE_METHODS:
        verify_csrf(request, request.headers.get(CSRF_HEADER))
    return account_for_token(session, token=token, now=now)


CurrentAccount = Annotated[Account, Depends(current_account)]


def require_roles(*roles: Role) -> Any:
    """A dependency that lets only these roles through (403 otherwise)."""

    def check(account: CurrentAccount) -> Account:
        if account.role not in roles:
            raise Forbidden("Недостатньо прав для цієї дії.")
        return account

    return Depends(check)


# Who may call a route, by the roles of models/account.py.
Coordinator = Annotated[Account, require_roles(Role.COORDINATOR)]
Editor = Annotated[Account, require_roles(*EDITOR_ROLES)]
WorkingGroup = Annotated[Account, require_roles(*WORKING_GROUP_ROLES)]
Reader = Annotated[Account, require_roles(*READ_ROLES)]


def current_actor(account: CurrentAccount) -> Actor:
    """Who acts in this request, as the services record it in the audit trail."""
    return Actor.of(account)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def own_cycle(cycle_id: int, session: DB, account: CurrentAccount) -> AuditCycle:
    """The path's cycle if it belongs to the caller's organization (404 otherwise).

    Declare it after the role dependency so that a wrong role is a 403 before the lookup.
    """
    return get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)


OwnCycle = Annotated[AuditCycle, Depends(own_cycle)]


def own_organization(organization_id: int, session: DB, account: CurrentAccount) -> Organization:
    """The path's organization if it is the caller's own (404 otherwise).

    Declare it after the role dependency so that a wrong role is a 403 before the lookup.
    """
    # Another organization's data is "not found", not "forbidden": its existence is not told.
    if account.organization_id != organization_id:
        raise NotFound("Організацію не знайдено.")
    return get_organization(session, organization_id=organization_id)


OwnOrganization = Annotated[Organization, Depends(own_organization)]
