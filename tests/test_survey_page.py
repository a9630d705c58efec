"""The public survey page: the form, bad input, closed survey, honeypot; real Chromium journeys."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.survey import Answer, Question, Response
from tests.accessibility import axe_context, check_keyboard, serious_violations
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import fields, form_parts, hidden
from tests.factories import at, create_organization, launch, login, plan

QUESTIONS: list[dict[str, Any]] = [
    {"text": "Чи користуєтеся Ви сервісом «Відкриті дані»?", "kind": "single", "required": True,
     "options": ["Так", "Ні"]},
    {"text": "Якими ресурсами ради Ви користуєтеся?", "kind": "multiple", "allow_other": True,
     "options": ["Вебпортал", "Facebook"]},
    {"text": "Які набори даних варто оприлюднити?", "kind": "text"},
]  # fmt: skip


def responses() -> int:
    """Stored responses."""
    with session_scope() as session:
        return session.scalar(select(func.count(Response.id))) or 0


@pytest.fixture
def survey(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """A cycle with QUESTIONS launched before the consultation (23.09–06.10.2024); the clock
    inside it."""
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan(questions=QUESTIONS))
    clock.set(at("2024-09-24", 12))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    return {"slug": slug, "url": f"/survey/{slug}", "q": questions, "org": org, "cycle": cycle}


def _form(page_html: str, survey: dict[str, Any], **extra: Any) -> dict[str, Any]:
    single, multiple, text = survey["q"]
    return {
        "csrf_token": hidden(page_html, "csrf_token"),
        "idempotency_key": hidden(page_html, "idempotency_key"),
        f"q{single['id']}": str(single["options"][0]["id"]),
        f"q{multiple['id']}": [str(multiple["options"][1]["id"])],
        f"q{multiple['id']}_other": "Телеграм-канал",
        f"q{text['id']}_text": "Реєстр договорів оренди",
        **extra,
    }


def test_page_is_labelled_and_carries_the_hidden_fields(
    client: TestClient, survey: dict[str, Any]
) -> None:
    page = client.get(survey["url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="uk"' in page.text
    assert "Що ми збираємо і навіщо" in page.text
    assert "не зберігаємо IP-адрес" in page.text
    assert "23.09.2024" in page.text
    assert "infoaudit_survey" in page.cookies
    assert "infoaudit_csrf" in page.cookies
    parts = form_parts(page.text)
    visible = [i for i in parts.inputs if i.get("type") != "hidden"]
    assert all(i["id"] in parts.label_for for i in visible), "every field has a label"
    assert parts.fieldsets == parts.legends == 2  # the two choice questions
    names = {i.get("name") for i in parts.inputs}
    assert {"csrf_token", "idempotency_key", "website"} <= names
    honeypot = next(i for i in parts.inputs if i.get("name") == "website")
    assert honeypot["tabindex"] == "-1"  # never reached with the keyboard
    # Only the site's own progressive-enhancement script: the form works without it.
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/app.js" defer>']


def test_submission_redirects_and_a_resent_form_stores_one(
    client: TestClient, survey: dict[str, Any]
) -> None:
    page = client.get(survey["url"]).text
    form = _form(page, survey)
    first = client.post(survey["url"], data=form, follow_redirects=False)
    assert first.status_code == 303, first.text
    assert first.headers["location"] == f"/survey/{survey['slug']}/thanks"
    again = client.post(survey["url"], data=form, follow_redirects=False)
    assert again.status_code == 303  # the same key: the stored response, nothing new
    assert responses() == 1
    with session_scope() as session:
        texts = set(session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
    assert texts == {"Телеграм-канал", "Реєстр договорів оренди"}
    # The write-in chose "other" by itself.
    assert client.get(f"{survey['url']}/thanks").text.count("Дякуємо") >= 1
    # This browser has answered: the page says so; a new form from it is refused.
    assert "вже надіслано" in client.get(survey["url"]).text
    other_key = {**form, "idempotency_key": "another-key-123"}
    assert client.post(survey["url"], data=other_key).status_code == 409
    assert responses() == 1


def test_bad_input_rerenders_with_answers_kept_and_saves_nothing(
    client: TestClient, survey: dict[str, Any]
) -> None:
    single, multiple, text = survey["q"]
    page = client.get(survey["url"]).text
    form = _form(page, survey)
    del form[f"q{single['id']}"]  # a required question left empty
    response = client.post(survey["url"], data=form)
    assert response.status_code == 422
    assert "обов’язкові питання: 1" in response.text
    parts = form_parts(response.text)
    assert parts.textareas[f"q{text['id']}_text"] == "Реєстр договорів оренди"
    assert 'value="Телеграм-канал"' in response.text
    checked = re.search(rf'value="{multiple["options"][1]["id"]}" checked', response.text)
    assert checked, "the chosen option stays chosen"
    assert hidden(response.text, "idempotency_key") == form["idempotency_key"]
    assert f'href="#question-{single["id"]}"' in response.text

    cases: list[tuple[dict[str, Any], str]] = [
        ({f"q{single['id']}": [str(o["id"]) for o in single["options"]]}, "лише один варіант"),
        ({f"q{single['id']}": "abc"}, "Невідомий варіант"),
        ({"q999999": "1"}, "Невідоме питання"),
        ({f"q{text['id']}_text": "x" * 2001}, "задовга"),
        ({f"q{single['id']}": str(multiple["options"][0]["id"])}, "Невідомий варіант"),
        (
            {
                f"q{multiple['id']}": [str(multiple["options"][2]["id"])],
                f"q{multiple['id']}_other": "",
            },
            "обрано «Інше»: напишіть, що саме",
        ),
    ]
    for change, message in cases:
        response = client.post(survey["url"], data={**_form(page, survey), **change})
        assert response.status_code == 422, change
        assert message in response.text, (change, message)
    not_a_form = client.post(
        survey["url"], content=b'{"answers": []}', headers={"Content-Type": "application/json"}
    )
    assert not_a_form.status_code == 422
    assert "з форми" in not_a_form.text
    assert responses() == 0


def test_csrf_honeypot_and_closed_survey(
    client: TestClient, survey: dict[str, Any], clock: FixedClock
) -> None:
    page = client.get(survey["url"]).text
    no_csrf = {k: v for k, v in _form(page, survey).items() if k != "csrf_token"}
    assert client.post(survey["url"], data=no_csrf).status_code == 403
    bot = client.post(
        survey["url"], data=_form(page, survey, website="http://spam"), follow_redirects=False
    )
    assert bot.status_code == 303  # looks accepted to the bot
    assert responses() == 0

    clock.set(at("2024-10-07", 9))
    closed = client.get(survey["url"])
    assert closed.status_code == 200
    assert "<form" not in closed.text.split("</header>")[1]
    assert closed.text.count("завершено 06.10.2024") == 1  # said once
    assert "з 23.09.2024 по 06.10.2024" in closed.text
    late = client.post(survey["url"], data=_form(page, survey))
    assert late.status_code == 409
    assert late.text.count("завершено 06.10.2024") == 1
    assert "<form" not in late.text.split("</header>")[1]
    clock.set(at("2024-09-20", 9))
    early = client.get(survey["url"])
    assert "ще не розпочато" in early.text
    assert client.post(survey["url"], data=_form(page, survey)).status_code == 409
    assert responses() == 0
    assert client.get("/survey/no-such-survey").status_code == 404


def test_invitation_only_survey_asks_for_the_code(
    client: TestClient, survey: dict[str, Any]
) -> None:
    issued = client.post(
        f"/api/cycles/{survey['cycle']['id']}/survey/invitations",
        headers=login(client, survey["org"]["coordinator_email"]),  # the clock moved on
        json={"count": 1},
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["codes"][0]
    page = client.get(survey["url"], params={"code": code}).text
    assert f'name="code" value="{code}"' in page
    wrong = client.post(survey["url"], data=_form(page, survey, code="wrong-code"))
    assert wrong.status_code == 403
    assert "Код запрошення недійсний" in wrong.text
    assert "Реєстр договорів оренди" in wrong.text  # answers kept
    ok = client.post(survey["url"], data=_form(page, survey, code=code), follow_redirects=False)
    assert ok.status_code == 303
    assert responses() == 1


def test_required_chosen_in_the_console_progress_and_clearing_an_answer(
    client: TestClient, clock: FixedClock
) -> None:
    setup = launched_cycle(client, clock)  # the default nine questions, before the start
    console_login(client, setup["org"]["coordinator_email"])
    editor_url = f"/console/cycles/{setup['cycle_id']}/survey"
    editor = fields(client.get(editor_url).text)
    edited = client.post(f"{editor_url}/questions", data={**editor, "q1_required": "1"})
    assert edited.status_code in (200, 303), edited.text
    with session_scope() as session:
        required = session.scalars(select(Question.position).where(Question.required)).all()
        assert required == [1]
    clock.set(at("2024-09-24", 12))
    url = "/survey/" + setup["cycle"]["survey_url"].rsplit("/", 1)[1]
    page = client.get(url).text
    first = re.search(r'<fieldset class="question" id="question-(\d+)"[^>]*>', page)
    assert first
    assert 'aria-required="true"' in first.group(0)
    assert page.count("(обов’язкове)") == 2  # question 1, and the explanation above
    assert '<progress id="survey-progress" max="9" value="0"' in page
    qid = first.group(1)
    chosen = re.findall(rf'name="q{qid}" value="(\d+)"', page)[0]
    other = re.search(r'name="(q\d+)_other"', page)
    assert other
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "idempotency_key": hidden(page, "idempotency_key"),
        f"q{qid}": chosen,
        f"{other.group(1)}_other": "Телеграм",
    }
    cleared = client.post(url, data={**form, "clear": f"q{qid}"})
    assert cleared.status_code == 200
    assert f'value="{chosen}" checked' not in cleared.text
    assert 'value="Телеграм"' in cleared.text  # the other answers stay
    assert '<progress id="survey-progress" max="9" value="1"' in cleared.text
    assert responses() == 0
    missing = client.post(url, data=form | {f"q{qid}": ""})
    assert missing.status_code == 422
    assert "обов’язкові питання: 1" in missing.text
    assert re.search(rf'id="q{qid}-\d+" name="q{qid}" value="\d+" data-first-error', missing.text)


# --- Real Chromium ----------------------------------------------------------------------------


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser context (its own cookies) and page."""
    context = browser.new_context(locale="uk-UA")
    yield context.new_page()
    context.close()


@pytest.fixture
def live_survey(client: TestClient, clock: FixedClock, live_server: str) -> dict[str, Any]:
    """A survey open now, served by real uvicorn."""
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan(questions=QUESTIONS))
    clock.set(at("2024-09-24", 12))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    return {"url": f"{live_server}/survey/{slug}", "slug": slug}


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_chromium_submit_with_the_keyboard(page: Any, live_survey: dict[str, Any]) -> None:
    page.goto(live_survey["url"])
    page.get_by_label("Так", exact=True).focus()
    page.keyboard.press("Space")
    assert page.get_by_label("Так", exact=True).is_checked()
    # A chosen answer can be cleared, in place (the script), and chosen again.
    page.get_by_role("button", name="Скасувати вибір у питанні 1").click()
    assert not page.get_by_label("Так", exact=True).is_checked()
    assert page.evaluate("document.activeElement.id") == page.get_by_label(
        "Так", exact=True
    ).get_attribute("id")
    page.keyboard.press("Space")
    assert page.get_by_label("Так", exact=True).is_checked()
    page.get_by_label("Facebook").check()
    page.get_by_label("Які набори даних варто оприлюднити?").fill("Бюджет <b>міста</b>")
    page.get_by_role("button", name="Надіслати відповідь").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/survey/{live_survey['slug']}/thanks")
    assert page.get_by_role("heading", name="Дякуємо за участь в опитуванні!").is_visible()
    assert responses() == 1
    with session_scope() as session:
        assert session.scalar(select(Answer.text).where(Answer.text.is_not(None))) == (
            "Бюджет <b>міста</b>"
        )


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_chromium_double_submit_stores_one_response(page: Any, live_survey: dict[str, Any]) -> None:
    page.goto(live_survey["url"])
    page.get_by_label("Ні", exact=True).check()
    button = page.get_by_role("button", name="Надіслати відповідь")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        button.dblclick()
    page.wait_for_url(f"**/survey/{live_survey['slug']}/thanks")
    assert responses() == 1
    # The browser resends the very same form (a reload of the POST, a flaky network): twice.
    body, content_type = sent.value.post_data, sent.value.headers["content-type"]
    for _ in range(2):
        resent = page.request.post(
            live_survey["url"], data=body, headers={"Content-Type": content_type}
        )
        assert resent.ok, resent.status  # the thanks page again, after the redirect
        assert "Дякуємо" in resent.text()
    assert responses() == 1
    # The browser is remembered: its page says it has answered.
    page.goto(live_survey["url"])
    assert "вже надіслано" in page.content()
    assert page.get_by_role("button", name="Надіслати відповідь").count() == 0


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_chromium_closed_survey(page: Any, live_survey: dict[str, Any], clock: FixedClock) -> None:
    page.goto(live_survey["url"])
    page.get_by_label("Так", exact=True).check()
    clock.set(at("2024-10-07", 9))  # the due date passed while the form was open
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Надіслати відповідь").click()
    assert posted.value.status == 409
    assert "завершено 06.10.2024" in page.content()
    assert responses() == 0
    page.goto(live_survey["url"])
    assert page.get_by_role("button", name="Надіслати відповідь").count() == 0
    assert "з 23.09.2024 по 06.10.2024" in page.content()


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_chromium_accessibility_of_the_form_its_errors_and_the_closed_notice(
    browser: Any, live_survey: dict[str, Any], clock: FixedClock
) -> None:
    """axe-core finds no serious or critical WCAG 2.1 AA violation, and the keyboard reaches
    every field with a visible focus, on the form, the form with an error, and the notice."""
    context = axe_context(browser)
    page = context.new_page()
    page.goto(live_survey["url"])
    assert serious_violations(page) == []
    reached = check_keyboard(page)
    assert "website" not in {e["name"] for e in reached}  # the honeypot is never reached
    assert reached[-1]["text"] == "Надіслати відповідь"

    page.goto(live_survey["url"])
    page.get_by_label("Facebook").check()  # the required first question left empty
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Надіслати відповідь").click()
    assert posted.value.status == 422
    summary = page.get_by_role("alert")
    assert "Відповідь не прийнято" in summary.inner_text()
    # The first error gets the focus, its question's legend on screen.
    page.wait_for_function("document.activeElement.hasAttribute('data-first-error')")
    legend = page.locator("fieldset.invalid legend").bounding_box()
    assert legend
    assert 0 <= legend["y"] < page.viewport_size["height"]
    assert page.get_by_label("Facebook").is_checked()
    assert serious_violations(page) == []
    check_keyboard(page)
    invalid = page.locator("fieldset.invalid")
    assert "-error" in (invalid.get_attribute("aria-describedby") or "")  # read out with it
    page.get_by_role("link", name="Перейти до питання").press("Enter")
    assert page.url.endswith("#" + (invalid.get_attribute("id") or "?"))
    assert invalid.locator(".field-error").is_visible()

    clock.set(at("2024-10-07", 9))
    page.goto(live_survey["url"])
    assert "завершено 06.10.2024" in page.get_by_role("status").inner_text()
    assert serious_violations(page) == []
    check_keyboard(page)
    context.close()
