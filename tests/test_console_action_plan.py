"""The console's action-plan page: made from the approved report, an item edited and refused
beside its field with what was typed kept, a dated note, the printable annex, the roles."""

import html as html_lib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.action_plan import Metric
from models.clock import FixedClock
from tests.action_plan_cycles import first_cycle
from tests.console_pages import add_login, browser_login, console_login
from tests.doubles.html import csrf_of, fields, form_parts
from tests.factories import at, login


def _form(page: str, form_id: str) -> str:
    """The part of the page from an element's id to the end of its (next) form."""
    start = page.index(f'id="{form_id}"')
    return page[start : page.index("</form>", start)]


@pytest.mark.slow
def test_action_plan_page(client: TestClient, clock: FixedClock) -> None:
    state = first_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/action-plan"
    clock.set(at("2024-10-20"))
    console_login(client, org["coordinator_email"])
    cycle_page = client.get(f"/console/cycles/{cycle_id}")
    assert url in cycle_page.text  # linked from the cycle's working pages
    page = client.get(url)
    assert page.status_code == 200
    assert "Скласти план із рекомендацій звіту" in page.text
    token = csrf_of(page.text)

    assert client.post(url, data={"csrf_token": "forged"}).status_code == 403
    refused = client.post(url, data={"csrf_token": token, "due_on": "31.03.2025"})
    assert refused.status_code == 422
    assert 'id="create-due_on-error"' in refused.text
    assert "Вкажіть дату у форматі рррр-мм-дд." in refused.text
    assert 'value="31.03.2025"' in refused.text  # what was typed stays

    made = client.post(
        url, data={"csrf_token": token, "due_on": "2025-03-31"}, follow_redirects=False
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert re.search(r"План дій складено: завдань \d+\.", page.text)
    parts = form_parts(page.text)
    assert all(
        i["id"] in parts.label_for
        for i in parts.inputs
        if i.get("type") not in ("hidden", "submit")
    )
    first = re.search(r'id="item-(\d+)"', page.text)
    assert first is not None
    item_id = first.group(1)
    form = fields(_form(page.text, f"item-{item_id}"))
    assert form["due_on"] == "2025-03-31"
    assert form["metric"] in {m.value for m in Metric}  # the checked choice, one of them

    bad = client.post(
        f"{url}/items/{item_id}",
        data={
            **form,
            "csrf_token": token,
            "responsible_email": "не-адреса",
            "task": "Нове завдання",
        },
    )
    assert bad.status_code == 422
    assert f'id="item-{item_id}-responsible_email-error"' in bad.text
    assert "Нове завдання</textarea>" in bad.text  # kept
    saved = client.post(
        f"{url}/items/{item_id}",
        data={
            **form,
            "csrf_token": token,
            "responsible_email": "osvita@example.org",
            "due_on": "2024-10-15",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Збережено." in page.text
    assert "прострочено" in page.text  # 15.10 has passed on 20.10

    no_evidence = client.post(
        f"{url}/items/{item_id}/notes",
        data={"csrf_token": token, "noted_on": "2024-10-20", "status": "done", "text": ""},
    )
    assert no_evidence.status_code == 422
    assert f'id="note-{item_id}-text-error"' in no_evidence.text
    noted = client.post(
        f"{url}/items/{item_id}/notes",
        data={
            "csrf_token": token,
            "noted_on": "2024-10-18",
            "status": "done",
            "text": "Оприлюднено <b>набір</b>",
            "value": "0",
        },
        follow_redirects=False,
    )
    assert noted.status_code == 303
    page = client.get(noted.headers["location"])
    assert "Нотатку додано." in page.text
    assert (
        "18.10.2024 — <strong>виконано</strong>: " + html_lib.escape("Оприлюднено <b>набір</b>")
        in page.text
    )

    pdf = client.get(f"{url}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    org["coordinator"] = login(client, org["coordinator_email"])  # the API's session expired
    auditor = add_login(client, org, "auditor")
    console_login(client, auditor)
    read_only = client.get(url)
    assert read_only.status_code == 200
    assert "Додати нотатку" not in read_only.text
    console_login(client, org["mayor_email"])
    assert client.get(url).status_code == 403
    assert client.get(f"{url}.pdf").status_code == 200


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_action_plan_page_at_phone_width_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    from tests.accessibility import axe_context, serious_violations

    state = first_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/action-plan"
    clock.set(at("2024-10-20"))
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get(url).text)
    made = client.post(url, data={"csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303

    context = axe_context(browser, viewport={"width": 360, "height": 800})
    page = context.new_page()
    browser_login(page, live_server, org["coordinator_email"])
    page.goto(f"{live_server}{url}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate("document.documentElement.scrollWidth") == 360  # no sideways scroll
    assert serious_violations(page) == []
    # The measure is a choice whose long labels wrap at 360 px (a select cut them off).
    item = page.locator("ol.action-plan > li").first
    item.get_by_label("наборів у приватному режимі").check()
    with page.expect_navigation():
        item.get_by_role("button", name="Зберегти завдання").click()
    assert "Збережено." in page.inner_text("main")
    chosen = page.locator("ol.action-plan > li").first.get_by_label("наборів у приватному режимі")
    assert chosen.is_checked()
    context.close()


@pytest.mark.slow
def test_items_added_and_removed_in_the_console(client: TestClient, clock: FixedClock) -> None:
    state = first_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/action-plan"
    clock.set(at("2024-10-20"))
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get(url).text)
    made = client.post(
        url, data={"csrf_token": token, "due_on": "2025-03-31"}, follow_redirects=False
    )
    assert made.status_code == 303
    page = client.get(url).text
    count = len(re.findall(r'<li id="item-\d+"', page))
    assert "Додати завдання" in page
    assert 'data-confirm="Вилучити завдання 1 з плану дій?' in page
    typed = {
        "csrf_token": token,
        "task": "Провести навчання розпорядників",
        "due_on": "2025-02-28",
        "indicator": "навчання проведено",
        "responsible_unit_id": "",
        "responsible_person": "",
        "responsible_email": "",
        "metric": "",
        "baseline": "",
    }
    bad = client.post(f"{url}/items", data=typed)
    assert bad.status_code == 422
    assert 'id="add-responsible_person-error"' in bad.text
    assert "Провести навчання розпорядників</textarea>" in bad.text  # kept
    assert '<details id="add" open>' in bad.text
    assert len(re.findall(r'<li id="item-\d+"', client.get(url).text)) == count  # nothing stored

    added = client.post(
        f"{url}/items",
        data={**typed, "responsible_person": "Петренко Іван"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"]).text
    assert f"Завдання {count + 1} додано до плану дій." in page
    assert "Провести навчання розпорядників" in page
    assert f"Завдання {count + 1}: " in page

    first = re.search(r'id="item-(\d+)"', page)
    assert first is not None
    removed = client.post(
        f"{url}/items/{first.group(1)}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    page = client.get(removed.headers["location"]).text
    assert "Завдання 1 вилучено з плану дій; наступні перенумеровано." in page
    assert f'id="item-{first.group(1)}"' not in page
    assert len(re.findall(r'<li id="item-\d+"', page)) == count
    assert f"Завдання {count}: " in page
    assert f"Завдання {count + 1}: " not in page

    console_login(client, org["mayor_email"])
    mayor_token = csrf_of(client.get("/console").text)
    refused = client.post(f"{url}/items", data={**typed, "csrf_token": mayor_token})
    assert refused.status_code == 403
