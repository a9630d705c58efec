"""Login lockout through both interfaces, and the audit trail recording the same event with the
same account id whichever interface an action came through."""

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.account import Account
from models.clock import FixedClock
from models.db import session_scope
from models.event import AuditEvent
from models.throttle import Throttle
from tests.console_pages import console_login, csrf_of, form_login, launched_cycle
from tests.factories import PASSWORD, create_organization

WRONG = "wrong-password-1"


def _account(email: str) -> Account:
    with session_scope() as session:
        account = session.scalars(select(Account).where(Account.email == email)).one()
        session.expunge(account)
        return account


def _throttle_hits() -> int:
    """The highest count of failed logins on any key (the state is in the database)."""
    with session_scope() as session:
        return session.scalar(select(func.max(Throttle.hits))) or 0


def _api_login(client: TestClient, email: str, password: str) -> tuple[int, str, str | None]:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return (
        response.status_code,
        response.json().get("detail", ""),
        response.headers.get("retry-after"),
    )


def test_the_json_api_locks_an_account_after_five_wrong_passwords(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    email = org["coordinator_email"]
    for attempt in range(1, 5):
        status, detail, _ = _api_login(client, email, WRONG)
        assert status == 401
        assert "Невірна адреса" in detail
        # The refused request's rollback no longer erases the count.
        assert _throttle_hits() == attempt
    status, detail, retry_after = _api_login(client, email, WRONG)
    assert status == 429
    assert "вхід заблоковано до" in detail
    assert retry_after == str(15 * 60)

    status, detail, retry_after = _api_login(client, email, PASSWORD)  # right, but locked
    assert status == 429
    assert "Спробуйте знову через 15 хв" in detail
    clock.set(clock.now() + timedelta(minutes=10))
    status, detail, retry_after = _api_login(client, email, PASSWORD)
    assert (status, retry_after) == (429, str(5 * 60))
    assert "через 5 хв" in detail

    clock.set(clock.now() + timedelta(minutes=6))
    status, _, _ = _api_login(client, email, PASSWORD)
    assert status == 200


def test_the_console_form_locks_the_same_way(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    email = org["coordinator_email"]
    for _ in range(4):
        answer = form_login(client, email, WRONG)
        assert answer.status_code == 401
        assert "Невірна адреса" in answer.text
    answer = form_login(client, email, WRONG)
    assert answer.status_code == 429
    assert "вхід заблоковано до" in answer.text
    answer = form_login(client, email)
    assert answer.status_code == 429
    assert 'value="' + email + '"' in answer.text  # the address typed is kept
    # Attempts through the two interfaces count together.
    clock.set(clock.now() + timedelta(minutes=16))
    for _ in range(2):
        assert _api_login(client, email, WRONG)[0] == 401
    for _ in range(2):
        assert form_login(client, email, WRONG).status_code == 401
    assert _api_login(client, email, WRONG)[0] == 429
    clock.set(clock.now() + timedelta(minutes=16))
    console_login(client, email)


def _events(action: str) -> list[tuple[str, int | None, dict[str, object]]]:
    with session_scope() as session:
        return [
            (e.actor, e.actor_account_id, e.details)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


@pytest.mark.parametrize("interface", ["api", "console"])
def test_creating_an_account_leaves_the_same_event_through_either_interface(
    client: TestClient, interface: str
) -> None:
    org = create_organization(client)
    coordinator_id = _account(org["coordinator_email"]).id
    before = len(_events("account.created"))
    email = f"member-{interface}@example.org"
    if interface == "api":
        response = client.post(
            f"/api/organizations/{org['id']}/accounts",
            headers=org["coordinator"],
            json={"email": email, "password": PASSWORD, "role": "working_group"},
        )
        assert response.status_code == 201, response.text
    else:
        console_login(client, org["coordinator_email"])
        page = client.get("/console/accounts")
        response = client.post(
            "/console/accounts",
            data={
                "csrf_token": csrf_of(page.text),
                "email": email,
                "full_name": "Член Групи",
                "role": "working_group",
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
    created = _account(email)
    events = _events("account.created")
    assert len(events) == before + 1
    assert events[-1] == (
        f"account:{coordinator_id}",
        coordinator_id,
        {"account_id": created.id, "role": "working_group"},
    )


@pytest.mark.parametrize("interface", ["api", "console"])
def test_approving_the_interview_schedule_records_who_approved(
    client: TestClient, clock: FixedClock, interface: str
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    coordinator_id = _account(org["coordinator_email"]).id
    proposed = client.post(
        f"/api/cycles/{cycle_id}/interviews",
        headers=org["coordinator"],
        json={
            "unit_id": org["units"][1]["id"],
            "officials": "Коваль Олена, начальниця управління",
            "scheduled_at": "2024-09-30T14:30:00+03:00",
        },
    )
    assert proposed.status_code == 201, proposed.text
    if interface == "api":
        response = client.post(
            f"/api/cycles/{cycle_id}/interviews/approve", headers=org["coordinator"]
        )
        assert response.status_code == 200, response.text
    else:
        console_login(client, org["coordinator_email"])
        url = f"/console/cycles/{cycle_id}/interviews"
        token = csrf_of(client.get(url).text)
        response = client.post(f"{url}/approve", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
    [(actor, account_id, _details)] = _events("interviews.schedule_approved")
    assert (actor, account_id) == (f"account:{coordinator_id}", coordinator_id)


def test_a_login_takes_as_long_whether_the_account_exists_or_not(client: TestClient) -> None:
    org = create_organization(client)

    def seconds(email: str) -> float:
        started = time.perf_counter()
        response = client.post("/api/auth/login", json={"email": email, "password": "x" * 12})
        assert response.status_code == 401
        assert response.json()["detail"] == "Невірна адреса електронної пошти або пароль."
        return time.perf_counter() - started

    seconds("nobody@example.org")  # the stand-in hash is made once
    existing = min(seconds(org["mayor_email"]) for _ in range(2))
    missing = min(seconds("nobody@example.org") for _ in range(2))
    # argon2 dominates both; without the stand-in check a missing account answers far sooner
    assert missing > existing * 0.5, (missing, existing)
