"""A historical cycle's survey totals, entered by hand (its survey ran outside the system): the
JSON API stores and checks them (every bad field named, other cycles refused), the console form
saves them and shows its errors beside the fields, and the report (its PDF read back) and the
next audit's year-over-year comparison use them as they would use counted responses."""

import io
import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from models.clock import FixedClock
from models.cycle import Stage, StageKind, StageStatus
from models.db import session_scope
from models.event import AuditEvent
from models.services.report.context import full_report_context
from models.services.report.previous_audit import previous_audit_context
from models.services.stages import advance_stage
from models.survey import OptionTotal, QuestionTotal, SurveyTotals
from report_templates.environment import render_html
from report_templates.render import render_single
from tests.action_plan_cycles import stages
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of, fields
from tests.factories import at, create_organization, launch, login, plan, second_organization
from tests.pdftext import page_text

# The seed's survey (000): 38 participants, 13 answered the first question (84,6 % of them
# "yes") and the free-text one (13 proposals), 9 of 13 women (69,2 %).
SEED = {1: (13, [11, 2]), 6: (13, []), 8: (13, [9, 4])}


def _historical(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """An organization that records its 2023 audit in November 2025, and the cycle's questions."""
    clock.set(at("2025-11-20", 9))
    org = create_organization(client)
    past = plan(
        year=2023,
        order={"number": "15-р", "date": "2023-09-20"},
        stages=stages(2023),
        historical=True,
    )
    cycle_id = launch(client, org["coordinator"], past)["id"]
    survey = client.get(f"/api/cycles/{cycle_id}/survey", headers=org["coordinator"])
    assert survey.status_code == 200, survey.text
    return {"org": org, "cycle_id": cycle_id, "questions": survey.json()["questions"]}


def _body(
    questions: list[dict[str, Any]], participants: Any = 38, figures: dict[int, Any] = SEED
) -> dict[str, Any]:
    """The API's body: the questions in `figures` (by number), their options' counts in order."""
    return {
        "participants": participants,
        "questions": [
            {
                "question_id": q["id"],
                "answered": figures[q["position"]][0],
                "options": [
                    {"option_id": o["id"], "chosen": n}
                    for o, n in zip(q["options"], figures[q["position"]][1], strict=False)
                ],
            }
            for q in questions
            if q["position"] in figures
        ],
    }


def _stored() -> tuple[int, int, int]:
    with session_scope() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (SurveyTotals, QuestionTotal, OptionTotal)
        )


def _fields_of(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_api_stores_and_checks_the_totals(client: TestClient, clock: FixedClock) -> None:
    state = _historical(client, clock)
    org, cycle_id, questions = state["org"], state["cycle_id"], state["questions"]
    url = f"/api/cycles/{cycle_id}/survey/totals"
    headers = org["coordinator"]
    before = client.get(url, headers=headers).json()
    assert (before["entered"], before["editable"], before["refusal"]) == (False, True, None)

    gender = questions[7]["options"][0]["id"]
    bad = [
        (_body(questions, participants=-1), "participants", "не менше 0"),
        (_body(questions, participants="багато"), "participants", "цілим числом"),
        (_body(questions, figures={**SEED, 1: (40, [11, 2])}), "questions.0.answered", "(38)"),
        (_body(questions, figures={**SEED, 1: (13, [14, 0])}), "questions.0.options.0.chosen", ""),
        (_body(questions, figures={**SEED, 1: (13, [11, 5])}), "questions.0.answered", "один"),
        ({"participants": 38, "questions": [{"question_id": 999999, "answered": 1}]}, "", ""),
    ]
    for body, field, words in bad:
        fields_named = _fields_of(client.put(url, headers=headers, json=body))
        name = field or "questions.0.question_id"
        assert name in fields_named, (body, fields_named)
        assert words in fields_named[name]
    wrong_option = _body(questions)
    wrong_option["questions"][0]["options"][0]["option_id"] = gender
    assert "questions.0.options.0.option_id" in _fields_of(
        client.put(url, headers=headers, json=wrong_option)
    )
    text_options = _body(questions)
    text_options["questions"][1]["options"] = [{"option_id": gender, "chosen": 1}]
    assert _fields_of(client.put(url, headers=headers, json=text_options)) == {
        "questions.1.options": (
            "Питання 6 — з відповіддю у довільній формі: варіантів у нього немає."
        )
    }
    # Every wrong field at once, each with its own message.
    both = _fields_of(
        client.put(
            url,
            headers=headers,
            json=_body(questions, figures={**SEED, 1: (50, [11, 2]), 8: (13, [9, 14])}),
        )
    )
    assert both == {
        "questions.0.answered": (
            "Відповіли на питання 1: 50 — більше, ніж учасників опитування (38)."
        ),
        "questions.2.options.1.chosen": (
            "Варіант «Чоловіча» обрали 14 — більше, ніж відповіли на питання 8 (13)."
        ),
    }
    assert client.put(url, headers=org["mayor"], json=_body(questions)).status_code == 403
    assert _stored() == (0, 0, 0)

    saved = client.put(url, headers=headers, json=_body(questions))
    assert saved.status_code == 200, saved.text
    totals = saved.json()
    assert (totals["entered"], totals["participants"], totals["proposals"]) == (True, 38, 13)
    first = totals["questions"][0]
    assert (first["denominator"], first["options"][0]["percent"]) == ("n = 13 з 38", 11 / 13 * 100)
    assert _stored() == (1, 3, 4)
    with session_scope() as session:
        assert session.scalar(select(SurveyTotals.participants)) == 38
        assert sorted(session.scalars(select(OptionTotal.chosen))) == [2, 4, 9, 11]

    # Read everywhere as counted responses would be; the questions are now frozen.
    results = client.get(f"/api/cycles/{cycle_id}/survey/results", headers=headers).json()
    assert [r["answered"] for r in results] == [13, 0, 0, 0, 0, 13, 0, 13, 0]
    assert (
        client.get(f"/api/cycles/{cycle_id}", headers=headers).json()["survey_participants"] == 38
    )
    crosstab = client.get(
        f"/api/cycles/{cycle_id}/survey/crosstab",
        headers=headers,
        params={"question": questions[0]["id"], "by": questions[7]["id"]},
    )
    assert crosstab.status_code == 409
    assert "лише його підсумки" in crosstab.json()["detail"]
    admin = client.get(f"/api/cycles/{cycle_id}/survey", headers=headers).json()
    assert admin["participants"] == 38
    assert admin["editable"] is False

    again = client.put(url, headers=headers, json=_body(questions, participants=40))
    assert again.status_code == 200, again.text
    assert _stored() == (1, 3, 4)
    with session_scope() as session:
        events = list(
            session.scalars(
                select(AuditEvent.details)
                .where(AuditEvent.action == "survey.totals_entered")
                .order_by(AuditEvent.id)
            )
        )
    assert events == [
        {"participants": 38, "proposals": 13, "changed": False},
        {"participants": 40, "proposals": 13, "changed": True},
    ]
    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}").text
    assert "внесено підсумки опитування мешканців, проведеного поза системою" in page
    assert "змінено підсумки опитування мешканців, проведеного поза системою" in page
    assert "(учасників: 40, пропозицій: 13)" in page


def _stage_status(cycle_id: int, kind: StageKind) -> tuple[StageStatus, date]:
    with session_scope() as session:
        stage = session.scalars(
            select(Stage).where(Stage.cycle_id == cycle_id, Stage.kind == kind)
        ).one()
        return stage.status, stage.due_on


def test_the_consultation_is_not_reopened_once_its_totals_are_entered(
    client: TestClient, clock: FixedClock
) -> None:
    state = _historical(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    headers = org["coordinator"]
    saved = client.put(
        f"/api/cycles/{cycle_id}/survey/totals", headers=headers, json=_body(state["questions"])
    )
    assert saved.status_code == 200, saved.text
    # The sweep opens the report's preparation; the working group gives it until January, so
    # the later stages would let the consultation run again.
    with session_scope() as session:
        advance_stage(
            session,
            cycle_id=cycle_id,
            kind=StageKind.REPORTING,
            now=clock.now(),
            report_ready=False,
        )
    stages_url = f"/api/cycles/{cycle_id}/stages"
    moved = client.post(
        f"{stages_url}/reporting/extend",
        headers=headers,
        json={"due_on": "2026-01-30", "reason": "звіт за 2023 рік складаємо зараз"},
    )
    assert moved.status_code == 200, moved.text
    before = _stage_status(cycle_id, StageKind.CONSULTATION)
    assert before[0] == StageStatus.CLOSED
    body = {"due_on": "2025-12-01", "reason": "ще кілька відповідей мешканців"}
    refusal = "Для цього історичного циклу внесено підсумки опитування вручну: {} етап"
    for action, verb in (("reopen", "відкрити повторно"), ("extend", "відкрити повторно")):
        refused = client.post(f"{stages_url}/consultation/{action}", headers=headers, json=body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"].startswith(refusal.format(verb))
        assert "звіт ґрунтується на цих підсумках" in refused.json()["detail"]
    assert _stage_status(cycle_id, StageKind.CONSULTATION) == before

    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}")
    posted = client.post(
        f"/console/cycles/{cycle_id}/stages/consultation",
        data={"action": "reopen", **body, "csrf_token": csrf_of(page.text)},
    )
    assert posted.status_code == 409
    assert refusal.format("відкрити повторно") in posted.text
    assert 'id="stage-error-consultation"' in posted.text
    assert 'value="ще кілька відповідей мешканців"' in posted.text  # the typed reason kept
    assert _stage_status(cycle_id, StageKind.CONSULTATION) == before
    with session_scope() as session:
        assert (
            session.scalar(select(func.count()).where(AuditEvent.action == "stage.reopened")) == 0
        )
    # The other stages are not bound by the totals: the remote audit still reopens.
    reopened = client.post(
        f"{stages_url}/remote_audit/reopen",
        headers=login(client, org["coordinator_email"]),
        json=body,
    )
    assert reopened.status_code == 200, reopened.text


def test_a_current_cycle_counts_its_responses_and_refuses_totals(
    client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    headers = org["coordinator"]
    questions = client.get(f"/api/cycles/{cycle_id}/survey", headers=headers).json()["questions"]
    url = f"/api/cycles/{cycle_id}/survey/totals"
    refused = client.put(url, headers=headers, json=_body(questions))
    assert refused.status_code == 409
    assert "лише для історичного циклу" in refused.json()["detail"]
    assert client.get(url, headers=headers).json()["editable"] is False
    assert _stored() == (0, 0, 0)
    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}/survey").text
    assert "/survey/totals" not in page
    assert "Підсумки опитування, проведеного поза системою" not in page
    posted = client.post(
        f"/console/cycles/{cycle_id}/survey/totals",
        data={"csrf_token": csrf_of(page), "participants": "38"},
    )
    assert posted.status_code == 409
    assert "лише для історичного циклу" in posted.text
    assert _stored() == (0, 0, 0)


def test_the_console_form_saves_and_shows_errors_beside_the_fields(
    client: TestClient, clock: FixedClock
) -> None:
    state = _historical(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/survey"
    console_login(client, add_login(client, org, "working_group"))
    page = client.get(url)
    assert page.status_code == 200
    assert f'action="{url}/totals#totals"' in page.text
    form = fields(page.text)
    assert form["participants"] == ""
    assert form["questions.0.options.1.chosen"] == "0"

    typed = {
        **form,
        "participants": "38",
        "questions.0.answered": "13",
        "questions.0.options.0.chosen": "одинадцять",
        "questions.0.options.1.chosen": "2",
        "questions.5.answered": "13",
        "questions.7.answered": "50",
    }
    refused = client.post(f"{url}/totals", data=typed)
    assert refused.status_code == 422
    assert "Підсумки не збережено: виправте помилки біля полів" in refused.text
    assert re.search(
        r'id="totals-questions-0-options-0-chosen"[^>]*aria-invalid="true"[^>]*>\s*'
        r'<span class="field-error" id="totals-questions-0-options-0-chosen-error">'
        r"Має бути ціле число, наприклад 38\.</span>",
        refused.text,
    )
    assert (
        '<span class="field-error" id="totals-questions-7-answered-error">Відповіли на питання '
        "8: 50 — більше, ніж учасників опитування (38).</span>" in refused.text
    )
    kept = fields(refused.text)
    assert (kept["participants"], kept["questions.0.options.0.chosen"]) == ("38", "одинадцять")
    assert client.post(f"{url}/totals", data={**typed, "csrf_token": "forged"}).status_code == 403
    assert _stored() == (0, 0, 0)

    good = {
        **typed,
        "questions.0.options.0.chosen": "11",
        "questions.7.answered": "13",
        "questions.7.options.0.chosen": "9",
        "questions.7.options.1.chosen": " 4 ",
    }
    saved = client.post(f"{url}/totals", data=good, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}#totals"
    shown = client.get(url).text
    assert "Підсумки опитування збережено." in shown
    assert "Учасників опитування: 38." in shown
    assert "n = 13 з 38" in shown
    assert "84,6" in shown
    assert "Розподіл побудувати не можна" in shown
    assert fields(shown)["questions.7.options.1.chosen"] == "4"
    options = sum(len(q["options"]) for q in state["questions"])
    assert _stored() == (1, 9, options)  # every field of the form: questions and options
    with session_scope() as session:
        assert session.scalar(select(func.sum(OptionTotal.chosen))) == 26


def _pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page_text(p) for p in PdfReader(io.BytesIO(pdf)).pages))


def test_the_report_and_the_next_audit_use_the_entered_totals(
    client: TestClient, clock: FixedClock
) -> None:
    state = _historical(client, clock)
    org, cycle_id, questions = state["org"], state["cycle_id"], state["questions"]
    saved = client.put(
        f"/api/cycles/{cycle_id}/survey/totals",
        headers=org["coordinator"],
        json=_body(questions),
    )
    assert saved.status_code == 200, saved.text
    with session_scope() as session:
        context = full_report_context(session, cycle_id=cycle_id, now=at("2025-11-20"), version=1)
    assert context["counts"]["survey_participants"] == 38
    assert context["counts"]["proposals"] == 13
    assert [q["answered"] for q in context["annex3"]][:6] == [13, 0, 0, 0, 0, 13]
    text = _pdf_text(render_single(context))
    # The consultation section (drafted from the figures), Annex 3, the conclusions.
    assert "В опитуванні взяли участь 38 осіб; надійшло 13 пропозицій у довільній формі" in text
    assert "84,6 % учасників обрали відповідь «Так», 15,4 % – «Ні»" in text
    assert "69,2 % учасників обрали відповідь «Жіноча»" in text
    assert "Кількість учасників опитування: 38." in text
    assert "відповіли 13 з 38 учасників, n = 13 з 38" in text
    assert "Тексти відповідей до системи не вносилися" in text
    assert "взяли участь 38 осіб, надійшло 13 пропозицій" in text

    # The next audit compares itself with 2023 as entered.
    coordinator = login(client, org["coordinator_email"])
    next_year = plan(year=2026, order={"number": "7-р", "date": "2026-09-22"}, stages=stages(2026))
    current_id = launch(client, coordinator, next_year)["id"]
    with session_scope() as session:
        previous = previous_audit_context(
            session, cycle_id=current_id, today=at("2026-10-07").date()
        )
        assert previous is not None
        assert [(r["year"], r["survey_participants"]) for r in previous["yoy"]] == [
            (2023, 38),
            (2026, 0),
        ]
        html = render_html(
            full_report_context(session, cycle_id=current_id, now=at("2026-10-07"), version=1)
        )
    row = re.search(r"<tr>\s*<td>2023<div.*?</tr>", html, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(0))[4] == "38"


def test_an_organization_of_its_own_only(client: TestClient, clock: FixedClock) -> None:
    state = _historical(client, clock)
    response = client.put(
        f"/api/cycles/{state['cycle_id']}/survey/totals",
        headers=second_organization(client),
        json=_body(state["questions"]),
    )
    assert response.status_code == 404
    assert _stored() == (0, 0, 0)


def test_survey_page_with_its_totals_form_fits_a_phone_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    """At 360 px the totals form, the results and their charts never widen the page (a chart
    scrolls in its own box), axe finds nothing serious, and a refused save names its field."""
    from tests.accessibility import axe_context, serious_violations
    from tests.console_pages import browser_login

    state = _historical(client, clock)
    context = axe_context(browser, viewport={"width": 360, "height": 800})
    page = context.new_page()
    browser_login(page, live_server, state["org"]["coordinator_email"])
    page.goto(f"{live_server}/console/cycles/{state['cycle_id']}/survey")
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    assert serious_violations(page) == []
    page.fill("input[name='participants']", "-3")
    with page.expect_navigation():
        page.get_by_role("button", name="Зберегти підсумки").first.click()
    assert "Кількість не може бути від’ємною." in page.inner_text("main")
    assert page.input_value("input[name='participants']") == "-3"
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    context.close()
