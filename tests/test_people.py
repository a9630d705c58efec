"""Units and logins edited, deactivated and given new passwords or links (console and JSON API
alike), the login's ?next=, the audit trail in plain Ukrainian, and historical cycles."""

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.routes.console.common import safe_next
from flows.audit_cycle import advance
from models.account import Account
from models.actor import SYSTEM
from models.clock import FixedClock
from models.cycle import AuditCycle, StageKind, StageStatus
from models.db import session_scope
from models.event import AuditEvent
from models.organization import Unit
from models.services.mail import enqueue_reminders
from models.services.report.context import build_report_context
from models.services.stages import advance_stage
from models.services.trail import GENERIC, SENTENCES
from models.settings import get_settings
from report_templates.environment import render_html
from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import PASSWORD, UNITS, at, launch, login, plan, questionnaire, token_of

ROOT = Path(__file__).resolve().parent.parent
RECORDERS = ("record_event", "record_cycle_event", "record_version_event")
NOT_EVENTS = {"id", "yaml", "csv", "json", "xlsx", "html", "pdf", "py", "j2"}


def _actions(cycle_id: int | None = None) -> list[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if cycle_id is not None:
            query = query.where(AuditEvent.cycle_id == cycle_id)
        events = list(session.scalars(query))
        session.expunge_all()
        return events


def _post(client: TestClient, url: str, data: dict[str, str], page: str) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def _setup(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """An organization with only its coordinator (password hashing is slow) and the seed's cycle,
    logged in both through the API (headers) and the console (cookie)."""
    clock.set(at("2024-09-20", 9))
    email = "coordinator@people.example.org"
    response = client.post(
        "/api/organizations",
        json={
            "name": "Тестова міська рада",
            "units": [{"name": unit} for unit in UNITS],
            "coordinator": {"email": email, "password": PASSWORD},
        },
    )
    assert response.status_code == 201, response.text
    org = {**response.json(), "coordinator_email": email}
    org["coordinator"] = login(client, email)
    cycle = launch(client, org["coordinator"], plan())
    console_login(client, email)
    return {"org": org, "cycle": cycle, "cycle_id": cycle["id"]}


def test_every_recorded_event_kind_has_a_ukrainian_sentence() -> None:
    """Grep every module that records events for its "x.y" kinds (and the stage moves)."""
    kinds = {f"stage.{status.value}" for status in StageStatus}
    for path in [*(ROOT / "models").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.name == "events.py" or not any(name + "(" in text for name in RECORDERS):
            continue
        for prefix, name in re.findall(r'"([a-z_]+)\.([a-z_]+)"', text):
            if name not in NOT_EVENTS and prefix not in {"infoaudit", "order"}:
                kinds.add(f"{prefix}.{name}")
    assert {"cycle.launched", "report.approved", "unit.link_replaced"} <= kinds
    missing = sorted(kinds - SENTENCES.keys())
    assert not missing, f"event kinds without a sentence in models/services/trail.py: {missing}"


def test_the_trail_reads_in_plain_ukrainian(client: TestClient, clock: FixedClock) -> None:
    setup = _setup(client, clock)
    cycle_id, org = setup["cycle_id"], setup["org"]
    with session_scope() as session:
        advance_stage(
            session, cycle_id=cycle_id, kind=StageKind.PREPARATION, now=at("2024-09-23", 9)
        )
        cycle = session.get(AuditCycle, cycle_id)
        assert cycle is not None
        # An event of a kind nobody described yet still reads as a sentence.
        from models.services.events import record_cycle_event

        record_cycle_event(
            session, cycle_id=cycle_id, action="future.kind", at=at("2024-09-23"), actor=SYSTEM
        )
    page = client.get(f"/console/cycles/{cycle_id}").text
    coordinator = f"{org['coordinator_email']} (координатор робочої групи)"
    cells = re.sub(r"<td[^>]*>", "<td>", page)
    assert f"{coordinator}</td><td>розпочато інформаційний аудит 2024 року" in cells
    assert "за розпорядженням №212-р; підрозділів: 3" in page
    assert "Система</td><td>відкрито етап «" in cells
    assert GENERIC in page
    assert "cycle.launched" not in page
    assert "order:" not in page
    trail = client.get(f"/api/cycles/{cycle_id}/trail", headers=org["coordinator"]).json()
    assert trail[0]["action"] == "cycle.launched"
    assert trail[0]["sentence"].startswith(coordinator + " — розпочато інформаційний аудит")
    assert trail[1]["who"] == "Система"


def test_units_are_edited_deactivated_and_given_a_new_link(
    client: TestClient, clock: FixedClock
) -> None:
    setup = _setup(client, clock)
    org, cycle_id = setup["org"], setup["cycle_id"]
    units = {u["name"]: u["id"] for u in org["units"]}
    first, second = units[UNITS[0]], units[UNITS[1]]
    # A clash comes back beside the name, with what was typed kept.
    refused = _post(
        client,
        f"/console/units/{first}",
        {"name": UNITS[1], "kind": "executive_unit", "head_name": "Коваль Ірина", "email": ""},
        f"/console/units/{first}",
    )
    assert refused.status_code == 409
    assert 'class="field-error" id="name-error"' in refused.text
    assert "Коваль Ірина" in refused.text
    saved = _post(
        client,
        f"/console/units/{first}",
        {"name": "Загальний відділ апарату", "kind": "other", "head_name": "", "email": ""},
        f"/console/units/{first}",
    )
    assert saved.status_code == 303
    assert "Загальний відділ апарату" in client.get("/console/units").text
    # The JSON API deactivates; the console's launch form no longer offers the unit.
    response = client.post(
        f"/api/organizations/{org['id']}/units/{second}/deactivate", headers=org["coordinator"]
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert f'value="{UNITS[1]}"' not in client.get("/console/cycles/new").text
    refused_launch = client.post(
        "/api/cycles", headers=org["coordinator"], json=plan(year=2025, units=[UNITS[1]])
    )
    assert refused_launch.status_code == 422
    assert "Вимкнені підрозділи" in refused_launch.json()["detail"]
    # One unit's link is replaced: its old link stops working, the other units' links stay.
    old = {link["unit"]: token_of(link["url"]) for link in setup["cycle"]["links"]}
    page = client.get(f"/console/cycles/{cycle_id}").text
    assert "data-confirm=" in page
    assert f"/units/{first}/link" in page
    replaced = _post(client, f"/console/cycles/{cycle_id}/units/{first}/link", {}, "/console")
    assert replaced.status_code == 303
    assert client.get(f"/q/{old[UNITS[0]]}").status_code == 404
    assert client.get(f"/q/{old[UNITS[2]]}").status_code == 200
    links = client.post(
        f"/api/cycles/{cycle_id}/units/{second}/link", headers=org["coordinator"]
    ).json()
    assert client.get(f"/q/{old[UNITS[1]]}").status_code == 404
    new_second = next(token_of(link["url"]) for link in links if link["unit"] == UNITS[1])
    assert client.get(f"/q/{new_second}").status_code == 200
    with session_scope() as session:
        unit = session.get(Unit, second)
        assert unit is not None
        assert not unit.is_active
    kinds = [e.action for e in _actions()]
    assert kinds.count("unit.updated") == 1
    assert kinds.count("unit.deactivated") == 1
    assert kinds.count("unit.link_replaced") == 2


def test_logins_are_edited_reset_and_deactivated(client: TestClient, clock: FixedClock) -> None:
    setup = _setup(client, clock)
    org = setup["org"]
    form = client.get("/console/accounts").text
    assert '<option value="" selected>' in form
    assert '<option value="coordinator" selected' not in form
    refused = _post(
        client,
        "/console/accounts",
        {"email": "member@example.org", "full_name": "Олена Петренко", "role": "", "password": ""},
        "/console/accounts",
    )
    assert refused.status_code == 422
    assert 'id="role-error"' in refused.text
    assert 'value="member@example.org"' in refused.text
    created = _post(
        client,
        "/console/accounts",
        {
            "email": "member@example.org",
            "full_name": "Олена Петренко",
            "role": "working_group",
            "password": PASSWORD,
        },
        "/console/accounts",
    )
    assert created.status_code == 303
    with session_scope() as session:
        member = session.scalars(select(Account).where(Account.email == "member@example.org")).one()
        member_id = member.id
    member_api = login(client, "member@example.org")
    # The JSON API edits; the coordinator cannot change their own role.
    edited = client.patch(
        f"/api/organizations/{org['id']}/accounts/{member_id}",
        headers=org["coordinator"],
        json={"role": "auditor"},
    )
    assert edited.status_code == 200
    assert edited.json()["role"] == "auditor"
    accounts = client.get(f"/api/organizations/{org['id']}/accounts", headers=org["coordinator"])
    own_id = next(a["id"] for a in accounts.json() if a["email"] == org["coordinator_email"])
    own = client.patch(
        f"/api/organizations/{org['id']}/accounts/{own_id}",
        headers=org["coordinator"],
        json={"role": "auditor"},
    )
    assert own.status_code == 409
    # The console generates a password and shows it once; the old one and the sessions end.
    reset = _post(
        client,
        f"/console/accounts/{member_id}/password",
        {"password": ""},
        f"/console/accounts/{member_id}",
    )
    assert reset.status_code == 200
    assert reset.headers["cache-control"] == "no-store"
    match = re.search(r"<code>([^<]+)</code>", reset.text)
    assert match is not None
    assert client.get(f"/api/cycles/{setup['cycle_id']}", headers=member_api).status_code == 401
    bad = client.post("/api/auth/login", json={"email": "member@example.org", "password": PASSWORD})
    assert bad.status_code == 401
    member_api = login(client, "member@example.org", match.group(1))
    # Deactivated: the session ends and logging in is refused.
    off = client.post(
        f"/api/organizations/{org['id']}/accounts/{member_id}/deactivate",
        headers=org["coordinator"],
    )
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert client.get(f"/api/cycles/{setup['cycle_id']}", headers=member_api).status_code == 401
    refused_login = client.post(
        "/api/auth/login", json={"email": "member@example.org", "password": match.group(1)}
    )
    assert refused_login.status_code == 401
    page = client.get(f"/console/accounts/{own_id}").text
    assert "Вимкнути обліковий запис" not in page  # never one's own
    assert "data-confirm=" in client.get(f"/console/accounts/{member_id}").text
    # After login a person lands where they were going: a local path only.
    client.cookies.clear()
    away = client.get("/console/units?tab=1", follow_redirects=False)
    assert away.headers["location"] == "/login?next=%2Fconsole%2Funits%3Ftab%3D1"
    for target, lands in (
        ("/console/units?tab=1", "/console/units?tab=1"),
        ("//evil.example.org/", "/console"),
    ):
        client.cookies.clear()
        token = csrf_of(client.get("/login", params={"next": target}).text)
        response = client.post(
            "/login",
            data={
                "email": org["coordinator_email"],
                "password": PASSWORD,
                "csrf_token": token,
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == lands, target
    for target in ("https://evil.example.org/", "/\\evil.example.org", "/login", ""):
        assert safe_next(target) == "/console", target
    kinds = [e.action for e in _actions() if e.details.get("account_id") == member_id]
    assert kinds == [
        "account.created",
        "account.updated",
        "account.password_reset",
        "account.deactivated",
    ]


def test_a_past_year_is_entered_as_a_historical_cycle(
    client: TestClient, clock: FixedClock
) -> None:
    setup = _setup(client, clock)
    org = setup["org"]
    clock.set(at("2025-11-20", 9))  # a year later, the council records last year's audit
    org["coordinator"] = login(client, org["coordinator_email"])
    console_login(client, org["coordinator_email"])
    past = plan(year=2023, order={"number": "15-р", "date": "2023-09-20"})
    refused = client.post("/api/cycles", headers=org["coordinator"], json=past)
    assert refused.status_code == 422
    assert "історичний" in refused.json()["detail"]
    launched = client.post(
        "/api/cycles", headers=org["coordinator"], json={**past, "historical": True}
    )
    assert launched.status_code == 201, launched.text
    cycle_id = launched.json()["id"]
    token = token_of(launched.json()["links"][0]["url"])
    # The working group enters the answers through the unit's link, long after the dates.
    for kind in StageKind:  # as the sweep does; without an approved report it stays open
        assert advance.fn(cycle_id, kind, at("2025-11-20", 9)) in (
            StageStatus.CLOSED,
            StageStatus.OPEN,
        )
    with session_scope() as session:
        assert session.get(AuditCycle, cycle_id).status == "active"  # type: ignore[union-attr]
        assert (
            enqueue_reminders(
                session, cycle_id=cycle_id, now=at("2025-11-20"), settings=get_settings()
            )
            == 0
        )
    submitted = client.post(f"/api/questionnaire/{token}", json=questionnaire())
    assert submitted.status_code == 201, submitted.text
    sent = _post(
        client,
        f"/console/cycles/{cycle_id}/links",
        {"request_key": "k" * 12},
        f"/console/cycles/{cycle_id}",
    )
    assert sent.status_code == 409
    page = client.get(f"/console/cycles/{cycle_id}").text
    assert "історичний цикл" in page
    assert "Надіслати посилання підрозділам" not in page
    assert "(історичний цикл: внесено після проведення)" in page
    listed = client.get(f"/api/organizations/{org['id']}/cycles", headers=org["coordinator"])
    assert [(c["year"], c["is_historical"]) for c in listed.json()] == [(2023, True), (2024, False)]
    with session_scope() as session:
        context = build_report_context(session, cycle_id=cycle_id, now=at("2025-11-20"), version=1)
    html = render_html(context)
    assert "Історичний цикл: відомості внесено після проведення аудиту" in html
    assert "Аудит 2023 року внесено до системи після його проведення" in html


def test_certificate_names_and_algorithms_read_in_ukrainian() -> None:
    from asn1crypto import x509

    from models.kep.names import (
        certificate_organization,
        ukrainian_algorithm,
        ukrainian_certificate_text,
        ukrainian_name,
    )

    name = x509.Name.build(
        {"common_name": "Олена Петренко", "title": "секретар", "organization_name": "Міська рада"}
    )
    assert ukrainian_name(name) == (
        "ім’я: Олена Петренко, посада: секретар, організація: Міська рада"
    )
    # A description stored before (asn1crypto's English labels) reads in Ukrainian too.
    stored = f"Власник: {name.human_friendly}; видавець: Common Name: Тестовий ЦСК"
    assert "Common Name" not in ukrainian_certificate_text(stored)
    assert "видавець: ім’я: Тестовий ЦСК" in ukrainian_certificate_text(stored)
    assert certificate_organization(stored) == "Міська рада"
    assert ukrainian_algorithm("sha256_rsa, sha256") == "RSA, геш SHA-256"
