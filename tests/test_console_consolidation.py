"""The console's consolidated inventory: groups with their original rows, merge, split and undo
(the questionnaire rows never change); roles, CSRF and other organizations."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.questionnaire import ConsolidationAction, ConsolidationDecision, InformationSystem
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import at, second_organization, token_of


def _decisions() -> list[tuple[ConsolidationAction, str, str, int]]:
    with session_scope() as session:
        return [
            (d.action, d.group_key, d.target_key, d.row_id)
            for d in session.scalars(
                select(ConsolidationDecision).order_by(ConsolidationDecision.id)
            )
        ]


def _system_rows() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(InformationSystem.id))) or 0


def test_merge_split_and_undo_keep_the_originals(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    auditor = add_login(client, org, "auditor")
    clock.set(at("2024-09-24", 11))
    for link, systems in zip(
        state["cycle"]["links"],
        (["СЕД «АСКОД»", "Портал"], ["«сед аскод»"], ["АСКОД"]),
        strict=True,
    ):
        body = {
            "respondent": {"full_name": "Петренко Іван"},
            "systems": [{"name": n} for n in systems],
        }
        response = client.post(f"/api/questionnaire/{token_of(link['url'])}", json=body)
        assert response.status_code == 201, response.text
    assert _system_rows() == 4

    console_login(client, auditor)  # auditors consolidate too
    url = f"/console/cycles/{cycle_id}/consolidation/systems"
    page = client.get(url)
    assert page.status_code == 200
    assert "Інформаційні системи" in page.text
    assert "Загальний відділ, Управління освіти" in page.text  # «СЕД АСКОД» of two units
    assert f'href="{url}"' in client.get(f"/console/cycles/{cycle_id}").text
    assert client.get(f"/console/cycles/{cycle_id}/consolidation/items").status_code == 200
    token = csrf_of(page.text)

    merge = {"csrf_token": token, "keys": ["аскод"], "into": "сед аскод"}
    assert client.post(f"{url}/merge", data={**merge, "csrf_token": "forged"}).status_code == 403
    refused = client.post(f"{url}/merge", data={"csrf_token": token, "keys": ["аскод"]})
    assert refused.status_code == 422
    assert "Оберіть запис, до якого об’єднати." in refused.text
    assert 'value="аскод" checked' in refused.text  # the choice is kept
    unknown = client.post(f"{url}/merge", data={**merge, "keys": ["немає такого"]})
    assert unknown.status_code == 404
    assert "Групу «немає такого» не знайдено." in unknown.text
    assert _decisions() == []

    assert client.post(f"{url}/merge", data=merge, follow_redirects=False).status_code == 303
    assert _decisions() == [(ConsolidationAction.MERGE, "аскод", "сед аскод", 0)]
    page = client.get(url).text
    assert "Загальний відділ, Управління освіти, Управління комунальної власності" in page
    assert "Об’єднано: «АСКОД» → «СЕД «АСКОД»»" in page  # as the units spelled them

    with session_scope() as session:
        row_id = session.scalars(
            select(InformationSystem.id).where(InformationSystem.name == "«сед аскод»")
        ).one()
    split = client.post(
        f"{url}/split", data={"csrf_token": token, "row_id": str(row_id)}, follow_redirects=False
    )
    assert split.status_code == 303
    assert _decisions()[-1] == (ConsolidationAction.SPLIT, "", "", row_id)
    page = client.get(url).text
    assert '<th scope="row">«сед аскод»</th>' in page  # the row stands alone now
    assert _system_rows() == 4  # the questionnaires' rows are never changed

    with session_scope() as session:
        decision_id = session.scalars(
            select(ConsolidationDecision.id).where(
                ConsolidationDecision.action == ConsolidationAction.SPLIT
            )
        ).one()
    undone = client.post(
        f"{url}/undo/{decision_id}", data={"csrf_token": token}, follow_redirects=False
    )
    assert undone.status_code == 303
    assert _decisions() == [(ConsolidationAction.MERGE, "аскод", "сед аскод", 0)]

    console_login(client, org["mayor_email"])
    token = csrf_of(client.get(f"/console/cycles/{cycle_id}").text)
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/merge", data={**merge, "csrf_token": token}).status_code == 403
    assert (
        client.post(f"{url}/split", data={"csrf_token": token, "row_id": str(row_id)}).status_code
        == 403
    )
    second_organization(client)
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/merge", data={**merge, "csrf_token": token}).status_code == 404
    assert client.post(f"{url}/undo/1", data={"csrf_token": token}).status_code == 404
    assert _decisions() == [(ConsolidationAction.MERGE, "аскод", "сед аскод", 0)]
