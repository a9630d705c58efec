"""The questionnaire form at /q/{token}: rows without JavaScript, drafts resumed by code from
another browser, edits until the due date, bad input kept on the page and nothing half-saved,
the JSON drafts API, per-unit progress, and the whole journey in headless Chromium on a phone."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.outbox import OutboxMessage
from models.questionnaire import InformationSystem, QuestionnaireSubmission, SubmissionStatus
from tests.accessibility import axe_context, check_keyboard, serious_violations
from tests.doubles.html import fields
from tests.factories import at, create_organization, launch, login, plan, token_of


def _unit_link(client: TestClient) -> tuple[dict[str, Any], str, dict[str, Any]]:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    return org, token_of(cycle["links"][0]["url"]), cycle


def _form(client: TestClient, token: str, **values: Any) -> dict[str, Any]:
    page = client.get(f"/q/{token}")
    assert page.status_code == 200
    data = {"csrf_token": fields(page.text)["csrf_token"], "code": ""}
    data.update(values)
    return data


def _count(model: Any) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(model.id))) or 0


GOOD = {
    "respondent-full_name": "Петренко Іван",
    "respondent-position": "головний спеціаліст",
    "respondent-email": "petrenko@example.org",
    "systems-0-name": "Система електронного документообігу «АСКОД»",
    "systems-0-url": "",
    "systems-0-owner_type": "private",
    "systems-0-holds_personal_data": "1",
    "systems-1-name": "Офіційний вебпортал",
    "systems-1-url": "https://example.gov.ua",
    "items-0-name": "Розпорядження міського голови",
    "items-0-access_category": "public",
    "items-0-approx_records": "600",
}


def test_form_is_ukrainian_with_csrf_and_unknown_link_is_404(
    client: TestClient, clock: FixedClock
) -> None:
    _, token, _ = _unit_link(client)
    page = client.get(f"/q/{token}")
    assert page.status_code == 200
    assert 'lang="uk"' in page.text
    assert "Загальний відділ" in page.text
    assert 'name="viewport"' in page.text
    assert not re.search(r"<script(?![^>]*\ssrc=)", page.text)  # no inline script (CSP)
    values = fields(page.text)
    assert values["csrf_token"]
    assert "systems-0-name" in values
    assert "items-0-name" in values
    assert "/q/" + token + "/template.xlsx" in page.text
    missing = client.get("/q/not-a-real-token")
    assert missing.status_code == 404
    assert "Посилання недійсне" in missing.text


def test_add_and_remove_rows_keep_everything_typed(client: TestClient, clock: FixedClock) -> None:
    _, token, _ = _unit_link(client)
    added = client.post(f"/q/{token}", data=_form(client, token, action="add_system", **GOOD))
    assert added.status_code == 200
    values = fields(added.text)
    assert values["systems-0-name"] == GOOD["systems-0-name"]
    assert values["systems-0-holds_personal_data"] == "1"
    assert "systems-0-has_api" not in values
    assert values["systems-0-owner_type"] == "private"
    assert values["systems-2-name"] == ""  # one more row
    assert values["respondent-email"] == GOOD["respondent-email"]
    removed = client.post(
        f"/q/{token}",
        data={**values, "action": "remove_system:0"},
    )
    after = fields(removed.text)
    assert after["systems-0-name"] == "Офіційний вебпортал"
    assert "systems-2-name" not in after
    assert _count(QuestionnaireSubmission) == 0  # rows are added without saving anything


def test_bad_input_is_explained_on_the_form_kept_and_nothing_is_saved(
    client: TestClient, clock: FixedClock
) -> None:
    _, token, _ = _unit_link(client)
    bad = {
        **GOOD,
        "respondent-email": "not-an-email",
        "systems-1-url": "portal kalush",
        "systems-2-description": "опис без назви",
        "items-0-access_category": "top-secret",
        "items-0-approx_records": "багато",
        "items-1-name": "Я" * 501,
    }
    response = client.post(f"/q/{token}", data=_form(client, token, action="submit", **bad))
    assert response.status_code == 422
    text = response.text
    assert "Анкету не збережено" in text
    assert "невірна адреса e-mail" in text
    assert "невірна адреса: вкажіть повне посилання" in text
    assert "Система 3: Назва системи або сервісу</a>: обов’язкове поле" in text
    assert "невідома категорія доступу" in text
    assert "має бути цілим числом" in text
    assert "задовге" in text
    values = fields(text)
    for name in ("respondent-email", "systems-1-url", "systems-2-description", "items-1-name"):
        assert values[name] == bad[name], name
    assert _count(QuestionnaireSubmission) == 0
    assert _count(InformationSystem) == 0


def test_forged_form_is_refused_with_values_kept(client: TestClient, clock: FixedClock) -> None:
    _, token, _ = _unit_link(client)
    data = _form(client, token, action="save", **GOOD)
    data["csrf_token"] = "forged"
    response = client.post(f"/q/{token}", data=data)
    assert response.status_code == 403
    assert "Форма застаріла" in response.text
    assert fields(response.text)["systems-1-url"] == "https://example.gov.ua"
    assert _count(QuestionnaireSubmission) == 0


def test_draft_resumed_in_another_browser_submitted_edited_until_due_date(
    client: TestClient, app: Any, clock: FixedClock
) -> None:
    org, token, cycle = _unit_link(client)
    clock.set(at("2024-09-24", 10))
    saved = client.post(
        f"/q/{token}", data=_form(client, token, action="save", **GOOD), follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    location = saved.headers["location"]
    code = location.split("code=")[1].split("&")[0]
    assert len(code.replace("-", "")) == 12
    with session_scope() as session:
        submission = session.scalars(select(QuestionnaireSubmission)).one()
        assert submission.status == SubmissionStatus.DRAFT
        assert submission.resume_lookup
        assert code not in submission.resume_lookup
        resume_mail = session.scalars(select(OutboxMessage)).one()
        assert resume_mail.dedup_key == f"resume:{submission.id}"
        assert code in resume_mail.body
        assert "petrenko@example.org" in resume_mail.recipients

    # Another browser, no cookies: the unit link plus the code is enough.
    with TestClient(app) as other:
        wrong = other.get(f"/q/{token}?code=AAAA-BBBB-CCCC")
        assert wrong.status_code == 404
        assert "Код продовження не знайдено" in wrong.text
        page = other.get(f"/q/{token}", params={"code": code.lower()})
        assert page.status_code == 200
        values = fields(page.text)
        assert values["systems-0-name"] == GOOD["systems-0-name"]
        assert values["items-0-approx_records"] == "600"
        values.update(action="submit", **{"items-0-description": "з основної діяльності"})
        submitted = other.post(f"/q/{token}", data=values, follow_redirects=False)
        assert submitted.status_code == 303
        assert "saved=submitted" in submitted.headers["location"]
        shown = other.get(submitted.headers["location"])
        assert "Анкету подано" in shown.text
        assert "Зберегти зміни в поданій анкеті" in shown.text

        clock.set(at("2024-09-27", 18))  # still the due date: edits are taken
        values = fields(shown.text)
        values.update(action="submit", **{"systems-1-name": "Офіційний вебпортал міста"})
        edited = other.post(f"/q/{token}", data=values, follow_redirects=False)
        assert edited.status_code == 303
        assert "saved=updated" in edited.headers["location"]

        clock.set(at("2024-09-28", 9))  # after the due date: refused, typed text kept
        values.update(action="submit", **{"systems-1-name": "Запізніла назва"})
        late = other.post(f"/q/{token}", data=values)
        assert late.status_code == 409
        assert "27.09.2024" in late.text
        assert "Відповідь не прийнято" in late.text
        assert fields(late.text)["systems-1-name"] == "Запізніла назва"

    with session_scope() as session:
        submission = session.scalars(select(QuestionnaireSubmission)).one()
        assert submission.status == SubmissionStatus.SUBMITTED
        names = session.scalars(
            select(InformationSystem.name).order_by(InformationSystem.position)
        ).all()
        assert names == [GOOD["systems-0-name"], "Офіційний вебпортал міста"]

    coordinator = login(client, org["coordinator_email"])  # the old session has expired
    progress = client.get(f"/api/cycles/{cycle['id']}/questionnaires", headers=coordinator)
    assert progress.status_code == 200
    first, second, _ = progress.json()
    assert first["status"] == "submitted"
    assert first["records"] == 3
    assert first["last_activity"] is not None
    assert second["status"] == "not_started"
    assert second["status_label"] == "не розпочато"


def test_several_staff_per_unit_and_the_json_drafts_api(
    client: TestClient, clock: FixedClock
) -> None:
    org, token, cycle = _unit_link(client)
    body: dict[str, Any] = {
        "respondent": {"full_name": "Коваль Олена"},
        "systems": [{"name": "СЕД"}],
    }
    first = client.post(f"/api/questionnaire/{token}/drafts", json=body)
    second = client.post(f"/api/questionnaire/{token}/drafts", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["resume_code"] != second.json()["resume_code"]
    code = first.json()["resume_code"]
    assert first.json()["resume_url"].endswith(f"/q/{token}?code={code}")
    stored = client.get(f"/api/questionnaire/{token}/{code}").json()
    assert stored["status"] == "draft"
    assert stored["systems"][0]["name"] == "СЕД"
    body["items"] = [{"name": "Журнал реєстрації звернень", "access_category": "secret"}]
    refused = client.put(f"/api/questionnaire/{token}/{code}?submit=true", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "items.0.secret_explanation"
    body["items"][0]["secret_explanation"] = "містить відомості, що становлять державну таємницю"
    done = client.put(f"/api/questionnaire/{token}/{code}?submit=true", json=body)
    assert done.status_code == 200
    assert done.json()["status"] == "submitted"
    progress = client.get(f"/api/cycles/{cycle['id']}/questionnaires", headers=org["coordinator"])
    unit = progress.json()[0]
    assert (unit["status"], unit["submitted"], unit["drafts"]) == ("submitted", 1, 1)
    assert client.get(f"/api/cycles/{cycle['id']}/questionnaires").status_code == 401


def test_a_blank_questionnaire_cannot_be_submitted(client: TestClient, clock: FixedClock) -> None:
    _, token, _ = _unit_link(client)
    data = _form(client, token, action="submit", **{"respondent-full_name": "Петренко Іван"})
    response = client.post(f"/q/{token}", data=data)
    assert response.status_code == 422
    assert "Анкета порожня" in response.text
    assert _count(QuestionnaireSubmission) == 0


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_phone_journey_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    """Open the link on a phone, add two systems and one item, save a draft, reload, submit."""
    _, token, _ = _unit_link(client)
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,  # the form must work without JavaScript
    )
    page = context.new_page()
    page.goto(f"{live_server}/q/{token}")
    assert page.locator("h1").inner_text() == "Анкета віддаленого інформаційного аудиту"
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("Прізвище, ім’я").fill("Петренко Іван")
    page.get_by_label("E-mail").fill("petrenko@example.org")
    page.locator("#systems-0-name").fill("СЕД «АСКОД»")
    page.locator("#systems-0-owner_type").select_option("private")
    page.get_by_role("button", name="+ Додати систему").click()
    page.locator("#systems-1-name").fill("Офіційний вебпортал")
    page.locator("#systems-1-url").fill("https://example.gov.ua")
    page.locator("#systems-1-has_api").check()
    page.locator("#items-0-name").fill("Розпорядження міського голови")
    page.locator("#items-0-access_category").select_option("public")
    page.get_by_role("button", name="Зберегти чернетку").click()
    notice = page.locator("#notice").inner_text()
    assert "Чернетку збережено" in notice
    assert "код продовження" in notice

    page.reload()
    assert page.locator("#systems-0-name").input_value() == "СЕД «АСКОД»"
    assert page.locator("#systems-1-url").input_value() == "https://example.gov.ua"
    assert page.locator("#systems-1-has_api").is_checked()
    assert page.locator("#items-0-name").input_value() == "Розпорядження міського голови"
    page.get_by_role("button", name="Подати анкету").click()
    assert "Анкету подано" in page.locator("#notice").inner_text()
    context.close()

    with session_scope() as session:
        submission = session.scalars(select(QuestionnaireSubmission)).one()
        assert submission.status == SubmissionStatus.SUBMITTED
        assert _count(InformationSystem) == 2


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_accessibility_of_the_form_its_errors_and_the_closed_notice_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    """axe-core finds no serious or critical WCAG 2.1 AA violation, and the keyboard reaches
    every field with a visible focus: the empty form, a refused one, and after the due date."""
    _, token, _ = _unit_link(client)
    context = axe_context(browser)
    page = context.new_page()
    page.goto(f"{live_server}/q/{token}")
    assert serious_violations(page) == []
    reached = check_keyboard(page)
    # The hidden "save" button (what Enter presses) is not a stop of its own.
    assert reached[-1]["text"] == "Подати анкету"

    page.goto(f"{live_server}/q/{token}")
    page.get_by_label("Прізвище, ім’я").fill("Петренко Іван")
    page.get_by_label("E-mail").fill("not-an-email")
    page.locator("#items-0-approx_records").fill("багато")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Подати анкету").click()
    assert posted.value.status == 422
    assert "Анкету не збережено" in page.get_by_role("alert").inner_text()
    email = page.get_by_label("E-mail")
    assert email.get_attribute("aria-invalid") == "true"
    described = (email.get_attribute("aria-describedby") or "").split()
    assert set(described) == {"respondent-email-hint", "respondent-email-error"}
    assert serious_violations(page) == []
    check_keyboard(page)
    page.get_by_role("link", name="E-mail").press("Enter")
    assert page.evaluate("document.activeElement.id") == "respondent-email"

    clock.set(at("2024-09-28", 9))  # after the due date (27.09.2024)
    page.goto(f"{live_server}/q/{token}")
    assert "27.09.2024" in page.get_by_role("status").first.inner_text()
    assert serious_violations(page) == []
    check_keyboard(page)
    context.close()
