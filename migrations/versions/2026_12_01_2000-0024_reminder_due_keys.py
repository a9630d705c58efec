"""Reminder dedup keys name the due date (reminder:<unit>:<due>:<point>), so a reopened or
extended remote audit reminds again; the reminders already recorded get their date from the
subject, which has always ended with it, so an upgrade sends no reminder twice

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 20:00:00
"""

import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

outbox = sa.table(
    "outbox_message",
    sa.column("id", sa.Integer),
    sa.column("dedup_key", sa.String),
    sa.column("subject", sa.String),
)
LEGACY = re.compile(r"reminder:(\d+):(before-\d+|overdue)")
DATED = re.compile(r"reminder:(\d+):(\d{4}-\d{2}-\d{2}):(before-\d+|overdue)")
SUBJECT_DATE = re.compile(r"(\d{2}\.\d{2}\.\d{4})$")


def _reminders() -> list[tuple[int, str, str]]:
    rows = op.get_bind().execute(
        sa.select(outbox.c.id, outbox.c.dedup_key, outbox.c.subject)
        .where(outbox.c.dedup_key.like("reminder:%"))
        .order_by(outbox.c.id)
    )
    return [(row.id, row.dedup_key, row.subject) for row in rows]


def _rekey(message_id: int, key: str) -> None:
    op.get_bind().execute(sa.update(outbox).where(outbox.c.id == message_id).values(dedup_key=key))


def upgrade() -> None:
    for message_id, key, subject in _reminders():
        legacy, day = LEGACY.fullmatch(key), SUBJECT_DATE.search(subject.strip())
        if legacy is None or day is None:
            continue
        due = datetime.strptime(day.group(1), "%d.%m.%Y").date().isoformat()
        _rekey(message_id, f"reminder:{legacy.group(1)}:{due}:{legacy.group(2)}")


def downgrade() -> None:
    # The old key holds one message per unit and point: the earliest gets it, later deadlines'
    # reminders keep their dated key (the old code only looks its own keys up).
    taken = {key for _, key, _ in _reminders() if LEGACY.fullmatch(key)}
    for message_id, key, _ in _reminders():
        dated = DATED.fullmatch(key)
        if dated is None:
            continue
        old = f"reminder:{dated.group(1)}:{dated.group(3)}"
        if old not in taken:
            taken.add(old)
            _rekey(message_id, old)
