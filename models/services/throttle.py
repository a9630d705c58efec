"""Throttling by key: count hits in a window, block the key for a while when the limit is
reached. Each hit is written in its own short transaction, so a refused request's rollback
cannot erase it, and the database (not the process) holds the state."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.security import sha256_hex
from models.throttle import Throttle


@dataclass(frozen=True)
class Limit:
    """At most `hits` in `window`; reaching it blocks the key for `block`."""

    hits: int
    window: timedelta
    block: timedelta


def throttle_key(secret_key: str, scope: str, *values: str) -> str:
    """The stored key of a scope and its values (keyed: an IP or e-mail cannot be recovered)."""
    return sha256_hex("\x1f".join((secret_key, "throttle", scope, *values)))


def blocked_until(session: Session, *, keys: Iterable[str], now: datetime) -> datetime | None:
    """The latest end of a block still running on any of these keys, if any."""
    ends = session.scalars(
        select(Throttle.blocked_until).where(
            Throttle.key.in_(list(keys)), Throttle.blocked_until > now
        )
    ).all()
    return max((end for end in ends if end is not None), default=None)


def record_hit(
    session: Session, *, key: str, limit: Limit, now: datetime, subject: str | None = None
) -> datetime | None:
    """Count one hit on the key in its own transaction (a refusal's trace: the request's
    rollback cannot erase it); the block's end if this hit reached the limit."""
    with Session(bind=session.get_bind()) as own, own.begin():
        return count_hit(own, key=key, limit=limit, now=now, subject=subject)


def count_hit(
    session: Session, *, key: str, limit: Limit, now: datetime, subject: str | None = None
) -> datetime | None:
    """Count one hit on the key in this session (it stands or falls with what it throttles:
    a letter recorded in the same transaction); the block's end if it reached the limit."""
    if session.scalar(select(Throttle.id).where(Throttle.key == key)) is None:
        try:
            with session.begin_nested():
                session.add(Throttle(key=key, subject=subject, hits=0, window_started_at=now))
        except IntegrityError:
            pass  # a concurrent hit created it first
    # A window that has passed starts again.
    session.execute(
        update(Throttle)
        .where(Throttle.key == key, Throttle.window_started_at <= now - limit.window)
        .values(hits=0, window_started_at=now)
        .execution_options(synchronize_session=False)
    )
    # One UPDATE takes the row's write lock, so concurrent hits all count.
    session.execute(
        update(Throttle)
        .where(Throttle.key == key)
        .values(hits=Throttle.hits + 1)
        .execution_options(synchronize_session=False)
    )
    hits = session.scalar(select(Throttle.hits).where(Throttle.key == key)) or 0
    if hits < limit.hits:
        return None
    end = now + limit.block
    session.execute(
        update(Throttle)
        .where(Throttle.key == key)
        .values(hits=0, window_started_at=now, blocked_until=end)
        .execution_options(synchronize_session=False)
    )
    return end


def clear(session: Session, *, key: str) -> None:
    """Forget the key's hits (a successful login forgives that account's earlier mistakes)."""
    session.execute(delete(Throttle).where(Throttle.key == key))


def clear_subject(session: Session, *, subject: str) -> None:
    """Forget every key about this subject (a password reset lifts an e-mail's lockouts)."""
    session.execute(delete(Throttle).where(Throttle.subject == subject))
