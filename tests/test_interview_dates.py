"""Issue 15, interviews: dates within the interview stage, held on the day it was held (never
at the moment notes are saved), edited or removed until held — JSON API and console alike."""

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import KYIV, FixedClock
from models.db import session_scope
from models.event import AuditEvent
from models.interview import Interview
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import at, login

STAGE_DATES = "Дата має бути в межах етапу «Інтерв’ю»: 30.09.2024–30.09.2024."


def _events(action: str) -> list[dict[str, object]]:
    with session_scope() as session:
        return [
            e.details
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_interview_dates_held_day_and_edits_until_held(
    client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    headers = org["coordinator"]
    api = f"/api/cycles/{cycle_id}/interviews"
    body = {
        "unit_id": org["units"][0]["id"],
        "officials": "Коваль Олена, начальниця",
        "scheduled_at": "2024-10-01T10:00:00+03:00",
    }
    outside = client.post(api, headers=headers, json=body)
    assert outside.status_code == 422
    assert outside.json()["detail"] == STAGE_DATES
    created = client.post(
        api, headers=headers, json={**body, "scheduled_at": "2024-09-30T11:00:00+03:00"}
    )
    assert created.status_code == 201, created.text
    interview_id = created.json()["id"]
    # A proposed interview is edited (within the stage too) and removed.
    moved = client.put(
        f"{api}/{interview_id}/plan",
        headers=headers,
        json={**body, "scheduled_at": "2024-09-30T14:00:00+03:00", "place": "Зала 2"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["place"] == "Зала 2"
    assert client.put(f"{api}/{interview_id}/plan", headers=headers, json=body).status_code == 422
    assert _events("interview.updated")[0]["changed"] == ["scheduled_at", "place"]
    second = client.post(
        api, headers=headers, json={**body, "scheduled_at": "2024-09-30T16:00:00+03:00"}
    )
    assert client.delete(f"{api}/{second.json()['id']}", headers=headers).status_code == 204
    assert _events("interview.removed") == [
        {"interview": second.json()["id"], "unit": body["unit_id"]}
    ]
    assert client.post(f"{api}/approve", headers=headers).status_code == 200

    # Notes saved a week before its date do not make it held.
    early = client.put(f"{api}/{interview_id}", headers=headers, json={"notes": "Питання"})
    assert early.status_code == 422
    assert "ще не настала" in early.json()["detail"]
    clock.set(at("2024-10-01"))
    headers = login(client, org["coordinator_email"])
    held = client.put(f"{api}/{interview_id}", headers=headers, json={"notes": "Обговорили"})
    assert held.status_code == 200, held.text
    with session_scope() as session:
        interview = session.get(Interview, interview_id)
        assert interview is not None
        assert interview.held_at == datetime(2024, 9, 30, 14, 0, tzinfo=KYIV)  # the scheduled time
    refused = client.delete(f"{api}/{interview_id}", headers=headers)
    assert refused.status_code == 409
    assert "Інтерв’ю вже проведено 30.09.2024" in refused.json()["detail"]

    # The console: the held-date form defaults to the scheduled day; a date outside the stage
    # comes back beside its field with the stage's dates.
    console_login(client, org["coordinator_email"])
    url = f"/console/cycles/{cycle_id}/interviews"
    page = client.get(url)
    assert f'id="held-on-{interview_id}" name="held_on" value="2024-09-30"' in page.text
    wrong = client.post(
        f"{url}/{interview_id}",
        data={"csrf_token": csrf_of(page.text), "notes": "Інше", "held_on": "2024-09-29"},
    )
    assert wrong.status_code == 422
    assert STAGE_DATES in wrong.text
    assert 'value="2024-09-29"' in wrong.text
    assert 'aria-invalid="true"' in wrong.text
