"""Reminders by e-mail: a real SMTP server on loopback (aiosmtpd) receives each reminder exactly
once per unit, point and due date, whatever the number of flow runs; a stage reopened or extended
reminds again from its new date; failures are retried; a crash after claiming a message is
recovered."""

import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from flows.audit_cycle import audit_cycle
from flows.reminders import questionnaire_reminders
from models.clock import FixedClock
from models.db import session_scope
from models.organization import Unit
from models.outbox import OutboxMessage, OutboxStatus
from models.services.mail import ERASED_BODY, STALE_CLAIM, claim_due, reminder_point
from models.settings import get_settings
from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import (
    at,
    create_organization,
    launch,
    login,
    plan,
    questionnaire,
    token_of,
)


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            (
                list(envelope.rcpt_tos),
                cast(EmailMessage, message_from_bytes(envelope.content, policy=default)),
            )
        )
        return "250 OK"

    def subjects(self) -> list[str]:
        """The subjects received, in order."""
        return [str(m["Subject"]) for _, m in self.messages]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a loopback port; the settings point at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("INFOAUDIT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("INFOAUDIT_SMTP_PORT", str(port))
    monkeypatch.setenv("INFOAUDIT_MAIL_FROM", "audit@example.gov.ua")
    get_settings.cache_clear()
    yield inbox, port
    controller.stop()
    get_settings.cache_clear()


@pytest.mark.sqlite_only
def test_reminder_points() -> None:
    due = date(2024, 9, 27)

    def point(day: int) -> str | None:
        return reminder_point(today=date(2024, 9, day), due_on=due, days_before=(3, 1))

    assert [point(d) for d in (23, 24, 25, 26, 27, 28)] == [
        None,
        "before-3",
        "before-3",
        "before-1",
        "before-1",
        "overdue",
    ]
    late = reminder_point(today=due + timedelta(days=30), due_on=due, days_before=(3, 1))
    assert late is None  # an overdue notice a month late helps nobody


def _launched_with_unit_emails(client: TestClient) -> tuple[dict[str, Any], int, list[str]]:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    with session_scope() as session:
        for unit in session.scalars(select(Unit).where(Unit.organization_id == org["id"])):
            unit.email = f"unit{unit.id}@example.gov.ua"
    return org, cycle["id"], [token_of(link["url"]) for link in cycle["links"]]


def _cycle_with_unit_emails(client: TestClient) -> tuple[int, list[str]]:
    _, cycle_id, tokens = _launched_with_unit_emails(client)
    return cycle_id, tokens


def test_each_reminder_is_received_exactly_once_after_two_flow_runs(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    cycle_id, tokens = _cycle_with_unit_emails(client)
    clock.set(at("2024-09-24", 10))  # three days before the due date (27.09)
    assert client.post(f"/api/questionnaire/{tokens[0]}", json=questionnaire()).status_code == 201
    draft = client.post(
        f"/api/questionnaire/{tokens[1]}/drafts",
        json={"respondent": {"full_name": "Коваль Олена", "email": "koval@example.org"}},
    )
    assert draft.status_code == 201

    for _ in range(2):
        audit_cycle(cycle_id, clock.now())
    # Two units without a submitted questionnaire, plus the draft's resume link.
    assert sorted(inbox.subjects()) == sorted(
        ["Посилання для продовження анкети інформаційного аудиту"]
        + ["Нагадування: анкета інформаційного аудиту — до 27.09.2024"] * 2
    )
    reminder = next(m for rcpt, m in inbox.messages if "koval@example.org" in rcpt)
    assert "Управління освіти" in reminder.get_content()
    assert f"/q/{tokens[1]}" in reminder.get_content()  # the unit's own link
    assert reminder["From"] == "audit@example.gov.ua"

    clock.set(at("2024-09-26", 10))  # one day before
    for _ in range(2):
        questionnaire_reminders(cycle_id, clock.now())
    clock.set(at("2024-09-28", 10))  # the day after: the overdue notice
    for _ in range(2):
        audit_cycle(cycle_id, clock.now())

    subjects = inbox.subjects()
    assert len(subjects) == 7
    assert subjects.count("Нагадування: анкета інформаційного аудиту — до 27.09.2024") == 4
    assert subjects.count("Строк подання анкети інформаційного аудиту минув 27.09.2024") == 2
    assert not any(f"/q/{tokens[0]}" in m.get_content() for _, m in inbox.messages)
    message_ids = [m["Message-ID"] for _, m in inbox.messages]
    assert len(set(message_ids)) == len(message_ids)
    with session_scope() as session:
        keys = sorted(session.scalars(select(OutboxMessage.dedup_key)))
        statuses = set(session.scalars(select(OutboxMessage.status)))
        bodies = set(session.scalars(select(OutboxMessage.body)))
    assert len([k for k in keys if k.startswith("reminder:")]) == 6
    assert statuses == {OutboxStatus.SENT}
    assert bodies == {ERASED_BODY}  # the links and the resume code are not kept at rest


def test_unreachable_smtp_is_retried_and_a_crash_after_claiming_is_recovered(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    cycle_id, _ = _cycle_with_unit_emails(client)
    clock.set(at("2024-09-26", 10))
    # The server is "down": a port nothing listens on.
    monkeypatch.setenv("INFOAUDIT_SMTP_PORT", str(_free_port()))
    get_settings.cache_clear()
    result = questionnaire_reminders(cycle_id, clock.now())
    assert result == {"recorded": 3, "sent": 0, "retrying": 3, "failed": 0}
    with session_scope() as session:
        messages = list(session.scalars(select(OutboxMessage)))
        assert {(m.status, m.attempts) for m in messages} == {(OutboxStatus.PENDING, 1)}
        assert all("ConnectionRefusedError" in (m.last_error or "") for m in messages)

    monkeypatch.setenv("INFOAUDIT_SMTP_PORT", str(port))
    get_settings.cache_clear()
    # Before the back-off has passed nothing is tried again.
    assert questionnaire_reminders(cycle_id, clock.now())["sent"] == 0
    assert inbox.messages == []

    # A sender that crashed right after claiming a message: the claim keeps others away.
    later = clock.now() + timedelta(minutes=6)
    with session_scope() as session:
        crashed = claim_due(session, now=later, limit=1)
    assert len(crashed) == 1
    result = questionnaire_reminders(cycle_id, later)
    assert result == {"recorded": 0, "sent": 2, "retrying": 0, "failed": 0}
    assert len(inbox.messages) == 2
    # The stale claim is retried once STALE_CLAIM has passed, exactly once.
    after_stale = later + STALE_CLAIM + timedelta(seconds=1)
    assert questionnaire_reminders(cycle_id, after_stale)["sent"] == 1
    assert questionnaire_reminders(cycle_id, after_stale)["sent"] == 0
    assert len(inbox.messages) == 3
    recipients = sorted(r for rcpt, _ in inbox.messages for r in rcpt)
    assert len(set(recipients)) == 3


def test_units_without_address_or_with_a_submission_get_nothing(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-26", 10))
    assert questionnaire_reminders(cycle["id"], clock.now())["recorded"] == 0
    with session_scope() as session:
        session.execute(update(Unit).values(email="all@example.gov.ua"))
    clock.set(at("2024-09-23", 10))  # before the first point: nothing yet
    assert questionnaire_reminders(cycle["id"], clock.now())["recorded"] == 0
    assert inbox.messages == []


def _recipients(inbox: Inbox, subject: str) -> list[str]:
    return sorted(r for rcpt, m in inbox.messages if m["Subject"] == subject for r in rcpt)


def test_a_reopened_stage_reminds_again_from_its_new_due_date(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    org, cycle_id, tokens = _launched_with_unit_emails(client)
    clock.set(at("2024-09-24", 10))
    assert client.post(f"/api/questionnaire/{tokens[0]}", json=questionnaire()).status_code == 201
    clock.set(at("2024-09-26", 10))  # one day before 27.09
    audit_cycle(cycle_id, clock.now())
    clock.set(at("2024-09-28", 10))  # the overdue notice; the sweep closes the stage
    audit_cycle(cycle_id, clock.now())
    old = "Нагадування: анкета інформаційного аудиту — до 27.09.2024"
    assert inbox.subjects().count(old) == 2
    assert (
        inbox.subjects().count("Строк подання анкети інформаційного аудиту минув 27.09.2024") == 2
    )

    clock.set(at("2024-09-29", 10))  # reopened until 02.10: three days before the new date
    reopened = client.post(
        f"/api/cycles/{cycle_id}/stages/remote_audit/reopen",
        headers=login(client, org["coordinator_email"]),
        json={"due_on": "2024-10-02", "reason": "два підрозділи не подали анкет"},
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"
    inbox.messages.clear()
    for _ in range(2):
        audit_cycle(cycle_id, clock.now())
    again = "Нагадування: анкета інформаційного аудиту — строк продовжено до 02.10.2024"
    assert inbox.subjects() == [again] * 2  # once per unit, not twice
    body = inbox.messages[0][1].get_content()
    assert "Строк подання анкет продовжено: анкети приймаються до 02.10.2024 включно." in body
    assert "27.09.2024" not in body
    assert not any(f"/q/{tokens[0]}" in m.get_content() for _, m in inbox.messages)
    with session_scope() as session:
        units = {u.id: u.email for u in session.scalars(select(Unit))}
    submitted = units[min(units)]  # the first unit (tokens[0]) submitted on 24.09
    assert submitted not in _recipients(inbox, again)

    # The second unit submits now: it gets nothing more; the third is reminded at each point.
    assert client.post(f"/api/questionnaire/{tokens[1]}", json=questionnaire()).status_code == 201
    clock.set(at("2024-10-01", 10))  # one day before the new date
    for _ in range(2):
        questionnaire_reminders(cycle_id, clock.now())
    clock.set(at("2024-10-03", 10))  # after it: the overdue notice names the new date
    for _ in range(2):
        audit_cycle(cycle_id, clock.now())
    overdue = "Строк подання анкети інформаційного аудиту минув 02.10.2024"
    assert inbox.subjects() == [again] * 3 + [overdue]
    third = inbox.messages[-1][0]
    assert inbox.messages[-2][0] == third
    assert f"/q/{tokens[2]}" in inbox.messages[-2][1].get_content()
    with session_scope() as session:
        keys = [k for k in session.scalars(select(OutboxMessage.dedup_key)) if "reminder:" in k]
    assert len(keys) == len(set(keys)) == 2 + 2 + 2 + 1 + 1


def test_an_extended_stage_reminds_again_before_its_new_due_date(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    org, cycle_id, _ = _launched_with_unit_emails(client)
    clock.set(at("2024-09-26", 10))  # one day before 27.09
    questionnaire_reminders(cycle_id, clock.now())
    assert len(inbox.messages) == 3
    extended = client.post(
        f"/api/cycles/{cycle_id}/stages/remote_audit/extend",
        headers=login(client, org["coordinator_email"]),
        json={"due_on": "2024-09-30", "reason": "вихідні дні"},
    )
    assert extended.status_code == 200, extended.text
    # The same day: 30.09 is four days away, no point of the new date reached yet.
    assert questionnaire_reminders(cycle_id, clock.now())["recorded"] == 0
    clock.set(at("2024-09-29", 10))  # one day before the new date
    for _ in range(2):
        questionnaire_reminders(cycle_id, clock.now())
    assert (
        inbox.subjects()[3:]
        == ["Нагадування: анкета інформаційного аудиту — строк продовжено до 30.09.2024"] * 3
    )


def test_a_stage_closed_early_reminds_nobody_until_it_is_reopened(
    client: TestClient, clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    org, cycle_id, tokens = _launched_with_unit_emails(client)
    clock.set(at("2024-09-24", 10))  # three days before 27.09: the working group closes it
    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}")
    closed = client.post(
        f"/console/cycles/{cycle_id}/stages/remote_audit",
        data={"action": "close", "reason": "усі анкети зібрано", "csrf_token": csrf_of(page.text)},
    )
    assert closed.status_code == 200, closed.text
    assert "Етап завершено." in closed.text
    for day in ("2024-09-24", "2024-09-26", "2024-09-27", "2024-09-28"):
        clock.set(at(day, 10))  # the points before the old date, and the day after it
        assert questionnaire_reminders(cycle_id, clock.now())["recorded"] == 0
        audit_cycle(cycle_id, clock.now())
    assert inbox.messages == []
    with session_scope() as session:
        assert list(session.scalars(select(OutboxMessage.dedup_key))) == []
    late = client.post(f"/api/questionnaire/{tokens[0]}", json=questionnaire())
    assert late.status_code == 409  # the link the reminders would have carried

    # Reopened until 02.10: the units without a questionnaire are reminded again, as before.
    reopened = client.post(
        f"/api/cycles/{cycle_id}/stages/remote_audit/reopen",
        headers=login(client, org["coordinator_email"]),
        json={"due_on": "2024-10-02", "reason": "один підрозділ просить ще час"},
    )
    assert reopened.status_code == 200, reopened.text
    clock.set(at("2024-09-29", 10))  # three days before the new date
    for _ in range(2):
        audit_cycle(cycle_id, clock.now())
    again = "Нагадування: анкета інформаційного аудиту — строк продовжено до 02.10.2024"
    assert inbox.subjects() == [again] * 3
    assert f"/q/{tokens[0]}" in "".join(m.get_content() for _, m in inbox.messages)
