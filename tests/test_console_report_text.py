"""The console's report text: narrative sections in Markdown shown sanitised, recommendations
added, kept, edited or dropped; roles, CSRF and other organizations. (Frozen after approval:
tests/test_console_report.py.)"""

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import FixedClock
from models.db import session_scope
from models.report import Recommendation, RecommendationStatus, ReportSection, SectionKey
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of, fields
from tests.factories import login, second_organization

SECTION_KEYS = [k.value for k in SectionKey]
MD = "markdown_services"


def _sections() -> dict[str, str]:
    with session_scope() as session:
        return {s.key.value: s.markdown for s in session.scalars(select(ReportSection))}


def _recommendations() -> list[tuple[str, RecommendationStatus]]:
    with session_scope() as session:
        return [
            (r.text, r.status)
            for r in session.scalars(select(Recommendation).order_by(Recommendation.id))
        ]


def test_sections_and_recommendations(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/report/text"
    console_login(client, add_login(client, org, "working_group"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Аналіз нормативно-правової бази" in page.text
    assert "статтею 34 Конституції України" in page.text  # the default legal base
    assert f'href="{url}"' in client.get(f"/console/cycles/{cycle_id}").text
    token = csrf_of(page.text)
    section = f"/console/cycles/{cycle_id}/report/sections"

    text = "Сервіси **працюють**.\n\n<script>alert(1)</script>\n\n- ЦНАП\n- Портал"
    assert client.post(section, data={"csrf_token": "forged", MD: text}).status_code == 403
    too_long = client.post(section, data={"csrf_token": token, MD: "х" * 100_001})
    assert too_long.status_code == 422
    assert "довший за 100000 символів" in too_long.text
    assert "х" * 1000 in too_long.text  # what was typed comes back
    assert _sections() == {}
    saved = client.post(section, data={"csrf_token": token, MD: text}, follow_redirects=False)
    assert saved.status_code == 303
    assert _sections() == {"services": text}
    page = client.get(url).text
    assert "<strong>працюють</strong>" in page  # the preview is the report's sanitised HTML
    assert "<li>ЦНАП</li>" in page
    assert "<script>" not in page

    added_url = f"/console/cycles/{cycle_id}/report/recommendations"
    short = client.post(added_url, data={"csrf_token": token, "text": "Ок"})
    assert short.status_code == 422
    assert "Текст рекомендації: від 3 до 5000 символів." in short.text
    assert ">Ок</textarea>" in short.text
    added = client.post(
        added_url,
        data={"csrf_token": token, "text": "Оприлюднити реєстр рішень."},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert _recommendations() == [("Оприлюднити реєстр рішень.", RecommendationStatus.KEPT)]
    with session_scope() as session:
        rid = session.scalars(select(Recommendation.id)).one()
    decide = f"{added_url}/{rid}"
    empty_edit = client.post(decide, data={"csrf_token": token, "action": "edit", "text": " "})
    assert empty_edit.status_code == 422
    assert "Вкажіть новий текст рекомендації." in empty_edit.text
    edited = client.post(
        decide,
        data={"csrf_token": token, "action": "edit", "text": "Оприлюднити реєстр щомісяця."},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert _recommendations() == [("Оприлюднити реєстр щомісяця.", RecommendationStatus.EDITED)]
    client.post(decide, data={"csrf_token": token, "action": "drop", "text": ""})
    assert _recommendations() == [("Оприлюднити реєстр щомісяця.", RecommendationStatus.DROPPED)]
    assert "вилучено" in client.get(url).text

    # An auditor reads; the mayor's office does not even read; neither writes.
    console_login(client, add_login(client, org, "auditor"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Зберегти текст розділів" not in page.text
    token = csrf_of(page.text)
    assert client.post(section, data={"csrf_token": token, MD: "А"}).status_code == 403
    console_login(client, org["mayor_email"])
    token = csrf_of(client.get(f"/console/cycles/{cycle_id}").text)
    assert client.get(url).status_code == 403
    assert client.post(section, data={"csrf_token": token, MD: "А"}).status_code == 403
    assert client.post(decide, data={"csrf_token": token, "action": "keep"}).status_code == 403

    second_organization(client)
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    assert client.get(url).status_code == 404
    assert client.post(section, data={"csrf_token": token, MD: "А"}).status_code == 404
    assert client.post(decide, data={"csrf_token": token, "action": "keep"}).status_code == 404
    assert _sections() == {"services": text}
    assert _recommendations() == [("Оприлюднити реєстр щомісяця.", RecommendationStatus.DROPPED)]


def test_figures_date_is_set_in_the_console(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/report/text"
    console_login(client, add_login(client, org, "working_group"))
    page = client.get(url)
    assert 'name="as_of" value="2024-09-23"' in page.text  # the remote audit's start
    token = csrf_of(page.text)
    post = f"/console/cycles/{cycle_id}/report/figures-date"
    assert (
        client.post(post, data={"csrf_token": "forged", "as_of": "2024-09-20"}).status_code == 403
    )
    bad = client.post(post, data={"csrf_token": token, "as_of": "23.09"})
    assert bad.status_code == 422
    assert "рррр-мм-дд" in bad.text
    saved = client.post(
        post, data={"csrf_token": token, "as_of": "2024-09-20"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert 'name="as_of" value="2024-09-20"' in client.get(url).text


def _sections_form(html: str) -> dict[str, str]:
    """The one form of every section, as a browser posts it."""
    start = html.index('id="sections-form"')
    return fields(html[start : html.index("</form>", start)])


def test_every_typed_section_is_saved_with_one_press(client: TestClient, clock: FixedClock) -> None:
    """Typing in two sections and saving once keeps both (one form, one change recorded)."""
    from models.event import AuditEvent
    from models.report import Report

    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/report/text"
    console_login(client, add_login(client, org, "working_group"))
    page = client.get(url).text
    assert 'id="sections-form" data-unsaved-warning' in page
    form = _sections_form(page)
    assert set(form) == {"csrf_token"} | {f"markdown_{k}" for k in SECTION_KEYS}
    form["markdown_services"] = "Сервіси **працюють**."
    form["markdown_conclusions"] = "Висновки робочої групи."

    too_long = {**form, "markdown_open_data": "х" * 100_001}
    refused = client.post(f"{url[:-5]}/sections", data=too_long)
    assert refused.status_code == 422
    assert "довший за 100000 символів" in refused.text
    # Nothing typed is lost: every section comes back as typed.
    back = _sections_form(refused.text)
    assert back["markdown_services"] == "Сервіси **працюють**."
    assert back["markdown_conclusions"] == "Висновки робочої групи."
    assert _sections() == {}

    saved = client.post(f"{url[:-5]}/sections", data=form, follow_redirects=False)
    assert saved.status_code == 303
    # Both typed sections are stored; the untouched drafts keep following the data.
    assert _sections() == {
        "services": "Сервіси **працюють**.",
        "conclusions": "Висновки робочої групи.",
    }
    with session_scope() as session:
        edits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.section_edited")
        ).all()
        assert len(edits) == 1  # one change of the text, one new draft version asked for
        assert session.scalars(select(Report.render_requested_at)).one() is not None
    after = client.get(saved.headers["location"]).text
    assert "Збережено." in after
    assert "<strong>працюють</strong>" in after

    # The JSON API writes several sections at once too: one more change of the text.
    api = client.put(
        f"/api/cycles/{cycle_id}/report/sections",
        headers=login(client, org["coordinator_email"]),
        json={"sections": {"intro": "Вступ.", "services": "Сервіси."}},
    )
    assert api.status_code == 200, api.text
    assert {s["key"]: s["markdown"] for s in api.json()}["intro"] == "Вступ."
    assert _sections() == {
        "intro": "Вступ.",
        "services": "Сервіси.",
        "conclusions": "Висновки робочої групи.",
    }
    with session_scope() as session:
        edits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.section_edited")
        ).all()
        assert len(edits) == 2
