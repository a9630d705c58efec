"""Counters that throttle attempts (logins, resume-link e-mails), kept in the database so that
every web host sharing it sees the same counts."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Throttle(Base):
    """Hits on one key (an account at an address, an address, a recipient) in the current window,
    and the end of the block when the limit was reached. The key is a keyed hash: no e-mail or
    IP address is stored in the clear."""

    __tablename__ = "throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # Whom the key concerns, when that matters (a login's e-mail, keyed too): a password reset
    # lifts that e-mail's lockouts at every address.
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    hits: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None] = mapped_column(index=True)
