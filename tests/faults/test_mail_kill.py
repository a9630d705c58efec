"""The reminders flow killed with SIGKILL while the SMTP server (aiosmtpd on loopback) holds
its first message: the reruns record no message twice in the outbox, deliver every other one
once, and the one cut short again only after its claim went stale, with the same Message-ID
(so a receiving server can drop the copy)."""

import asyncio
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.faults import free_port
from bench.forking import Launcher, alive
from flows.reminders import questionnaire_reminders
from models.clock import FixedClock
from models.db import session_scope
from models.organization import Unit
from models.outbox import OutboxMessage, OutboxStatus
from models.services.mail import STALE_CLAIM
from models.settings import get_settings
from tests.factories import at, create_organization, launch, plan
from tests.faults.processes import child_env, wait_for

# The outbox and SMTP path is the same on every database: run once, in the SQLite pass.
pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


class SlowInbox:
    """Keeps every message; answers the first one only after a long pause (the sender dies)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            cast(EmailMessage, message_from_bytes(envelope.content, policy=default))
        )
        if len(self.messages) == 1:
            await asyncio.sleep(30)
        return "250 OK"


def test_reminders_killed_mid_send_record_nothing_twice(
    client: TestClient,
    clock: FixedClock,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = SlowInbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    mail = {"INFOAUDIT_SMTP_HOST": "127.0.0.1", "INFOAUDIT_SMTP_PORT": str(port)}
    for name, value in mail.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    launcher = Launcher(
        "tests.faults.flow_child", tmp_path / "child.log", child_env(database_url, **mail)
    )
    try:
        org = create_organization(client)
        cycle_id = launch(client, org["coordinator"], plan())["id"]
        with session_scope() as session:
            for unit in session.scalars(select(Unit).where(Unit.organization_id == org["id"])):
                unit.email = f"unit{unit.id}@example.gov.ua"
        clock.set(at("2024-09-24", 10))  # three days before the remote audit's due date

        run = launcher.start("reminders", str(cycle_id), clock.now().isoformat())
        wait_for(
            lambda: bool(inbox.messages) or not alive(run),
            timeout=90,
            what=f"the first message:\n{launcher.tail()}",
        )
        assert alive(run), launcher.tail()
        launcher.kill(run)

        questionnaire_reminders(cycle_id, clock.now())  # at once: the cut-short one is claimed
        later = clock.now() + STALE_CLAIM + STALE_CLAIM / 15
        questionnaire_reminders(cycle_id, later)  # its claim went stale: sent again
        questionnaire_reminders(cycle_id, later)
    finally:
        launcher.close()
        smtp.stop()
        get_settings.cache_clear()

    with session_scope() as session:
        outbox = list(session.scalars(select(OutboxMessage)))
    assert len(outbox) == 3  # one reminder per unit, none recorded twice
    assert {m.status for m in outbox} == {OutboxStatus.SENT}
    ids = [str(m["Message-ID"]) for m in inbox.messages]
    assert len(ids) == 4
    assert len(set(ids)) == 3
    assert ids.count(ids[0]) == 2  # only the one cut short came twice, recognisably the same
