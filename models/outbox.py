"""The outbox: e-mails to send, recorded first so each goes out once despite reruns and crashes."""

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped
from models.organization import enum_column


class OutboxStatus(enum.StrEnum):
    """Where a message is on its way out."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; stale claims are retried
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class OutboxMessage(Timestamped, Base):
    """One e-mail; its `dedup_key` (reminder:<unit>:<due>:<point>) makes enqueueing idempotent."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
