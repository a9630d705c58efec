"""Logging in and out."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.account import Account, AccountSession
from models.errors import Unauthorized
from models.security import new_token, sha256_hex, verify_password

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
BAD_LOGIN = "Невірна адреса електронної пошти або пароль."


def authenticate(
    session: Session, *, email: str, password: str, now: datetime, session_hours: int
) -> tuple[str, AccountSession]:
    """Check the password and open a session; returns the token (shown once) and the session."""
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None or not account.is_active:
        raise Unauthorized(BAD_LOGIN)
    if account.locked_until is not None and account.locked_until > now:
        raise Unauthorized(
            "Забагато невдалих спроб входу. Спробуйте знову після "
            f"{account.locked_until.astimezone():%H:%M}."
        )
    if not verify_password(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCKOUT
            account.failed_logins = 0
        session.flush()
        raise Unauthorized(BAD_LOGIN)
    account.failed_logins = 0
    account.locked_until = None
    token = new_token()
    login = AccountSession(
        account_id=account.id,
        token_hash=sha256_hex(token),
        created_at=now,
        expires_at=now + timedelta(hours=session_hours),
    )
    session.add(login)
    session.flush()
    return token, login


def account_for_token(session: Session, *, token: str, now: datetime) -> Account:
    """The account of a live session token, or Unauthorized."""
    row = session.execute(
        select(Account, AccountSession.expires_at)
        .join(AccountSession, AccountSession.account_id == Account.id)
        .where(AccountSession.token_hash == sha256_hex(token))
    ).first()
    if row is None or row.expires_at <= now or not row.Account.is_active:
        raise Unauthorized("Сеанс завершився або недійсний. Увійдіть знову.")
    return row.Account


def logout(session: Session, *, token: str) -> None:
    """End the session of this token."""
    session.execute(delete(AccountSession).where(AccountSession.token_hash == sha256_hex(token)))
