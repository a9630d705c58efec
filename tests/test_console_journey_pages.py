"""In real headless Chromium: from the cycle page through the interview schedule (propose,
approve, notes) and the report's "regenerate" button, and the other new working pages, each
checked by axe-core for serious and critical accessibility violations."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.audit_cycle import audit_cycle
from flows.report import render_version
from models.clock import FixedClock
from models.db import session_scope
from models.interview import Interview
from models.report import ReportSection
from tests.accessibility import axe_context, serious_violations
from tests.console_pages import browser_login, launched_cycle
from tests.factories import at


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_interviews_and_report_regeneration_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any, tmp_path: Path
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    clock.set(at("2024-10-07"))
    audit_cycle(cycle_id, clock.now())  # reporting opens, version 1 is rendered

    context = axe_context(browser)
    page = context.new_page()
    browser_login(page, live_server, org["coordinator_email"])
    page.goto(f"{live_server}/console/cycles/{cycle_id}")
    assert serious_violations(page) == []

    # The closed remote audit is reopened for late questionnaires: asked first, then confirmed.
    stage = page.locator("#stage-remote_audit")
    stage.locator("summary").click()
    stage.locator("input[name=reason]").fill("Анкети п’яти підрозділів не надійшли")
    stage.locator("input[name=due_on]").fill("2024-10-09")
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    stage.get_by_role("button", name="Відкрити повторно").click()
    page.wait_for_url(re.compile(r".*#stage-remote_audit$"))
    assert questions
    assert "повторно" in questions[0]
    assert "Етап відкрито повторно." in page.inner_text("main")

    # The interview schedule: propose, approve, record.
    page.get_by_role("link", name=re.compile("Інтерв’ю посадових осіб")).click()
    page.wait_for_url(re.compile(r".*/interviews$"))
    assert serious_violations(page) == []
    page.select_option("#unit_id", label="Управління освіти")
    page.fill("#officials", "Коваль Олена, начальниця управління")
    page.select_option("#auditor_id", index=1)
    page.fill("#day", "2024-09-30")  # within the interview stage, and already past
    page.fill("#at_time", "11:00")
    page.fill("#place", "Кабінет 12")
    page.get_by_role("button", name="Додати до графіка").click()
    page.wait_for_url(re.compile(r".*/interviews#schedule$"))
    assert page.locator("td", has_text="Коваль Олена").count() == 1
    page.get_by_role("button", name="Затвердити графік").click()
    page.wait_for_load_state()
    assert page.locator("td", has_text="затверджено 07.10.2024").count() == 1
    assert serious_violations(page) == []
    page.locator("textarea[name=findings]").fill("Реєстр рішень не оприлюднено.")
    page.get_by_role("button", name="Зберегти нотатки").click()
    page.wait_for_url(re.compile(r".*#interview-\d+$"))
    with session_scope() as session:
        interview = session.scalars(select(Interview)).one()
        assert interview.approved_at is not None
        assert interview.findings == "Реєстр рішень не оприлюднено."

    # Back to the cycle, then the report: ask for a new version; the sweep renders it.
    page.get_by_role("link", name=re.compile("До циклу аудиту")).click()
    page.get_by_role("link", name=re.compile("Звіт: формування")).click()
    page.wait_for_url(re.compile(r".*/report$"))
    assert "Звіт сформовано: версія 1" in page.inner_text("#render")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Сформувати звіт повторно").click()
    page.wait_for_url(re.compile(r".*/report#render$"))
    assert "Формується…" in page.inner_text("#render")
    assert serious_violations(page) == []
    assert render_version(cycle_id, clock.now()) == 2
    page.get_by_role("link", name="Оновити стан").click()
    page.wait_for_load_state()
    page.reload()
    assert "Звіт сформовано: версія 2" in page.inner_text("#render")

    # The other new pages, reached from the cycle page, are accessible too.
    for name, ending in (
        ("Текст звіту та рекомендації", "/report/text"),
        ("Опитування мешканців", "/survey"),
        ("Зведений перелік", "/consolidation/systems"),
    ):
        page.goto(f"{live_server}/console/cycles/{cycle_id}")
        page.get_by_role("link", name=re.compile(name)).click()
        page.wait_for_url(re.compile(f".*{re.escape(ending)}$"))
        assert serious_violations(page) == [], ending
        assert page.get_by_role("link", name=re.compile("До циклу аудиту")).count() == 1

    # The report's text: typing in two sections and saving once keeps both.
    page.goto(f"{live_server}/console/cycles/{cycle_id}/report/text")
    page.fill("#markdown-services", "Сервіси **працюють**.")
    page.fill("#markdown-conclusions", "Висновки робочої групи.")
    page.get_by_role("button", name="Зберегти текст розділів").click()
    page.wait_for_url(re.compile(r".*/report/text#sections$"))
    assert "Збережено." in page.inner_text(".notice-done")
    assert page.input_value("#markdown-services") == "Сервіси **працюють**."
    assert page.input_value("#markdown-conclusions") == "Висновки робочої групи."
    with session_scope() as session:
        stored = {s.key.value: s.markdown for s in session.scalars(select(ReportSection))}
    assert stored == {"services": "Сервіси **працюють**.", "conclusions": "Висновки робочої групи."}
    context.close()
