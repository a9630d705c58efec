"""Migration 0024: reminders recorded before it get the due date in their dedup key (from the
subject), so an upgrade in the middle of a remote audit sends no reminder twice."""

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from models.migrate import alembic_config

SENT = (
    "insert into outbox_message (dedup_key, recipients, subject, body, status, attempts, "
    "next_attempt_at) values (:key, 'u@example.gov.ua', :subject, '', 'sent', 0, "
    "'2024-09-26 10:00:00')"
)
ROWS = [
    ("reminder:1:before-3", "Нагадування: анкета інформаційного аудиту — до 27.09.2024"),
    ("reminder:1:overdue", "Строк подання анкети інформаційного аудиту минув 27.09.2024"),
    ("links:1:abc", "Посилання на анкету інформаційного аудиту"),
]


@pytest.mark.sqlite_only
def test_recorded_reminders_are_keyed_by_their_due_date_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0021")
    engine = create_engine(url)

    def keys() -> list[str]:
        with engine.connect() as conn:
            return list(conn.scalars(text("select dedup_key from outbox_message order by id")))

    try:
        with engine.begin() as conn:
            for key, subject in ROWS:
                conn.execute(text(SENT), {"key": key, "subject": subject})
        command.upgrade(config, "0024")
        assert keys() == [
            "reminder:1:2024-09-27:before-3",
            "reminder:1:2024-09-27:overdue",
            "links:1:abc",
        ]
        # The same point for a later deadline (the stage reopened) keeps its date going back.
        with engine.begin() as conn:
            conn.execute(
                text(SENT),
                {
                    "key": "reminder:1:2024-10-02:before-3",
                    "subject": "Нагадування: анкета інформаційного аудиту — до 02.10.2024",
                },
            )
        command.downgrade(config, "0021")
        assert keys() == [
            "reminder:1:before-3",
            "reminder:1:overdue",
            "links:1:abc",
            "reminder:1:2024-10-02:before-3",
        ]
    finally:
        engine.dispose()
