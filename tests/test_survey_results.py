"""Survey results against hand-counted fixtures; editing, invitations, moderation, export."""

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.services.report.context import build_report_context
from models.survey import Answer, Response, SurveyInvitation
from report_templates.charts import bar_chart
from report_templates.environment import render_html
from tests.factories import PASSWORD, at, create_admin, create_organization, launch, login, plan

QUESTIONS: list[dict[str, Any]] = [
    {"text": "Чи використовуєте Ви інформацію ради у професійній діяльності?", "kind": "single",
     "options": ["Так", "Ні"]},
    {"text": "Які сфери Вас цікавлять?", "kind": "multiple", "allow_other": True,
     "options": ["Бюджет", "Земля", "Транспорт"]},
    {"text": "Які набори даних оприлюднити?", "kind": "text"},
    {"text": "Ваша стать", "kind": "single", "options": ["Жіноча", "Чоловіча"]},
]  # fmt: skip


def relogin(client: TestClient, org: dict[str, Any]) -> None:
    """Fresh sessions after the clock moved."""
    org["coordinator"] = login(client, org["coordinator_email"])
    org["mayor"] = login(client, org["mayor_email"])


def _survey(client: TestClient, clock: FixedClock, **changes: Any) -> dict[str, Any]:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan(questions=QUESTIONS, **changes))
    clock.set(at("2024-09-24", 12))
    relogin(client, org)  # sessions last 8 hours
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    return {"org": org, "cycle": cycle, "slug": slug, "q": questions}


def _post(client: TestClient, survey: dict[str, Any], key: str, answers: list[Any]) -> int:
    response = client.post(
        f"/api/survey/{survey['slug']}/responses",
        json={"answers": answers, "idempotency_key": key},
    )
    assert response.status_code < 500, response.text
    return response.status_code


def _opt(question: dict[str, Any], label: str) -> int:
    return int(next(o["id"] for o in question["options"] if o["label"] == label))


def _seed_like(client: TestClient, survey: dict[str, Any]) -> None:
    """38 participants; 13 answered question 1 (11 "Так", 2 "Ні"), as in the seed."""
    use, areas, proposals, gender = survey["q"]
    for n in range(38):
        # Hand count: respondents 0..19 women (20), 20..37 men (18).
        woman = _opt(gender, "Жіноча" if n < 20 else "Чоловіча")
        answers: list[dict[str, Any]] = [{"question_id": gender["id"], "option_ids": [woman]}]
        if n < 13:  # 0..10 "Так" (11), 11..12 "Ні" (2)
            yes = _opt(use, "Так" if n < 11 else "Ні")
            answers.append({"question_id": use["id"], "option_ids": [yes]})
        if n < 8:  # 8 answered areas: Бюджет by 0..5 (6), Земля by 4..7 (4), other by 7 (1)
            chosen = []
            if n <= 5:
                chosen.append(_opt(areas, "Бюджет"))
            if 4 <= n <= 7:
                chosen.append(_opt(areas, "Земля"))
            entry: dict[str, Any] = {"question_id": areas["id"], "option_ids": chosen}
            if n == 7:
                entry["option_ids"].append(_opt(areas, "Інше (вкажіть)"))
                entry["text"] = "Екологія"
            answers.append(entry)
        if n in (3, 30):
            answers.append({"question_id": proposals["id"], "text": f"Пропозиція {n}"})
        assert _post(client, survey, f"resident-{n:04d}", answers) == 201


def test_percentages_and_denominators_match_hand_counts(
    client: TestClient, clock: FixedClock
) -> None:
    survey = _survey(client, clock)
    _seed_like(client, survey)
    headers = survey["org"]["coordinator"]
    cycle_id = survey["cycle"]["id"]
    response = client.get(f"/api/cycles/{cycle_id}/survey/results", headers=headers)
    assert response.status_code == 200, response.text
    use, areas, proposals, gender = response.json()
    assert (use["answered"], use["participants"], use["denominator"]) == (13, 38, "n = 13 з 38")
    assert [(o["label"], o["count"]) for o in use["options"]] == [("Так", 11), ("Ні", 2)]
    assert round(use["options"][0]["percent"], 1) == 84.6  # 11 of 13, not 11 of 38
    assert round(use["options"][1]["percent"], 1) == 15.4
    # Multiple choice: 8 answered; percentages over 8 and not summing to 100.
    assert areas["denominator"] == "n = 8 з 38"
    assert [(o["count"], o["percent"]) for o in areas["options"]] == [
        (6, 75.0),
        (4, 50.0),
        (0, 0.0),
        (1, 12.5),
    ]
    assert areas["texts"] == ["Екологія"]  # the "other" write-ins are listed
    assert (proposals["denominator"], proposals["texts"]) == (
        "n = 2 з 38",
        ["Пропозиція 3", "Пропозиція 30"],
    )
    assert gender["denominator"] == "n = 38 з 38"
    assert [o["count"] for o in gender["options"]] == [20, 18]

    # Cross-tab of question 1 by gender: women 0..12 answered (11 Так, 2 Ні); no man answered.
    table = client.get(
        f"/api/cycles/{cycle_id}/survey/crosstab",
        params={"question": use["question_id"], "by": gender["question_id"]},
        headers=headers,
    ).json()
    assert table["columns"] == ["Жіноча", "Чоловіча", "Усього"]
    assert table["bases"] == [13, 0, 13]
    assert table["rows"][0] == {"label": "Так", "counts": [11, 0, 11], "percents": [84.6, 0, 84.6]}
    # Areas by gender: 0..7 are women; Бюджет 6 of 8.
    table = client.get(
        f"/api/cycles/{cycle_id}/survey/crosstab",
        params={"question": areas["question_id"], "by": gender["question_id"]},
        headers=headers,
    ).json()
    assert table["bases"] == [8, 0, 8]
    assert table["rows"][0]["counts"] == [6, 0, 6]
    # Only a single-choice question can split the respondents into groups.
    refused = client.get(
        f"/api/cycles/{cycle_id}/survey/crosstab",
        params={"question": use["question_id"], "by": areas["question_id"]},
        headers=headers,
    )
    assert refused.status_code == 422

    # The report's Annex 3: denominators, percentages and one chart per choice question.
    with session_scope() as session:
        context = build_report_context(session, cycle_id=cycle_id, now=clock.now(), version=1)
    annex3 = context["annex3"]
    assert [q["denominator"] for q in annex3] == [
        "n = 13 з 38",
        "n = 8 з 38",
        "n = 2 з 38",
        "n = 38 з 38",
    ]
    assert [q["chart"] is not None for q in annex3] == [True, True, False, True]
    html = render_html(context)
    assert html.count("<svg") == 3
    assert "n = 13 з 38" in html
    assert "84,6 %" in html
    assert "Екологія" in html


def test_question_editing_before_opening_frozen_after(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    later = plan()
    later["stages"]["consultation"] = {"starts_on": "2024-09-26", "due_on": "2024-10-06"}
    cycle = launch(client, org["coordinator"], later)
    url = f"/api/cycles/{cycle['id']}/survey"
    assert client.get(url, headers=org["coordinator"]).json()["editable"] is True
    edited = [
        {"text": "Ваша вікова група", "kind": "single", "required": True,
         "options": ["До 30", "30 і більше"]},
        {"text": "Що оприлюднити?", "kind": "text"},
        {"text": "Джерела", "kind": "multiple", "options": ["Сайт", "Facebook"],
         "allow_other": True},
    ]  # fmt: skip
    mayor = client.put(f"{url}/questions", headers=org["mayor"], json=edited)
    assert mayor.status_code == 403
    create_admin()
    admin = login(client, "admin@example.org")
    other = client.post(
        "/api/organizations",
        headers=admin,
        json={
            "name": "Друга рада",
            "units": [{"name": "Загальний відділ"}],
            "coordinator": {"email": "second@example.org", "password": PASSWORD},
        },
    )
    assert other.status_code == 201, other.text
    other_org = {"coordinator": login(client, "second@example.org")}
    assert (
        client.put(f"{url}/questions", headers=other_org["coordinator"], json=edited).status_code
        == 404
    )
    response = client.put(f"{url}/questions", headers=org["coordinator"], json=edited)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert [(q["position"], q["kind"], q["required"]) for q in stored] == [
        (1, "single", True),
        (2, "text", False),
        (3, "multiple", False),
    ]
    assert [o["label"] for o in stored[2]["options"]] == ["Сайт", "Facebook", "Інше (вкажіть)"]
    assert stored[2]["options"][2]["is_other"] is True
    bad = client.put(f"{url}/questions", headers=org["coordinator"], json=[{"text": "?"}])
    assert bad.status_code == 422

    clock.set(at("2024-09-26", 9))  # the consultation has opened
    relogin(client, org)
    response = client.put(f"{url}/questions", headers=org["coordinator"], json=edited)
    assert response.status_code == 409
    assert "26.09.2024" in response.json()["detail"]
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    first = stored[0]
    body = {"answers": [{"question_id": first["id"], "option_ids": [first["options"][0]["id"]]}]}
    assert client.post(f"/api/survey/{slug}/responses", json=body).status_code == 201
    status = client.get(url, headers=org["coordinator"]).json()
    assert status["editable"] is False
    assert "перша відповідь" in status["editing_refusal"]


def test_invitation_codes_one_use_each(client: TestClient, clock: FixedClock) -> None:
    survey = _survey(client, clock)
    headers = survey["org"]["coordinator"]
    use = survey["q"][0]
    answers = [{"question_id": use["id"], "option_ids": [_opt(use, "Так")]}]
    url = f"/api/survey/{survey['slug']}/responses"
    assert _post(client, survey, "before-codes", answers) == 201  # open to all until codes exist
    issued = client.post(
        f"/api/cycles/{survey['cycle']['id']}/survey/invitations",
        headers=headers,
        json={"count": 2},
    )
    assert issued.status_code == 201, issued.text
    codes = issued.json()["codes"]
    assert issued.json()["links"][0].endswith(f"/survey/{survey['slug']}?code={codes[0]}")
    with session_scope() as session:  # only hashes are stored
        stored = set(session.scalars(select(SurveyInvitation.code_hash)))
    assert not stored & set(codes)

    no_code = client.post(url, json={"answers": answers, "idempotency_key": "no-code-1"})
    assert no_code.status_code == 403
    assert "код запрошення" in no_code.json()["detail"]
    wrong = client.post(
        url,
        json={"answers": answers, "idempotency_key": "wrong-code"},
        headers={"Invitation-Code": "not-a-code"},
    )
    assert wrong.status_code == 403
    first = {"answers": answers, "idempotency_key": "with-code-1"}
    assert client.post(url, json=first, headers={"Invitation-Code": codes[0]}).status_code == 201
    # Resent (same key): the stored one, code already used but no error.
    assert client.post(url, json=first, headers={"Invitation-Code": codes[0]}).status_code == 200
    reuse = client.post(
        url,
        json={"answers": answers, "idempotency_key": "with-code-2"},
        headers={"Invitation-Code": codes[0]},
    )
    assert reuse.status_code == 403
    assert "вже використаний" in reuse.json()["detail"]
    status = client.get(f"/api/cycles/{survey['cycle']['id']}/survey", headers=headers).json()
    assert (
        status["invitation_only"],
        status["invitations_issued"],
        status["invitations_used"],
    ) == (
        True,
        2,
        1,
    )
    with session_scope() as session:
        assert session.scalar(select(func.count(Response.id))) == 2


def test_rate_limit_per_ip_hash(
    client: TestClient, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = _survey(client, clock)
    client.app.state.settings.survey_rate_limit = 3  # type: ignore[attr-defined]
    use = survey["q"][0]
    answers = [{"question_id": use["id"], "option_ids": [_opt(use, "Ні")]}]
    assert [_post(client, survey, f"limited-{n}", answers) for n in range(4)] == [
        201,
        201,
        201,
        429,
    ]
    assert _post(client, survey, "limited-0", answers) == 200  # a resend is still answered
    clock.set(at("2024-09-24", 14))  # the window (60 minutes) has passed
    assert _post(client, survey, "limited-4", answers) == 201
    with session_scope() as session:
        hashes = set(session.scalars(select(Response.ip_hash)))
    assert len(hashes) == 1
    assert "testclient" not in str(next(iter(hashes)))


def test_moderation_hides_text_but_keeps_it_and_export_is_anonymous(
    client: TestClient, clock: FixedClock
) -> None:
    survey = _survey(client, clock)
    use, areas, proposals, _gender = survey["q"]
    headers = survey["org"]["coordinator"]
    cycle_id = survey["cycle"]["id"]
    texts = ["Оприлюднити бюджет", "Образлива образа", '=HYPERLINK("http://x")']
    for n, text in enumerate(texts):
        answers = [
            {"question_id": proposals["id"], "text": text},
            {"question_id": areas["id"], "option_ids": [_opt(areas, "Бюджет")]},
        ]
        assert _post(client, survey, f"text-answer-{n}", answers) == 201
    listed = client.get(f"/api/cycles/{cycle_id}/survey/texts", headers=headers).json()
    assert [t["text"] for t in listed] == texts
    abusive = listed[1]["id"]
    url = f"/api/cycles/{cycle_id}/survey/texts/{abusive}"
    assert (
        client.post(url, headers=survey["org"]["mayor"], json={"hidden": True}).status_code == 403
    )
    hidden = client.post(url, headers=headers, json={"hidden": True})
    assert hidden.status_code == 200
    assert hidden.json()["is_hidden"] is True
    results = client.get(f"/api/cycles/{cycle_id}/survey/results", headers=headers).json()
    assert results[2]["texts"] == [texts[0], texts[2]]
    assert (results[2]["answered"], results[2]["hidden_texts"]) == (3, 1)  # still counted
    with session_scope() as session:  # kept in the database
        assert session.scalar(select(Answer.text).where(Answer.id == abusive)) == texts[1]
    events = client.get(f"/api/cycles/{cycle_id}/events", headers=headers).json()
    hidden_events = [e for e in events if e["action"] == "survey.text_hidden"]
    assert hidden_events
    assert texts[1] not in str(hidden_events)

    export = client.get(f"/api/cycles/{cycle_id}/survey/export.csv", headers=headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["№", "Дата", f"1. {QUESTIONS[0]['text']}"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert rows[1][1] == "2024-09-24"
    assert rows[1][4] == "Оприлюднити бюджет"
    assert rows[1][3] == "Бюджет"
    assert rows[2][4] == "[приховано модератором]"
    assert rows[3][4].startswith("'=")  # no formula runs in a spreadsheet
    with session_scope() as session:
        secrets = set(session.scalars(select(Response.ip_hash))) | set(
            session.scalars(select(Response.idempotency_key))
        )
    assert not any(secret and secret in export.text for secret in secrets)
    shown = client.post(url, headers=headers, json={"hidden": False})
    assert shown.json()["is_hidden"] is False


def test_chart_endpoint_serves_svg(client: TestClient, clock: FixedClock) -> None:
    survey = _survey(client, clock)
    use = survey["q"][0]
    answers = [{"question_id": use["id"], "option_ids": [_opt(use, "Так")]}]
    assert _post(client, survey, "chart-answer-1", answers) == 201
    url = f"/api/cycles/{survey['cycle']['id']}/survey/charts/{use['id']}.svg"
    assert client.get(url).status_code == 401
    chart = client.get(url, headers=survey["org"]["coordinator"])
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/svg+xml"
    assert "1 (100,0\u00a0%)" in chart.text
    assert "n = 1 з 1" in chart.text


@pytest.mark.sqlite_only
def test_chart_escapes_labels_and_scales_bars() -> None:
    svg = str(
        bar_chart(
            [("<script>alert(1)</script>", 3, 75.0), ("Ні & так", 1, 25.0)],
            title='Питання "1" <b>',
            answered=4,
            participants=10,
        )
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Ні &amp; так" in svg
    assert "&lt;b&gt;" in svg
    # The figure's alternative text (the tagged PDF's /Alt) names the question and each value.
    assert 'aria-label="Діаграма: Питання &#34;1&#34; &lt;b&gt; Відповіді: &lt;script&gt;' in svg
    assert "Ні &amp; так – 1 (25,0\xa0%); n = 4 з 10" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [187.5, 62.5]  # 75 % and 25 % of the 250-pixel bar area
    assert "n = 4 з 10" in svg
