"""Resume-link letters are capped (issue 16): one per draft, five per hour from one address,
three a day to one recipient, thirty a day per unit link; beyond a cap the draft is saved, the
person is told in Ukrainian, and nothing is mailed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.outbox import OutboxMessage
from tests.doubles.html import fields
from tests.factories import at, create_organization, launch, plan, token_of

REFUSED = "Лист із посиланням для продовження не надіслано"


@contextmanager
def _from(app: FastAPI, address: str) -> Iterator[TestClient]:
    with TestClient(app, client=(address, 40000)) as client:
        yield client


def _link(client: TestClient, clock: FixedClock) -> str:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 10))  # the remote audit accepts questionnaires
    return token_of(cycle["links"][0]["url"])


def _draft(client: TestClient, token: str, email: str) -> dict[str, Any]:
    response = client.post(
        f"/api/questionnaire/{token}/drafts",
        json={"respondent": {"full_name": "Коваль Олена", "email": email}},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _letters(to: str | None = None) -> int:
    query = select(func.count(OutboxMessage.id))
    if to is not None:
        query = query.where(OutboxMessage.recipients == to)
    with session_scope() as session:
        return session.scalar(query) or 0


def test_one_address_mails_five_resume_links_an_hour(
    app: FastAPI, client: TestClient, clock: FixedClock
) -> None:
    token = _link(client, clock)
    with _from(app, "203.0.113.7") as sender:
        answers = [_draft(sender, token, f"victim{n}@example.org") for n in range(7)]
    assert [a["mail_refused"] is None for a in answers] == [True] * 5 + [False] * 2
    assert REFUSED in answers[5]["mail_refused"]
    assert answers[6]["resume_code"]  # the draft itself is saved and its code given
    assert _letters() == 5
    with _from(app, "198.51.100.20") as colleague:  # another person, elsewhere: mailed
        assert _draft(colleague, token, "colleague@example.org")["mail_refused"] is None
    assert _letters() == 6
    clock.set(at("2024-09-24", 11).replace(minute=1))  # the hour has passed
    with _from(app, "203.0.113.7") as sender:
        assert _draft(sender, token, "later@example.org")["mail_refused"] is None
    assert _letters() == 7


def test_one_recipient_gets_three_a_day_whoever_asks(
    app: FastAPI, client: TestClient, clock: FixedClock
) -> None:
    token = _link(client, clock)
    answers = []
    for n in range(5):
        with _from(app, f"203.0.113.{10 + n}") as sender:
            answers.append(_draft(sender, token, "Victim@Example.org"))
    assert [a["mail_refused"] is None for a in answers] == [True] * 3 + [False] * 2
    assert _letters("Victim@Example.org") == 3


def test_one_unit_link_mails_thirty_a_day(
    app: FastAPI, client: TestClient, clock: FixedClock
) -> None:
    token = _link(client, clock)
    refused = []
    for n in range(32):
        with _from(app, f"198.51.100.{n + 1}") as sender:
            refused.append(_draft(sender, token, f"staff{n}@example.org")["mail_refused"])
    assert refused.count(None) == 30
    assert _letters() == 30


def test_a_draft_is_mailed_once_and_the_form_says_when_a_cap_refused(
    app: FastAPI, client: TestClient, clock: FixedClock
) -> None:
    token = _link(client, clock)
    with _from(app, "203.0.113.8") as sender:
        saved = _draft(sender, token, "first@example.org")
        for n in range(4):
            _draft(sender, token, f"other{n}@example.org")
        assert _letters() == 5
        # Re-saving a draft by its code mails nothing again.
        page = sender.get(f"/q/{token}?code={saved['resume_code']}")
        data = {**fields(page.text), "action": "save", "respondent-full_name": "Коваль О."}
        assert sender.post(f"/q/{token}", data=data).status_code == 200
        assert _letters() == 5
        # A new draft through the form from the capped address: saved, told, nothing mailed.
        page = sender.get(f"/q/{token}")
        data = {
            "csrf_token": fields(page.text)["csrf_token"],
            "code": "",
            "action": "save",
            "respondent-full_name": "Петренко Іван",
            "respondent-email": "petrenko@example.org",
            "items-0-name": "Розпорядження міського голови",
        }
        response = sender.post(f"/q/{token}", data=data)
    assert response.status_code == 200
    assert "Чернетку збережено" in response.text
    assert REFUSED in response.text
    assert "mail=refused" in str(response.url)
    assert _letters() == 5
