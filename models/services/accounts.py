"""Logging in and out."""

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.account import Account, AccountSession
from models.clock import KYIV
from models.errors import DomainError, TooManyAttempts, Unauthorized
from models.security import hash_password, new_token, sha256_hex, verify_password
from models.services.throttle import (
    Limit,
    blocked_until,
    clear,
    clear_subject,
    record_hit,
    throttle_key,
)

# An account tried from one address: five wrong passwords lock that pair for 15 minutes. The
# same account from another address is not locked, so nobody can lock the coordinator out by
# typing her e-mail from elsewhere.
ACCOUNT_AT_ADDRESS = Limit(hits=5, window=timedelta(minutes=15), block=timedelta(minutes=15))
# Password spraying: many accounts tried from one address. Generous, because a council's whole
# office may reach us through one NAT address.
ADDRESS = Limit(hits=30, window=timedelta(minutes=15), block=timedelta(minutes=15))
MAX_FAILED_LOGINS = ACCOUNT_AT_ADDRESS.hits
LOCKOUT = ACCOUNT_AT_ADDRESS.block
BAD_LOGIN = "Невірна адреса електронної пошти або пароль."


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    client_address: str,
    secret_key: str,
    now: datetime,
    session_hours: int,
) -> tuple[str, AccountSession]:
    """Check the password and open a session; returns the token (shown once) and the session.

    `client_address` is the client's address as resolved by the server (X-Forwarded-For only
    from trusted proxies). Lockouts are counted on the e-mail as typed, whether or not an
    account has it: the answers (and their times) are the same either way.
    """
    typed = email.strip().lower()
    subject = login_subject(secret_key, typed)
    pair = throttle_key(secret_key, "login-account-address", typed, client_address)
    address = throttle_key(secret_key, "login-address", client_address)
    locked_until = blocked_until(session, keys=(pair, address), now=now)
    if locked_until is not None:
        raise _locked(locked_until, now)
    account = session.scalar(select(Account).where(Account.email == typed))
    if account is None or not account.is_active:
        # As long as a wrong password takes: the answer's time tells no one who has an account.
        verify_password(_stand_in_hash(), password)
        raise _failed(session, pair=pair, address=address, subject=subject, now=now)
    if not verify_password(account.password_hash, password):
        raise _failed(session, pair=pair, address=address, subject=subject, now=now)
    clear(session, key=pair)
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


def login_subject(secret_key: str, email: str) -> str:
    """The keyed hash an e-mail's login lockouts are filed under."""
    return throttle_key(secret_key, "login-email", email.strip().lower())


def lift_lockouts(session: Session, *, secret_key: str, email: str) -> None:
    """End the e-mail's login lockouts at every address (its password was just reset)."""
    clear_subject(session, subject=login_subject(secret_key, email))


def _failed(
    session: Session, *, pair: str, address: str, subject: str, now: datetime
) -> DomainError:
    """Count a failed attempt on both keys (in their own transactions, whichever interface the
    attempt came through); the refusal to raise."""
    ends = [
        record_hit(session, key=pair, limit=ACCOUNT_AT_ADDRESS, now=now, subject=subject),
        record_hit(session, key=address, limit=ADDRESS, now=now),
    ]
    locked_until = max((end for end in ends if end is not None), default=None)
    if locked_until is not None:
        return _locked(locked_until, now)
    return Unauthorized(BAD_LOGIN)


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
