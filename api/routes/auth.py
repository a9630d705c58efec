"""Logging in and out."""

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.deps import DB, AppSettings, ClientAddress, CurrentAccount, Now, bearer_token
from models.account import Account, Role
from models.plan import Email
from models.services.accounts import authenticate, logout

router = APIRouter(prefix="/api/auth", tags=["вхід"])


class LoginCreate(BaseModel):
    """E-mail and password."""

    email: Email
    password: str = Field(max_length=200)


class LoginRead(BaseModel):
    """A new session."""

    token: str
    expires_at: datetime
    role: Role
    organization_id: int | None


@router.post("/login", response_model=LoginRead)
def login(
    body: LoginCreate, session: DB, now: Now, settings: AppSettings, address: ClientAddress
) -> LoginRead:
    """Log in with e-mail and password; returns a bearer token."""
    token, login_session = authenticate(
        session,
        email=body.email,
        password=body.password,
        client_address=address,
        secret_key=settings.secret_key,
        now=now,
        session_hours=settings.session_hours,
    )
    account = session.get(Account, login_session.account_id)
    assert account is not None
    return LoginRead(
        token=token,
        expires_at=login_session.expires_at,
        role=account.role,
        organization_id=account.organization_id,
    )


@router.post("/logout", status_code=204, response_class=Response)
def log_out(request: Request, session: DB, _account: CurrentAccount) -> Response:
    """End the current session."""
    token = bearer_token(request)
    if token:
        logout(session, token=token)
    return Response(status_code=204)
