"""Logging in and out."""

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.account import Account, AccountSession
from models.clock import KYIV
from models.errors import TooManyAttempts, Unauthorized
from models.security import hash_password, new_token, sha256_hex, verify_password

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
BAD_LOGIN = "Невірна адреса електронної пошти або пароль."


def authenticate(
    session: Session, *, email: str, password: str, now: datetime, session_hours: int
) -> tuple[str, AccountSession]:
    """Check the password and open a session; returns the token (shown once) and the session."""
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None or not account.is_active:
        # As long as a wrong password takes: the answer's time tells no one who has an account.
        verify_password(_stand_in_hash(), password)
        raise Unauthorized(BAD_LOGIN)
    if account.locked_until is not None and account.locked_until > now:
        raise _locked(account.locked_until, now)
    if not verify_password(account.password_hash, password):
        locked_until = _record_failed_login(session, account_id=account.id, now=now)
        if locked_until is not None:
            raise _locked(locked_until, now)
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


@cache
def _stand_in_hash() -> str:
    """A hash no password matches, made with the same parameters as the accounts' own."""
    return hash_password(new_token())


def _record_failed_login(session: Session, *, account_id: int, now: datetime) -> datetime | None:
    """Count a failed attempt in its own transaction, so that the refused request's rollback
    cannot erase it (whichever interface the attempt came through); the lockout's end, if this
    attempt started one."""
    with Session(bind=session.get_bind()) as own, own.begin():
        # One UPDATE first: it takes the write lock, so concurrent attempts all count.
        own.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(failed_logins=Account.failed_logins + 1)
        )
        failed = own.scalar(select(Account.failed_logins).where(Account.id == account_id))
        if failed is None or failed < MAX_FAILED_LOGINS:
            return None
        locked_until = now + LOCKOUT
        own.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(failed_logins=0, locked_until=locked_until)
        )
        return locked_until


def _locked(locked_until: datetime, now: datetime) -> TooManyAttempts:
    seconds = max(1, int((locked_until - now).total_seconds()))
    minutes = -(-seconds // 60)
    return TooManyAttempts(
        f"Забагато невдалих спроб входу: вхід заблоковано до {locked_until.astimezone(KYIV):%H:%M} "
        f"(за київським часом). Спробуйте знову через {minutes} хв.",
        retry_after=seconds,
    )


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
