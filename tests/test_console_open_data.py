"""The console's open-data pages: proposed matches decided one by one and all shown (rows and
audit events), a manual match, the pending-proposal state wherever entry states are shown, the
JSON API's bulk decisions, and publishing and the monitoring card requested from the console,
run by the sweep's job runner against the fake CKAN portal."""

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.web import CSRF_COOKIE
from flows.portal_jobs import run_portal_jobs
from models.actor import CLI
from models.clock import FixedClock
from models.db import session_scope
from models.errors import Conflict
from models.event import AuditEvent
from models.portal_job import PortalJob, PortalJobKind, PortalJobStatus
from models.publication import MatchMethod
from models.services.analysis import analyse_publication
from models.services.analysis_context import entry_state_context
from models.services.match_review import PENDING_MATCH_LABEL
from models.services.portal_snapshots import match_datasets
from models.services.publication import PortalDataset, record_snapshot
from models.services.report.approval import approve_version
from models.services.report.versions import store_version
from tests.console_pages import add_login, browser_login, console_login, launched_cycle
from tests.doubles.ckan import PUBLISH_TOKEN, PublishPortal, publish_portal
from tests.doubles.html import csrf_of
from tests.factories import at, login
from tests.portal_matches import stored_matches

# (number, entry name, the portal's title or None): 1, 2, 4, 5 are proposed by title.
REGISTER = [
    (1, "Бюджет громади", "БЮДЖЕТ ГРОМАДИ"),
    (2, "Реєстр місць для паркування", "Реєстр місць паркування"),
    (3, "Перелік розпорядників", None),
    (4, "Мережа закладів освіти", "Мережа закладів освіти."),
    (5, "Генеральний план міста", "«Генеральний план міста»"),
]
OTHER = "Зовсім інший набір"


def _register(client: TestClient, org: dict[str, Any]) -> None:
    rows = [
        {
            "number": n,
            "name": name,
            "units": ["Загальний відділ"],
            "periodicity": "щороку",
            # the portal's register structure requires a contact point with an e-mail
            "officials": [
                {"full_name": "Коваль Олена", "position": "спеціаліст", "email": "k@example.org"}
            ],
        }
        for n, name, _ in REGISTER
    ]
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=org["coordinator"], json=rows
    )
    assert response.status_code == 201, response.text


def _snapshot(org_id: int, taken_at: datetime, extra: tuple[tuple[str, str], ...] = ()) -> int:
    titles = [(f"pkg-{n}", title) for n, _, title in REGISTER if title] + [("pkg-x", OTHER)]
    titles += extra
    datasets = [
        PortalDataset(pid, pid, title, f"https://data.gov.ua/dataset/{pid}", False, None, None)
        for pid, title in titles
    ]
    with session_scope() as session:
        snapshot = record_snapshot(
            session,
            organization_id=org_id,
            taken_at=taken_at,
            portal_url="https://data.gov.ua",
            portal_organization="test-rada",
            private_included=False,
            datasets=datasets,
        )
        return len(
            match_datasets(session, organization_id=org_id, snapshot_id=snapshot.id, now=taken_at)
        )


def _events(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)
        )
        return [(e.action, dict(e.details)) for e in events]


_TOKENS: dict[str, str] = {}  # per CSRF cookie: its form token, read from a page once


def _post(client: TestClient, page: str, url: str, **data: Any) -> Any:
    token = _TOKENS.get(client.cookies.get(CSRF_COOKIE) or "")
    if token is None:
        token = csrf_of(client.get(page).text)
        _TOKENS[client.cookies.get(CSRF_COOKIE) or ""] = token
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_matches_decided_one_by_one_all_shown_and_by_hand(
    client: TestClient, clock: FixedClock
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    _register(client, org)
    assert _snapshot(org["id"], at("2024-09-19")) == 4
    base = f"/console/cycles/{cycle_id}/open-data"
    console_login(client, add_login(client, org, "auditor"))

    html = client.get(f"{base}/matches").text
    for _, name, title in REGISTER:
        assert name in html
        if title:
            assert title.replace("«", "&laquo;").replace("»", "&raquo;") in html or title in html
    assert "Загальний відділ" in html
    assert "test-rada" in html
    assert "100&nbsp;%" in html
    assert html.count("data-confirm=") == 2  # confirm all, reject all
    assert OTHER in html  # the unmatched dataset, offered for entry 3
    assert 'id="entry-3"' in html
    assert 'id="portal-3"' in html

    # The pending proposal is named wherever entry states are shown, never "не оприлюднено".
    page = client.get(base).text
    assert page.count(PENDING_MATCH_LABEL) == 4
    assert page.count("не оприлюднено") == 1  # entry 3 only
    with session_scope() as session:
        analysis = analyse_publication(session, organization_id=org["id"], as_of=clock.now())
        annex = {e.number: entry_state_context(e)["state_label"] for e in analysis.entries}
    assert annex == {1: PENDING_MATCH_LABEL, 2: PENDING_MATCH_LABEL, 3: "не оприлюднено"} | {
        4: PENDING_MATCH_LABEL,
        5: PENDING_MATCH_LABEL,
    }

    # One: confirm 1, reject 2.
    response = _post(client, f"{base}/matches", f"{base}/matches/1/confirm")
    assert response.status_code == 303
    assert "підтверджено" in client.get(response.headers["location"]).text
    assert _post(client, f"{base}/matches", f"{base}/matches/2/reject").status_code == 303
    matches = stored_matches(org["id"])
    assert matches[1] == ("pkg-1", True, "name")
    assert 2 not in matches
    # Deciding again is refused beside the card.
    again = _post(client, f"{base}/matches", f"{base}/matches/1/confirm")
    assert again.status_code == 409
    assert "уже підтверджено" in again.text

    # All shown: only the numbers the page showed are decided.
    assert (
        _post(client, f"{base}/matches", f"{base}/matches/confirm-all", numbers=["4"]).status_code
        == 303
    )
    assert stored_matches(org["id"])[5][1] is False
    response = _post(client, f"{base}/matches", f"{base}/matches/reject-all", numbers=["5", "1"])
    assert "Відхилено пропозицій: 1." in client.get(response.headers["location"]).text
    matches = stored_matches(org["id"])
    assert matches[4] == ("pkg-4", True, "name")
    assert 5 not in matches

    # By hand: an empty choice is refused beside the field; then entry 3 gets the other dataset.
    refused = _post(client, f"{base}/matches", f"{base}/matches/manual", number="3", portal_id="")
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="manual-error-3"' in refused.text
    assert (
        _post(
            client, f"{base}/matches", f"{base}/matches/manual", number="3", portal_id="pkg-x"
        ).status_code
        == 303
    )
    assert stored_matches(org["id"])[3] == ("pkg-x", True, MatchMethod.MANUAL.value)
    taken = _post(
        client, f"{base}/matches", f"{base}/matches/manual", number="2", portal_id="pkg-x"
    )
    assert taken.status_code == 422
    assert "№ 3" in taken.text

    assert [(a, d["number"], d.get("bulk", False)) for a, d in _events("portal.match")] == [
        ("portal.match_confirmed", 1, False),
        ("portal.match_rejected", 2, False),
        ("portal.match_confirmed", 4, True),
        ("portal.match_rejected", 5, True),
        ("portal.match_set", 3, False),
    ]

    # The working group reads but does not decide.
    console_login(client, add_login(client, org, "working_group"))
    assert "Підтвердити всі показані" not in client.get(f"{base}/matches").text
    assert (
        _post(client, f"{base}/matches", f"{base}/matches/confirm-all", numbers=["2"]).status_code
        == 403
    )

    # Rejected pairs are never proposed again; the portal's new, close datasets are.
    assert _snapshot(org["id"], at("2024-09-21")) == 0
    new = (("pkg-2b", "Реєстр місць для паркування 2024"), ("pkg-5b", "Генеральний план міста."))
    assert _snapshot(org["id"], at("2024-09-22"), new) == 2
    matches = stored_matches(org["id"])
    assert (matches[2][0], matches[5][0]) == ("pkg-2b", "pkg-5b")

    # The JSON API: the same review and bulk decisions.
    auditor = login(client, f"auditor@{org['id']}.example.org")
    api = f"/api/organizations/{org['id']}/register/matches"
    review = client.get(api, headers=auditor).json()
    assert [
        (p["entry"]["number"], p["similarity"], p["entry"]["rejected"]) for p in review["proposals"]
    ] == [(2, 92, 1), (5, 100, 1)]
    decided = client.post(
        f"{api}/decisions", headers=auditor, json={"numbers": [2, 5], "decision": "confirm"}
    )
    assert decided.status_code == 200
    assert decided.json() == {"decided": 2}
    assert all(confirmed for _, confirmed, _ in stored_matches(org["id"]).values())
    assert _events("portal.match")[-1][0] == "portal.match_confirmed"


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, PublishPortal]]:
    """The fake CKAN portal's write side on a loopback port (on the allow list)."""
    with publish_portal(monkeypatch) as served:
        yield served


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installation's data folder (request it before `client`: the app reads it)."""
    monkeypatch.setenv("INFOAUDIT_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.slow
def test_publish_and_monitoring_requested_from_the_console(
    data_dir: Path,
    client: TestClient,
    clock: FixedClock,
    portal: tuple[str, PublishPortal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, ckan = portal
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    _register(client, org)
    base = f"/console/cycles/{cycle_id}/open-data"
    console_login(client, org["coordinator_email"])

    # Before a portal and an approved report: refused beside the button.
    refused = _post(client, base, f"{base}/publish")
    assert refused.status_code == 409
    assert "не налаштовано" in refused.text
    assert (
        client.put(
            f"/api/organizations/{org['id']}/portal",
            headers=org["coordinator"],
            json={
                "portal_url": url,
                "portal_organization": "test-rada",
                "api_token": PUBLISH_TOKEN,
            },
        ).status_code
        == 200
    )
    assert "затверджений" in _post(client, base, f"{base}/publish").text
    with session_scope() as session:
        store_version(
            session, cycle_id=cycle_id, pdf=b"%PDF-1.4\n%%EOF\n", number=1, now=clock.now()
        )
    with session_scope() as session:
        approve_version(session, cycle_id=cycle_id, number=1, now=clock.now(), actor=CLI)

    # An entry without a contact person: refused beside the button, not when the job runs.
    extra = [{"number": 99, "name": "Без контактів", "units": ["Загальний відділ"],
              "periodicity": "щороку"}]  # fmt: skip
    register_api = f"/api/organizations/{org['id']}/register"
    assert client.post(register_api, headers=org["coordinator"], json=extra).status_code == 201
    no_contact = _post(client, base, f"{base}/publish")
    assert no_contact.status_code == 409
    assert "№ 99 бракує відповідальної особи з e-mail" in no_contact.text
    entries = client.get(f"/api/cycles/{cycle_id}/register", headers=org["coordinator"]).json()
    extra_id = next(e["id"] for e in entries if e["number"] == 99)
    retired = client.post(
        f"/api/cycles/{cycle_id}/register/entries/{extra_id}/retire", headers=org["coordinator"]
    )
    assert retired.status_code == 200, retired.text

    response = _post(client, base, f"{base}/publish")
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Публікацію заплановано" in page
    assert "Заплановано." in page
    assert _post(client, base, f"{base}/publish").status_code == 409  # one at a time
    assert _post(client, base, f"{base}/monitoring").status_code == 303

    # The sweep's runner carries them out; the page shows the results.
    clock.set(at("2024-10-02"))
    assert set(run_portal_jobs(clock.now()).values()) == {"done"}
    console_login(client, org["coordinator_email"])  # the session of 20.09 has expired
    page = client.get(base).text
    dataset_url = f"{url}/dataset/{next(iter(ckan.packages))}"
    assert f'href="{dataset_url}"' in page
    assert "report.pdf" in page
    assert "datapackage.json" in page
    assert "Оприлюднено на порталі" in page
    with session_scope() as session:
        jobs = session.scalars(select(PortalJob).order_by(PortalJob.id)).all()
        assert [j.status for j in jobs] == [PortalJobStatus.DONE, PortalJobStatus.DONE]
        card = jobs[1].id
    assert "monitoring-card-" in page
    download = client.get(f"{base}/jobs/{card}/files/1")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert [a for a, _ in _events("portal.publish")] == [
        "portal.publish_requested",
        "portal.publish_started",
        "portal.publish_done",
    ]

    api = client.get(
        f"/api/cycles/{cycle_id}/open-data/jobs/{card}",
        headers=login(client, org["coordinator_email"]),
    ).json()
    assert api["status"] == "done"
    assert api["kind"] == "monitoring"

    # A refused token: the request fails with the portal's Ukrainian message.
    wrong = {"portal_url": url, "portal_organization": "test-rada", "api_token": "wrong"}
    coordinator = login(client, org["coordinator_email"])
    portal_api = f"/api/organizations/{org['id']}/portal"
    assert client.put(portal_api, headers=coordinator, json=wrong).status_code == 200
    console_login(client, org["coordinator_email"])
    assert _post(client, base, f"{base}/publish").status_code == 303
    assert set(run_portal_jobs(clock.now()).values()) == {"failed"}
    page = client.get(base).text
    assert "Не вдалося" in page
    assert _events("portal.publish")[-1][0] == "portal.publish_failed"


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_matches_page_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    from tests.accessibility import axe_context, serious_violations

    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    _register(client, org)
    _snapshot(org["id"], at("2024-09-19"))
    email = add_login(client, org, "auditor")

    context = axe_context(browser, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks first
    browser_login(page, live_server, email)
    page.goto(f"{live_server}/console/cycles/{cycle_id}")
    page.get_by_role("link", name=re.compile("Відповідність реєстру і порталу")).click()
    page.wait_for_url(re.compile(r".*/open-data/matches$"))
    assert serious_violations(page) == []
    no_sideways = "() => document.documentElement.scrollWidth <= innerWidth"
    assert page.evaluate(no_sideways)
    # At 360 px the unmatched lists are stacked: the portal's list starts below the register's.
    entries = page.locator("#unmatched-entries-title").bounding_box()
    datasets = page.locator("#unmatched-datasets-title").bounding_box()
    assert entries is not None
    assert datasets is not None
    assert datasets["y"] > entries["y"]

    page.get_by_role("button", name="Підтвердити всі показані").click()
    page.wait_for_load_state()
    assert "Підтверджено пропозицій: 4." in page.inner_text("main")
    assert all(confirmed for _, confirmed, _ in stored_matches(org["id"]).values())
    page.get_by_role("link", name="Стан оприлюднення за підрозділами").click()
    page.wait_for_url(re.compile(r".*/open-data$"))
    assert serious_violations(page) == []
    assert page.evaluate(no_sideways)
    context.close()


def test_a_request_cut_short_does_not_block_the_next(client: TestClient, clock: FixedClock) -> None:
    from datetime import timedelta

    from models.services.portal_jobs import ABANDONED, request_job, start_job

    cycle_id = launched_cycle(client, clock)["cycle_id"]
    monitoring = PortalJobKind.MONITORING
    with session_scope() as session:
        first = request_job(session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=clock.now())
        start_job(session, job_id=first.id, now=clock.now())
        first_id = first.id
    with session_scope() as session, pytest.raises(Conflict):
        request_job(session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=clock.now())
    later = clock.now() + timedelta(hours=3)  # the server was restarted meanwhile
    with session_scope() as session:
        request_job(session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=later)
    with session_scope() as session:
        jobs = session.scalars(select(PortalJob).order_by(PortalJob.id)).all()
        assert [(j.id == first_id, j.status, j.message) for j in jobs] == [
            (True, PortalJobStatus.FAILED, ABANDONED),
            (False, PortalJobStatus.REQUESTED, ""),
        ]
