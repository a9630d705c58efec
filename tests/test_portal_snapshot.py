"""Portal snapshots (issue 14): units' own portal organizations, moderation, views and
downloads in the report context, requests while a snapshot runs, and the console's controls."""

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.portal_snapshot import SNAPSHOT_THREAD, portal_snapshot, take_snapshot
from models.actor import SYSTEM
from models.clock import FixedClock
from models.db import session_scope
from models.publication import DatasetMatch
from models.register import RegisterEntry
from models.services.portal_snapshots import request_snapshot
from models.services.report.context import build_report_context
from report_templates.environment import environment
from tests.console_pages import console_login, launched_cycle
from tests.doubles.ckan import PUBLIC, SearchPortal, package, search_portal
from tests.doubles.html import csrf_of
from tests.factories import at, create_organization, launch, plan


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A CKAN portal on a loopback port (on the allow list); yields its base URL."""
    with search_portal(monkeypatch) as url:
        yield url


def _setup(client: TestClient, org: dict[str, Any], portal: str, units: dict[str, str]) -> str:
    """The holder's portal and its units' own organizations (unit name -> organization)."""
    base = f"/api/organizations/{org['id']}"
    response = client.put(
        f"{base}/portal",
        headers=org["coordinator"],
        json={"portal_url": portal, "portal_organization": "kalush-rada"},
    )
    assert response.status_code == 200, response.text
    ids = {u["name"]: u["id"] for u in org["units"]}
    for unit, name in units.items():
        response = client.put(
            f"{base}/units/{ids[unit]}/portal-organizations",
            headers=org["coordinator"],
            json={"portal_organizations": [name]},
        )
        assert response.status_code == 200, response.text
    return base


def _register(client: TestClient, org: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=org["coordinator"], json=rows
    )
    assert response.status_code == 201, response.text


def _matches(org_id: int) -> dict[int, str]:
    with session_scope() as session:
        rows = session.execute(
            select(RegisterEntry.number, DatasetMatch.portal_id)
            .join(DatasetMatch, DatasetMatch.register_entry_id == RegisterEntry.id)
            .where(RegisterEntry.organization_id == org_id)
        ).tuples()
        return dict(rows.all())


EDUCATION, PROPERTY, GENERAL = (
    "Управління освіти",
    "Управління комунальної власності",
    "Загальний відділ",
)


def test_units_organizations_moderation_and_views_in_the_report(
    portal: str, client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    base = _setup(client, org, portal, {EDUCATION: "osvita", PROPERTY: "komunmajno"})
    SearchPortal.unit_orgs = {
        "osvita": [
            package(201, title="Фінансова звітність"),
            package(202, title="Мережа закладів освіти", state="pending"),
        ],
        "komunmajno": [package(301, title="Фінансова звітність")],
    }
    every = PUBLIC + [p for ps in SearchPortal.unit_orgs.values() for p in ps]
    SearchPortal.tracking = {p["id"]: (10, 2, 1) for p in every}
    SearchPortal.tracking["pkg-001"] = (500, 40, 120)
    _register(
        client,
        org,
        [
            # The same title twice: each unit's row gets its own unit's dataset.
            {
                "number": 1,
                "name": "Фінансова звітність",
                "units": [PROPERTY],
                "periodicity": "щороку",
            },
            {
                "number": 2,
                "name": "Фінансова звітність",
                "units": [EDUCATION],
                "periodicity": "щороку",
            },
            {
                "number": 3,
                "name": "Мережа закладів освіти",
                "units": [EDUCATION],
                "periodicity": "щороку",
            },
            {
                "number": 4,
                "name": "Набір даних 1",
                "units": [GENERAL],
                "periodicity": "щороку",
                "portal_url": "https://data.gov.ua/dataset/dataset-001",
            },
        ],
    )
    outcome = take_snapshot(org["id"], now=at("2024-10-01"))
    assert outcome.ok, outcome.message
    assert "наборів даних на порталі – 10;" in outcome.message
    assert _matches(org["id"]) == {1: "pkg-301", 2: "pkg-201", 3: "pkg-202", 4: "pkg-001"}
    for number, portal_id in ((1, "pkg-301"), (2, "pkg-201"), (3, "pkg-202")):
        response = client.put(
            f"{base}/register/{number}/match",
            headers=org["coordinator"],
            json={"portal_id": portal_id},
        )
        assert response.status_code == 200, response.text

    analysis = client.get(
        f"{base}/publication/analysis?as_of=2024-10-14", headers=org["coordinator"]
    ).json()
    entry = analysis["entries"][2]
    assert (entry["code"], entry["label"], entry["timeliness"]) == (
        "moderation",
        "на модерації",
        "not_applicable",
    )
    units = {u["name"]: u for u in analysis["units"]}
    assert (units[EDUCATION]["published"], units[EDUCATION]["moderation"]) == (1, 1)
    assert (analysis["totals"]["published"], analysis["totals"]["moderation"]) == (3, 1)

    clock.set(at("2024-09-23", 9))
    cycle = launch(client, org["coordinator"], plan())
    with session_scope() as session:
        context = build_report_context(
            session, cycle_id=cycle["id"], now=at("2024-10-14"), version=1, as_of=date(2024, 10, 14)
        )
    usage = context["publication"]["usage"]
    assert usage["totals"] == {"datasets": 4, "views": 530, "downloads": 123}
    assert [(u["name"], u["datasets"], u["views"], u["downloads"]) for u in usage["units"]] == [
        (GENERAL, 1, 500, 120),
        (EDUCATION, 2, 20, 2),
        (PROPERTY, 1, 10, 1),
    ]
    assert [(d["number"], d["views"]) for d in usage["top"]][:2] == [(4, 500), (1, 10)]
    html = (
        environment().get_template("sections/usage.j2").render(publication=context["publication"])
    )
    assert "Перегляд та завантаження наборів даних" in html
    assert "переглянуто 530 разів" in html


@pytest.mark.sqlite_only
def test_requests_never_fail_while_a_snapshot_runs(portal: str, client: TestClient) -> None:
    org = create_organization(client)
    base = _setup(client, org, portal, {EDUCATION: "big"})
    count = 600
    SearchPortal.unit_orgs = {"big": [package(n) for n in range(1000, 1000 + count)]}
    SearchPortal.tracking = {
        p["id"]: (n, 0, 1) for n, p in enumerate(PUBLIC + SearchPortal.unit_orgs["big"])
    }
    rows = [
        {
            "number": k,
            "name": f"Набір даних {999 + k}",
            "units": [EDUCATION],
            "periodicity": "щороку",
        }
        for k in range(1, count + 1)
    ]
    _register(client, org, rows)
    with session_scope() as session:
        snapshot, _created = request_snapshot(
            session, organization_id=org["id"], actor=SYSTEM, now=at("2024-10-01")
        )
        requested = {"id": snapshot.id}
    # The flow's function itself, in a thread, while this thread writes through the API.
    worker = threading.Thread(
        target=portal_snapshot.fn, args=(org["id"], at("2024-10-01"), requested["id"])
    )
    worker.start()
    seen: list[dict[str, Any]] = []
    slowest, writes, number = 0.0, 0, 1
    general = next(u["id"] for u in org["units"] if u["name"] == GENERAL)
    while worker.is_alive() or writes < 5:
        started = time.perf_counter()
        write = client.post(
            f"{base}/register/{number}/publication",
            headers=org["coordinator"],
            json={"state": "published", "observed_on": "2024-10-01"},
        )
        other = client.put(
            f"{base}/units/{general}/portal-organizations",
            headers=org["coordinator"],
            json={"portal_organizations": [f"zagalnyi-{number}"]},
        )
        status = client.get(
            f"{base}/portal/snapshots/{requested['id']}", headers=org["coordinator"]
        )
        slowest = max(slowest, time.perf_counter() - started)
        assert (write.status_code, other.status_code, status.status_code) == (201, 200, 200)
        seen.append(status.json())
        writes, number = writes + 1, number % count + 1
    worker.join()
    assert slowest < 3.0, f"a request waited {slowest:.2f} s"
    assert any(s["status"] == "running" and s["progress_total"] == count + 7 for s in seen)
    final = client.get(
        f"{base}/portal/snapshots/{requested['id']}", headers=org["coordinator"]
    ).json()
    assert (final["status"], final["datasets"]) == ("ok", count + 7)
    assert final["message"].startswith("Готово: наборів даних на порталі – 607;")


def test_console_requests_a_snapshot_and_sets_unit_organizations(
    portal: str, client: TestClient, clock: FixedClock
) -> None:
    setup = launched_cycle(client, clock)
    org = setup["org"]
    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{setup['cycle_id']}")
    assert "Портал відкритих даних не налаштовано." in page.text
    units = client.get("/console/units")
    token = csrf_of(units.text)
    refused = client.post(
        "/console/units/portal",
        data={"portal_url": "data.gov.ua", "portal_organization": "x", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "має починатися з https://" in refused.text
    saved = client.post(
        "/console/units/portal",
        data={"portal_url": portal, "portal_organization": "kalush-rada", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    education = next(u["id"] for u in org["units"] if u["name"] == EDUCATION)
    response = client.post(
        "/console/units/portal-organizations",
        data={
            "unit_id": str(education),
            "portal_organizations": "osvita, osvita-2",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert "<code>osvita</code>, <code>osvita-2</code>" in response.text
    SearchPortal.unit_orgs = {"osvita": [package(201)], "osvita-2": []}

    page = client.get(f"/console/cycles/{setup['cycle_id']}")
    assert "Зробити знімок порталу" in page.text
    response = client.post(
        f"/console/cycles/{setup['cycle_id']}/portal-snapshot",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 200
    assert "Знімок порталу запитано." in response.text
    for thread in threading.enumerate():
        if thread.name.startswith(SNAPSHOT_THREAD):
            thread.join(timeout=60)
    page = client.get(f"/console/cycles/{setup['cycle_id']}")
    assert "Готово: наборів даних на порталі – 8;" in page.text

    SearchPortal.mode = "forbidden"
    client.post(
        f"/console/cycles/{setup['cycle_id']}/portal-snapshot",
        data={"csrf_token": csrf_of(page.text)},
    )
    for thread in threading.enumerate():
        if thread.name.startswith(SNAPSHOT_THREAD):
            thread.join(timeout=60)
    page = client.get(f"/console/cycles/{setup['cycle_id']}")
    assert "Не вдалося: Портал відмовив у доступі (HTTP 403)" in page.text
