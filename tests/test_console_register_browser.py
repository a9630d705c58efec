"""In real headless Chromium: the register page from the cycle page: add from the Resolution
835 catalogue, edit an entry, retire it (confirmed first); axe-core finds no serious
violations, and at 360 px the page never scrolls sideways."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.clock import FixedClock
from models.db import session_scope
from models.periodicity import BasePeriod
from models.services.register import list_register
from tests.accessibility import axe_context, serious_violations
from tests.console_pages import browser_login, launched_cycle


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_register_page_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    context = axe_context(browser, viewport={"width": 360, "height": 800})
    page = context.new_page()
    browser_login(page, live_server, org["coordinator_email"])
    page.goto(f"{live_server}/console/cycles/{cycle_id}")
    assert "Реєстр наборів даних порожній" in page.inner_text("#register-empty")
    page.get_by_role("link", name="Заповнити реєстр").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert serious_violations(page) == []

    # Two datasets from the catalogue, for one unit.
    page.check("input[name=codes][value='all_holders.15']")
    page.locator("summary", has_text="органи місцевого самоврядування").click()
    page.check("input[name=codes][value='local_government.19']")
    page.select_option("#catalogue-unit", label="Загальний відділ")
    page.get_by_role("button", name="Додати позначені до реєстру").click()
    page.wait_for_url(re.compile(r".*/register#entries$"))
    assert "Додано наборів із переліку Постанови 835: 2." in page.inner_text("main")
    assert page.locator("input[value='all_holders.15']").is_disabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []

    # Edit the second entry's periodicity.
    page.get_by_role("link", name="Адресний реєстр").click()
    page.wait_for_url(re.compile(r".*/register/\d+$"))
    assert serious_violations(page) == []
    page.fill("#edit-periodicity", "щокварталу")
    page.get_by_role("button", name="Зберегти").click()
    page.wait_for_url(re.compile(r".*/register#entry-\d+$"))
    assert "Набір № 2 збережено." in page.inner_text("main")

    # Retire the first: the browser asks first; declining keeps it.
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept() if len(questions) > 1 else dialog.dismiss()

    page.on("dialog", answer)
    retire = page.get_by_role("button", name="Вилучити набір № 1")
    retire.click()
    assert "Набір № 1 вилучено" not in page.inner_text("main")
    retire.click()
    page.wait_for_url(re.compile(r".*/register#entries$"))
    assert "Набір № 1 вилучено з реєстру." in page.inner_text("main")
    assert questions[0].startswith("Вилучити набір № 1 з реєстру?")
    with session_scope() as session:
        (entry,) = list_register(session, organization_id=org["id"])
        assert (entry.name, entry.period_base) == ("Адресний реєстр", BasePeriod.QUARTERLY)
    context.close()
