"""The console's survey page: the question editor until the first answer, results with their
denominators and charts, a cross-tabulation, moderation (hidden text stays stored), the export;
roles, CSRF and other organizations."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import FixedClock
from models.cycle import StageKind
from models.db import session_scope
from models.services.stages import advance_stage
from models.services.surveys.questions import list_questions
from models.survey import Answer, Question
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import at, second_organization


def _editor_form(html: str) -> dict[str, str | list[str]]:
    """The question editor's fields as the page fills them in."""
    form: dict[str, str | list[str]] = {"csrf_token": csrf_of(html)}
    for name, value in re.findall(r'name="(q\d+_(?:text|position))" value="([^"]*)"', html):
        form[name] = value
    for name, value in re.findall(
        r'<textarea id="q\d+_options" name="(q\d+_options)"[^>]*>([^<]*)<', html
    ):
        form[name] = value
    for name in re.findall(r'<select id="q\d+_kind" name="(q\d+_kind)">', html):
        block = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        match = re.search(r'option value="(\w+)" selected', block)
        form[name] = match.group(1) if match else "single"
    return form


def _questions() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Question.text).order_by(Question.position)))


def test_question_editor_before_the_first_answer(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/survey"
    console_login(client, add_login(client, org, "working_group"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Питання опитування" in page.text
    assert f'href="{url}"' in client.get(f"/console/cycles/{cycle_id}").text
    before = _questions()
    assert len(before) == 9
    form = _editor_form(page.text)
    assert form["q1_text"] == before[0]

    bad = {**form, "q10_text": "Чи зручний сайт?", "q10_kind": "single", "q10_options": "Так"}
    refused = client.post(f"{url}/questions", data=bad)
    assert refused.status_code == 422
    assert "Питання 10 («Чи зручний сайт?»)" in refused.text
    assert "щонайменше два варіанти" in refused.text
    assert 'value="Чи зручний сайт?"' in refused.text  # what was typed is kept
    assert client.post(f"{url}/questions", data={**bad, "csrf_token": "forged"}).status_code == 403
    assert _questions() == before

    good = {
        **form,
        "q1_text": "Чи користуєтеся Ви інформацією ради на роботі?",
        "q9_remove": "1",
        "q10_text": "Чи зручний сайт?",
        "q10_kind": "single",
        "q10_options": "Так\nНі",
        "q10_position": "1",
        "q1_position": "2",  # ties keep the order of the form
    }
    saved = client.post(f"{url}/questions", data=good, follow_redirects=False)
    assert saved.status_code == 303
    after = _questions()
    assert after[:2] == ["Чи зручний сайт?", "Чи користуєтеся Ви інформацією ради на роботі?"]
    assert before[8] not in after
    assert len(after) == 9

    console_login(client, org["mayor_email"])
    token = csrf_of(client.get(f"/console/cycles/{cycle_id}").text)
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/questions", data={**good, "csrf_token": token}).status_code == 403
    assert _questions() == after


def _respond(client: TestClient, slug: str, answers: list[dict[str, object]]) -> None:
    response = client.post(f"/api/survey/{slug}/responses", json={"answers": answers})
    assert response.status_code == 201, response.text


def test_results_crosstab_and_moderation(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    slug = state["cycle"]["survey_url"].rsplit("/", 1)[1]
    auditor = add_login(client, org, "auditor")
    clock.set(at("2024-09-24"))
    with session_scope() as session:
        advance_stage(session, cycle_id=cycle_id, kind=StageKind.CONSULTATION, now=clock.now())
        questions = {q.position: q for q in list_questions(session, cycle_id=cycle_id)}
        options = {p: [o.id for o in q.options] for p, q in questions.items()}
        ids = {p: q.id for p, q in questions.items()}
    for uses, gender, proposal in (
        (0, 0, "Бюджет по місяцях"),
        (0, 1, "Ви всі дурні"),
        (1, 1, None),
    ):
        answers: list[dict[str, object]] = [
            {"question_id": ids[1], "option_ids": [options[1][uses]]},
            {"question_id": ids[8], "option_ids": [options[8][gender]]},
        ]
        if proposal:
            answers.append({"question_id": ids[6], "text": proposal})
        _respond(client, slug, answers)

    console_login(client, auditor)  # auditors read results
    url = f"/console/cycles/{cycle_id}/survey"
    page = client.get(url)
    assert page.status_code == 200
    assert "Учасників опитування: 3." in page.text
    assert "n = 3 з 3" in page.text  # question 1
    assert "n = 2 з 3" in page.text  # the proposals
    assert "66,7" in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page.text
    assert "Питання заморожено: на опитування вже надійшла перша відповідь." in page.text
    assert f'href="/api/cycles/{cycle_id}/survey/export.csv"' in page.text
    export = client.get(f"/api/cycles/{cycle_id}/survey/export.csv")
    assert export.status_code == 200
    assert "Бюджет по місяцях" in export.content.decode("utf-8-sig")
    assert "Приховати" not in page.text  # auditors read texts, they do not moderate

    table = client.get(url, params={"question": ids[1], "by": ids[8]})
    assert table.status_code == 200
    assert "Відповіли на обидва питання (n)" in table.text
    # «Так»: the one woman and one of the two men; the bases are 1, 2 and 3.
    assert "<td>1</td><td>2</td><td>3</td>" in table.text
    assert "<td>1 (100,0\u00a0%)</td><td>1 (50,0\u00a0%)</td><td>2 (66,7\u00a0%)</td>" in table.text
    wrong = client.get(url, params={"question": ids[1], "by": ids[2]})
    assert "Розподіляти можна лише за іншим питанням з одним варіантом" in wrong.text

    console_login(client, org["coordinator_email"])
    page = client.get(url)
    token = csrf_of(page.text)
    with session_scope() as session:
        abusive = session.scalars(select(Answer).where(Answer.text == "Ви всі дурні")).one()
    moderate = f"{url}/texts/{abusive.id}"
    assert client.post(moderate, data={"csrf_token": "forged", "hidden": "1"}).status_code == 403
    hidden = client.post(
        moderate, data={"csrf_token": token, "hidden": "1"}, follow_redirects=False
    )
    assert hidden.status_code == 303
    with session_scope() as session:
        stored = session.get(Answer, abusive.id)
        assert stored is not None
        assert stored.is_hidden
        assert stored.text == "Ви всі дурні"  # kept in the database
    page = client.get(url).text
    results = page.split('id="crosstab"', 1)[0]
    assert "Ви всі дурні" not in results
    assert "Приховано модератором: 1." in results
    assert "Показати" in page

    console_login(client, org["mayor_email"])
    token = csrf_of(client.get(f"/console/cycles/{cycle_id}").text)
    assert client.get(url).status_code == 403
    assert client.post(moderate, data={"csrf_token": token, "hidden": "0"}).status_code == 403
    second_organization(client)
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    assert client.get(url).status_code == 404
    assert client.post(moderate, data={"csrf_token": token, "hidden": "0"}).status_code == 404
    with session_scope() as session:
        stored = session.get(Answer, abusive.id)
        assert stored is not None
        assert stored.is_hidden
