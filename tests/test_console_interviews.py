"""The console's interview page: propose, approve (recorded and dated), notes and findings, or the
decision not to hold interviews; roles, CSRF and other organizations."""

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import KYIV, FixedClock
from models.cycle import Auditor, Stage, StageKind, StageStatus
from models.db import session_scope
from models.event import AuditEvent
from models.interview import Interview
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import at, login, second_organization


def _interviews() -> list[Interview]:
    with session_scope() as session:
        return list(session.scalars(select(Interview).order_by(Interview.id)))


def test_schedule_is_proposed_approved_and_recorded(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/interviews"
    console_login(client, org["coordinator_email"])
    page = client.get(url)
    assert page.status_code == 200
    assert "Графік інтерв’ю" in page.text
    assert "Інтерв’ю ще не заплановано." in page.text
    assert f'href="/console/cycles/{cycle_id}"' in page.text  # the way back to the cycle
    assert f'href="{url}"' in client.get(f"/console/cycles/{cycle_id}").text  # and here from it
    token = csrf_of(page.text)
    with session_scope() as session:
        auditor_id = session.scalars(select(Auditor.id)).one()
    unit_id = org["units"][1]["id"]
    form = {
        "csrf_token": token,
        "unit_id": str(unit_id),
        "officials": "Коваль Олена, начальниця управління",
        "auditor_id": str(auditor_id),
        "day": "2024-09-30",
        "at_time": "14:30",
        "place": "Кабінет 12",
    }

    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    without_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post(url, data=without_token).status_code in (403, 422)
    refused = client.post(url, data={**form, "officials": " "})
    assert refused.status_code == 422
    assert "Вкажіть посадових осіб" in refused.text
    assert 'value="Кабінет 12"' in refused.text  # what was typed is kept
    bad_date = client.post(url, data={**form, "day": "30.09.2024"})
    assert bad_date.status_code == 422
    assert "Дата і час" in bad_date.text
    assert "Коваль Олена, начальниця управління" in bad_date.text
    assert _interviews() == []

    created = client.post(url, data=form, follow_redirects=False)
    assert created.status_code == 303
    [interview] = _interviews()
    assert interview.unit_id == unit_id
    assert interview.auditor_id == auditor_id
    assert interview.scheduled_at == datetime(2024, 9, 30, 14, 30, tzinfo=KYIV)
    assert interview.place == "Кабінет 12"
    assert interview.approved_at is None
    page = client.get(url)
    assert "запропоновано" in page.text
    assert "Нотатки можна вести після затвердження графіка." in page.text

    approved = client.post(f"{url}/approve", data={"csrf_token": token}, follow_redirects=False)
    assert approved.status_code == 303
    [interview] = _interviews()
    assert interview.approved_at == clock.now()
    assert interview.approved_by is not None
    assert interview.approved_by.startswith("account:")
    assert "затверджено 20.09.2024" in client.get(url).text

    # An auditor records notes and findings once it is held, but neither proposes nor approves.
    clock.set(at("2024-09-30", 16))
    org["coordinator"] = login(client, org["coordinator_email"])
    console_login(client, add_login(client, org, "auditor"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Затвердити графік" not in page.text
    token = csrf_of(page.text)
    assert client.post(url, data={**form, "csrf_token": token}).status_code == 403
    assert client.post(f"{url}/approve", data={"csrf_token": token}).status_code == 403
    record = f"{url}/{interview.id}"
    too_long = client.post(
        record, data={"csrf_token": token, "notes": "н" * 20_001, "findings": "Висновок"}
    )
    assert too_long.status_code == 422
    assert "не більше 20000 символів" in too_long.text
    assert "Висновок" in too_long.text
    notes = {
        "csrf_token": token,
        "notes": "Обговорили реєстр актів.",
        "findings": "Реєстр <b>не</b> оприлюднено.",
        "held_on": "2024-09-30",
        "held_time": "15:00",
    }
    assert client.post(record, data=notes, follow_redirects=False).status_code == 303
    [interview] = _interviews()
    assert interview.notes == "Обговорили реєстр актів."
    assert interview.findings == "Реєстр <b>не</b> оприлюднено."
    assert interview.held_at == datetime(2024, 9, 30, 15, 0, tzinfo=KYIV)
    page = client.get(url).text
    assert "Реєстр &lt;b&gt;не&lt;/b&gt; оприлюднено." in page  # user text is escaped

    # Once an interview is held, every way to skip the stage refuses: this page, the cycle
    # page's stage controls and the JSON API (one rule, in the service they all call).
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get(url).text)
    reason = "Пілотний етап аудиту."
    refused = client.post(f"{url}/skip", data={"csrf_token": token, "reason": reason})
    assert refused.status_code == 409
    assert "Інтерв’ю вже проводилися" in refused.text
    stage_page = client.post(
        f"/console/cycles/{cycle_id}/stages/interviews",
        data={"csrf_token": token, "action": "skip", "reason": reason},
    )
    assert stage_page.status_code == 409
    api = client.post(
        f"/api/cycles/{cycle_id}/interviews/skip",
        headers=login(client, org["coordinator_email"]),
        json={"reason": reason},
    )
    assert api.status_code == 409
    assert "Інтерв’ю вже проводилися" in api.json()["detail"]
    with session_scope() as session:
        stage = session.scalars(select(Stage).where(Stage.kind == StageKind.INTERVIEWS)).one()
        assert stage.status != StageStatus.SKIPPED

    # The mayor's office neither reads the schedule nor changes it.
    console_login(client, org["mayor_email"])
    token = csrf_of(client.get(f"/console/cycles/{cycle_id}").text)
    assert client.get(url).status_code == 403
    assert client.post(record, data={**notes, "csrf_token": token}).status_code == 403
    assert client.post(url, data={**form, "csrf_token": token}).status_code == 403
    assert client.post(f"{url}/skip", data={"csrf_token": token, "reason": "Ні"}).status_code == 403

    # Another organization finds nothing.
    second_organization(client)
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    assert client.get(url).status_code == 404
    assert client.post(url, data={**form, "csrf_token": token}).status_code == 404
    assert client.post(record, data={**notes, "csrf_token": token}).status_code == 404
    [interview] = _interviews()
    assert interview.notes == "Обговорили реєстр актів."


def test_decision_not_to_hold_interviews_with_its_reason(
    client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/interviews"
    member = add_login(client, org, "working_group")
    console_login(client, member)
    token = csrf_of(client.get(url).text)
    refused = client.post(f"{url}/skip", data={"csrf_token": token, "reason": "Ні"})
    assert refused.status_code == 422
    assert "Причина: від 3 до 2000 символів." in refused.text
    assert ">Ні</textarea>" in refused.text

    reason = "Пілотний етап: досить анкетування."
    done = client.post(
        f"{url}/skip", data={"csrf_token": token, "reason": reason}, follow_redirects=False
    )
    assert done.status_code == 303
    with session_scope() as session:
        stage = session.scalars(select(Stage).where(Stage.kind == StageKind.INTERVIEWS)).one()
        assert stage.status == StageStatus.SKIPPED
        assert stage.skipped_reason == reason
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "stage.skipped"))
    # The JSON API lets the same working-group member record it (repeating it changes nothing).
    again = client.post(
        f"/api/cycles/{cycle_id}/interviews/skip",
        headers=login(client, member),
        json={"reason": "Інша причина."},
    )
    assert again.status_code == 200, again.text
    assert again.json()["skipped_reason"] == reason
    page = client.get(url).text
    assert "Інтерв’ю не проводяться" in page
    assert reason in page
    assert "Запропонувати інтерв’ю" not in page
    # The schedule is closed now: a forged proposal is refused with the reason.
    proposal = client.post(
        url,
        data={
            "csrf_token": token,
            "unit_id": str(org["units"][0]["id"]),
            "officials": "Хтось",
            "day": "2024-09-30",
            "at_time": "10:00",
        },
    )
    assert proposal.status_code == 409
    assert "вирішила не проводити інтерв’ю" in proposal.text
    assert _interviews() == []
