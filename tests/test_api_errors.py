"""Bad input and wrong roles: clear Ukrainian answers with the right status, nothing saved."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from flows.audit_cycle import audit_cycle
from models.clock import FixedClock
from models.cycle import AuditCycle
from models.db import session_scope
from models.questionnaire import QuestionnaireSubmission
from models.survey import Response
from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import (
    PASSWORD,
    at,
    create_organization,
    launch,
    plan,
    questionnaire,
    token_of,
)


def _cycles() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(AuditCycle.id))) or 0


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def test_unknown_link_is_404(client: TestClient) -> None:
    response = client.post("/api/questionnaire/not-a-real-token", json=questionnaire())
    assert response.status_code == 404
    assert "Посилання недійсне" in response.json()["detail"]
    assert client.get("/api/survey/unknown-survey").status_code == 404


def test_late_questionnaire_is_409_naming_the_due_date(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    token = token_of(cycle["links"][0]["url"])
    clock.set(at("2024-09-23"))
    audit_cycle(cycle["id"], clock.now())
    # The flow has not run since, but the due date has passed: the date alone refuses it.
    clock.set(at("2024-09-28", 0))
    response = client.post(f"/api/questionnaire/{token}", json=questionnaire())
    assert response.status_code == 409
    assert "завершено 27.09.2024" in response.json()["detail"]
    with session_scope() as session:
        assert session.scalar(select(func.count(QuestionnaireSubmission.id))) == 0


def test_malformed_plans_are_422_with_the_field(client: TestClient) -> None:
    org = create_organization(client)
    headers = org["coordinator"]

    missing = plan()
    del missing["order"]
    response = client.post("/api/cycles", headers=headers, json=missing)
    assert response.status_code == 422
    assert "order" in _fields(response)
    assert "обов’язкове поле" in response.json()["detail"]

    bad_date = plan(order={"number": "1-р", "date": "23.09.2024"})
    response = client.post("/api/cycles", headers=headers, json=bad_date)
    assert response.status_code == 422
    assert "order.date" in _fields(response)
    assert "РРРР-ММ-ДД" in response.json()["detail"]

    stages = plan()["stages"]
    stages["reporting"]["starts_on"] = "2024-10-01"
    response = client.post("/api/cycles", headers=headers, json=plan(stages=stages))
    assert response.status_code == 422
    assert "підготовка звіту має починатися після" in response.json()["detail"]

    stages = plan()["stages"]
    stages["preparation"] = {"starts_on": "2024-09-27", "due_on": "2024-09-23"}
    response = client.post("/api/cycles", headers=headers, json=plan(stages=stages))
    assert response.status_code == 422
    assert "раніша за дату його початку" in response.json()["detail"]

    response = client.post("/api/cycles", headers=headers, json=plan(units=["Невідомий відділ"]))
    assert response.status_code == 422
    assert "Невідомий відділ" in response.json()["detail"]

    response = client.post("/api/cycles", headers=headers, json=plan(typo_field=1))
    assert response.status_code == 422
    assert "typo_field" in _fields(response)

    response = client.post(
        "/api/cycles",
        headers={**headers, "Content-Type": "application/yaml"},
        content=b"year: [2024\norder: {",
    )
    assert response.status_code == 422
    assert "YAML" in response.json()["detail"]

    response = client.post(
        "/api/cycles", headers={**headers, "Content-Type": "application/json"}, content=b"{nope"
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]
    assert _cycles() == 0


def test_plan_in_yaml_is_accepted(client: TestClient) -> None:
    org = create_organization(client)
    document = (
        "year: 2024\n"
        "order: {number: 212-р, date: 2024-09-23}\n"
        "units: [Загальний відділ]\n"
        "auditors: [{full_name: Аудиторенко Оксана}]\n"
        "stages:\n"
        "  preparation: {starts_on: 2024-09-23, due_on: 2024-09-27}\n"
        "  consultation: {starts_on: 2024-09-23, due_on: 2024-10-06}\n"
        "  remote_audit: {starts_on: 2024-09-23, due_on: 2024-09-27}\n"
        "  interviews: {starts_on: 2024-09-30, due_on: 2024-09-30, skip_reason: Пілотний етап}\n"
        "  reporting: {starts_on: 2024-10-07, due_on: 2024-10-14}\n"
    )
    response = client.post(
        "/api/cycles",
        headers={**org["coordinator"], "Content-Type": "application/yaml"},
        content=document.encode(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["links"]) == 1
    interviews = next(s for s in body["stages"] if s["kind"] == "interviews")
    assert interviews["status"] == "skipped"
    assert interviews["skipped_reason"] == "Пілотний етап"


def test_roles(client: TestClient) -> None:
    org = create_organization(client)
    # No login: 401. The mayor's office may read, not launch: 403.
    assert client.post("/api/cycles", json=plan()).status_code == 401
    response = client.post("/api/cycles", headers=org["mayor"], json=plan())
    assert response.status_code == 403
    assert response.json()["detail"] == "Недостатньо прав для цієї дії."
    cycle = launch(client, org["coordinator"], plan())
    assert client.get(f"/api/cycles/{cycle['id']}", headers=org["mayor"]).status_code == 200
    assert client.get(f"/api/cycles/{cycle['id']}/links", headers=org["mayor"]).status_code == 403
    assert (
        client.get(f"/api/cycles/{cycle['id']}/report.pdf", headers=org["mayor"]).status_code == 404
    )
    # A second organization needs the installation's administrator.
    response = client.post(
        "/api/organizations",
        json={"name": "Інша рада", "coordinator": {"email": "x@example.org", "password": PASSWORD}},
    )
    assert response.status_code == 403
    wrong = client.post("/api/auth/login", json={"email": org["mayor_email"], "password": "nope"})
    assert wrong.status_code == 401
    assert "Невірна адреса" in wrong.json()["detail"]


def test_survey_bad_input_is_422_and_saves_nothing(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24"))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    single = questions[0]
    other = questions[1]
    cases = [
        ({"answers": [{"question_id": 999999, "option_ids": [1]}]}, "Невідоме питання"),
        (
            {
                "answers": [
                    {
                        "question_id": single["id"],
                        "option_ids": [o["id"] for o in single["options"]],
                    }
                ]
            },
            "лише один варіант",
        ),
        (
            {"answers": [{"question_id": single["id"], "option_ids": [other["options"][0]["id"]]}]},
            "Невідомий варіант",
        ),
        ({"answers": []}, "Анкета порожня"),
        ({"answers": [{"question_id": single["id"], "text": "x" * 2001}]}, "задовге"),
    ]
    for body, message in cases:
        response = client.post(f"/api/survey/{slug}/responses", json=body)
        assert response.status_code == 422, (body, response.text)
        assert message in response.json()["detail"], response.text
    response = client.post(
        f"/api/survey/{slug}/responses",
        content=b"not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    with session_scope() as session:
        assert session.scalar(select(func.count(Response.id))) == 0


def test_a_browser_form_without_its_fields_gets_a_ukrainian_page_not_json(
    client: TestClient,
) -> None:
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    browser = {"Accept": "text/html,application/xhtml+xml"}
    before = client.get("/console/units").text
    no_token = client.post("/console/units", data={"name": "Відділ кадрів"}, headers=browser)
    assert no_token.status_code == 403
    assert no_token.headers["content-type"].startswith("text/html")
    assert "Форма застаріла або надіслана не з цього сайту" in no_token.text
    assert "Відділ кадрів" not in client.get("/console/units").text
    # A malformed address on a browser form: a Ukrainian page, not JSON.
    token = csrf_of(before)
    malformed = client.post(
        "/console/cycles/not-a-number/links", data={"csrf_token": token}, headers=browser
    )
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("text/html")
    assert "Перевірте введені дані." in malformed.text
    # The JSON API keeps answering in JSON.
    api = client.post("/api/organizations", json={"name": ""})
    assert api.status_code == 422
    assert api.headers["content-type"] == "application/json"
