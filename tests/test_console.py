"""The working group's console: forms with CSRF, the launch form, stage actions, and the whole
journey in real headless Chromium (with axe-core accessibility checks)."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.audit_cycle import audit_cycle
from models.clock import FixedClock
from models.cycle import AuditedUnit
from models.db import session_scope
from models.event import AuditEvent
from models.organization import Unit
from tests.accessibility import axe_context, serious_violations
from tests.console_pages import browser_login, console_login
from tests.doubles.html import csrf_of
from tests.factories import PASSWORD, at, create_organization


def _launch_form(client: TestClient, **changes: Any) -> dict[str, Any]:
    page = client.get("/console/cycles/new")
    assert page.status_code == 200
    data: dict[str, Any] = {
        "csrf_token": csrf_of(page.text),
        "action": "schedule",
        "start": "2024-09-23",
        "order_number": "212-р",
        "order_date": "2024-09-23",
        "year": "2024",
        "units": ["Загальний відділ", "Управління освіти"],
        "auditors": "Аудиторенко Оксана; головний спеціаліст; o@example.org",
    }
    scheduled = client.post("/console/cycles/new", data=data)
    assert scheduled.status_code == 200
    data.update(dict(re.findall(r'name="(\w+_(?:starts|due)_on)" value="([^"]*)"', scheduled.text)))
    data.update(action="launch", **changes)
    return data


def test_pages_need_login_and_forms_need_csrf(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    client.cookies.clear()
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    forged = client.post(
        "/login",
        data={"email": org["coordinator_email"], "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert "Форма застаріла" in forged.text
    console_login(client, org["coordinator_email"])
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_launch_form_mirrors_the_order_and_refuses_bad_dates(
    client: TestClient, clock: FixedClock
) -> None:
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    data = _launch_form(client)
    # The default schedule is the seed's.
    assert data["consultation_due_on"] == "2024-10-06"
    assert data["reporting_starts_on"] == "2024-10-07"
    assert data["reporting_due_on"] == "2024-10-14"

    bad = dict(data, reporting_starts_on="2024-10-01")
    response = client.post("/console/cycles/new", data=bad)
    assert response.status_code == 422
    assert "підготовка звіту має починатися після" in response.text
    assert 'value="212-р"' in response.text  # what was typed is kept

    past = dict(data, preparation_starts_on="2024-09-01")
    response = client.post("/console/cycles/new", data=past)
    assert response.status_code == 422
    assert "в минулому" in response.text

    response = client.post("/console/cycles/new", data=dict(data, auditors=""))
    assert response.status_code == 422
    assert "Аудитори" in response.text

    response = client.post("/console/cycles/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    cycle_page = client.get(response.headers["location"])
    assert cycle_page.text.count("/q/") == 2
    assert "<svg" in cycle_page.text  # the survey's QR code


def test_stage_actions_are_recorded_with_reasons(client: TestClient, clock: FixedClock) -> None:
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    location = client.post(
        "/console/cycles/new", data=_launch_form(client), follow_redirects=False
    ).headers["location"]
    cycle_id = int(location.rsplit("/", 1)[1])
    token = csrf_of(client.get(location).text)
    url = f"/console/cycles/{cycle_id}/stages/remote_audit"

    response = client.post(
        url,
        data={
            "csrf_token": token,
            "action": "extend",
            "reason": "Прохання підрозділів",
            "due_on": "2024-10-05",
        },
    )
    assert response.status_code == 200
    assert "05.10.2024" in response.text
    response = client.post(
        url, data={"csrf_token": token, "action": "extend", "reason": "", "due_on": "2024-10-06"}
    )
    assert response.status_code == 422
    assert "Вкажіть причину" in response.text
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "action": "extend",
            "reason": "Ще довше",
            "due_on": "2024-10-09",
        },
    )
    assert response.status_code == 422
    assert "спершу перенесіть підготовку звіту" in response.text
    response = client.post(
        url, data={"csrf_token": token, "action": "open", "reason": "Підрозділи готові раніше"}
    )
    assert response.status_code == 200
    response = client.post(url, data={"csrf_token": token, "action": "open", "reason": "Ще раз"})
    assert response.status_code == 409

    with session_scope() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.details).where(AuditEvent.cycle_id == cycle_id)
        ).all()
    actions = [action for action, _details in events]
    assert "stage.extended" in actions
    assert "stage.opened_early" in actions
    extended = next(details for action, details in events if action == "stage.extended")
    assert extended == {
        "stage": "remote_audit",
        "reason": "Прохання підрозділів",
        "from": "2024-09-27",
        "to": "2024-10-05",
    }

    mayor_email = org["mayor_email"]
    client.cookies.clear()
    console_login(client, mayor_email)
    page = client.get(location)
    assert page.status_code == 200
    assert "/q/" not in page.text  # the mayor's office reads, it does not hand out links
    token = csrf_of(page.text)
    response = client.post(url, data={"csrf_token": token, "action": "close", "reason": "Ні"})
    assert response.status_code == 403


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_journey_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any, tmp_path: Path
) -> None:
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    context = axe_context(browser, accept_downloads=True)
    page = context.new_page()

    page.goto(f"{live_server}/login")
    assert serious_violations(page) == []
    browser_login(page, live_server, org["coordinator_email"])
    page.get_by_role("link", name="Підрозділи").first.click()
    page.fill("#name", "Відділ культури")
    page.get_by_role("button", name="Додати").click()
    assert page.locator("td", has_text=re.compile(r"^\s*Відділ культури\s*$")).count() == 1

    page.goto(f"{live_server}/console/cycles/new")
    assert serious_violations(page) == []
    page.fill("#order_number", "212-р")
    page.fill("#order_date", "2024-09-23")
    page.fill("#year", "2024")
    page.check("input[value='Загальний відділ']")
    page.check("input[value='Відділ культури']")
    page.fill("#auditors", "Аудиторенко Оксана; головний спеціаліст")
    page.fill("#skip_reason", "Пілотний етап: інтерв’ю не проводяться.")
    page.fill("#start", "2024-09-23")
    page.get_by_role("button", name="Розрахувати типовий графік").click()
    assert page.input_value("#reporting_due_on") == "2024-10-14"
    page.get_by_role("button", name="Запустити цикл").click()
    page.wait_for_url(re.compile(r".*/console/cycles/\d+$"))
    cycle_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator("code.link", has_text="/q/").count() == 2
    assert page.locator(".qr svg").count() == 1
    assert serious_violations(page) == []

    for day, expected in (
        ("2024-09-23", "триває"),
        ("2024-10-07", "триває"),
        ("2024-10-15", "завершено"),
    ):
        clock.set(at(day))
        audit_cycle(cycle_id, clock.now())
        page.reload()
        if "/login" in page.url:  # sessions last hours, the clock moved days
            browser_login(page, live_server, org["coordinator_email"])
            page.goto(f"{live_server}/console/cycles/{cycle_id}")
        assert expected in page.locator("h1 + p").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Звіт, версія \d+, не підписаний \(PDF")).click()
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    context.close()


def test_links_are_sent_once_per_press(client: TestClient, clock: FixedClock) -> None:
    """ "Send links" mails only units never mailed; the page says when each went out; mailing
    again is an explicit choice, per unit or for all (which asks first)."""
    from datetime import timedelta

    from models.outbox import OutboxMessage
    from models.services.mail import mark_sent

    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get("/console/units").text)
    for name, email in (("Відділ культури", "culture@example.org"), ("Відділ освіти", "e@x.org")):
        response = client.post(
            "/console/units", data={"csrf_token": token, "name": name, "email": email}
        )
        assert response.status_code == 200
    data = _launch_form(client, units=["Відділ культури", "Відділ освіти", "Загальний відділ"])
    location = client.post("/console/cycles/new", data=data, follow_redirects=False).headers[
        "location"
    ]

    def messages() -> list[tuple[str, str]]:
        with session_scope() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [(m.recipients, m.body) for m in rows]

    def press(page: str, **extra: str) -> str:
        key = re.search(r'name="request_key" value="([^"]+)"', page)
        assert key
        form = {"csrf_token": csrf_of(page), "request_key": key.group(1), **extra}
        response = client.post(f"{location}/links", data=form)
        assert response.status_code == 200
        return response.text

    page = client.get(location).text
    assert "Надіслати посилання 2 підрозділам, яким його ще не надсилали" in page
    assert page.count("ще не надсилали") == 3  # the button and two units with an address
    assert "немає адреси електронної пошти" in page
    first = press(page)
    assert "Листів поставлено в чергу на надсилання: 2." in first
    assert [r for r, _ in messages()] == ["culture@example.org", "e@x.org"]
    assert "/q/" in messages()[0][1]
    assert first.count("у черзі на надсилання з 20.09.2024 09:00") == 2
    assert "яким його ще не надсилали" not in first  # nothing left to send for the first time
    again = press(page)  # a double click
    assert len(messages()) == 2
    later = press(first)  # the same button on a newer page: still nobody mailed twice
    assert "Нових листів не надіслано: посилання вже надсилали." in later
    assert len(messages()) == 2

    with session_scope() as session:
        for message in session.scalars(select(OutboxMessage)):
            mark_sent(
                session, message_id=message.id, now=at("2024-09-23", 9) + timedelta(minutes=12)
            )
    page = client.get(location).text
    assert page.count("надіслано 23.09.2024 09:12") == 2
    # Mailing one unit again is its own choice; the other unit gets nothing.
    with session_scope() as session:
        culture = session.scalars(
            select(AuditedUnit.id)
            .join(Unit, Unit.id == AuditedUnit.unit_id)
            .where(Unit.name == "Відділ культури")
        ).one()
    assert f'name="resend" value="{culture}"' in page
    one = press(page, resend=str(culture))
    assert "Листів поставлено в чергу на надсилання: 1." in one
    assert [r for r, _ in messages()] == ["culture@example.org", "e@x.org", "culture@example.org"]
    assert "листів усього: 2" in one
    # All again asks first, then mails every unit with an address.
    assert 'data-confirm="Надіслати посилання ще раз усім підрозділам' in one
    everyone = press(one, resend="all")
    assert "Листів поставлено в чергу на надсилання: 2." in everyone
    assert len(messages()) == 5
    del again


def test_units_upload_is_all_or_nothing_and_names_bad_rows(client: TestClient) -> None:
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get("/console/units").text)
    good = (
        "Назва;Вид;Керівник;Пошта\n"
        "Відділ культури;виконавчий орган;Коваль Олена;culture@example.org\n"
        "КП «Водоканал»;комунальне підприємство;;\n"
    )
    bad = (
        "Загальний відділ;;;\n"  # exists already
        "Відділ спорту;відомство;;\n"  # unknown kind
        "Відділ молоді;;;not-an-email\n"
    )
    response = client.post(
        "/console/units/upload",
        data={"csrf_token": token},
        files={"file": ("units.csv", (good + bad).encode("cp1251"), "text/csv")},
    )
    assert response.status_code == 422
    assert "Таблицю не завантажено" in response.text
    assert "Рядок 4, стовпець «Назва»" in response.text
    assert "Рядок 5, стовпець «Вид»" in response.text
    assert "Рядок 6, стовпець «Пошта»" in response.text

    def names() -> dict[str, str]:
        found = client.get(f"/api/organizations/{org['id']}", headers=org["coordinator"])
        return {u["name"]: u["kind"] for u in found.json()["units"]}

    assert "Відділ культури" not in names()  # a refused table adds nothing
    response = client.post(
        "/console/units/upload",
        data={"csrf_token": token},
        files={"file": ("units.csv", good.encode("cp1251"), "text/csv")},
    )
    assert response.status_code == 200
    assert "Додано підрозділів: 2." in response.text
    assert names()["КП «Водоканал»"] == "municipal_enterprise"
    response = client.post(
        "/console/units/upload",
        data={"csrf_token": token},
        files={"file": ("units.xls", b"\xd0\xcf\x11\xe0rest", "application/vnd.ms-excel")},
    )
    assert response.status_code == 422
    assert "XLS не підтримується" in response.text
