"""In real headless Chromium, issue 14's open-data part of a cycle in the browser alone: the
register (two from the Resolution 835 catalogue, one by hand), the holder's portal, a portal
snapshot, the proposed matches decided, the publication state, and publishing on the portal
(a fake CKAN that both answers the snapshot's searches and takes the publication)."""

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.portal_jobs import run_portal_jobs
from flows.portal_snapshot import SNAPSHOT_THREAD
from models.actor import CLI
from models.clock import FixedClock
from models.db import session_scope
from models.portal_job import PortalJob, PortalJobStatus
from models.publication import PortalSnapshot, SnapshotStatus
from models.register import RegisterEntry
from models.services.report.approval import approve_version
from models.services.report.versions import store_version
from tests.console_pages import browser_login, launched_cycle
from tests.doubles import ckan
from tests.doubles.ckan import PUBLISH_TOKEN, PublishHandler, PublishPortal, SearchHandler
from tests.doubles.loopback import loopback_server
from tests.portal_matches import stored_matches

ORGANIZATION = "Організаційна структура розпорядника інформації"  # all_holders.2
REPORTS = "Звіти, у тому числі щодо задоволення запитів на інформацію"  # all_holders.5
BUDGET = "Бюджет громади"  # added by hand


class BothHandler(PublishHandler, SearchHandler):
    """One portal for both sides: the snapshot's searches, and the publisher's writes."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        wanted = parse_qs(parts.query).get("id", [""])[0]
        searched = {p["id"] for p in ckan.PUBLIC}
        if parts.path.endswith("/package_show") and wanted not in searched:
            PublishHandler.do_GET(self)  # the publisher looks for its own dataset
        else:
            SearchHandler.do_GET(self)


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, PublishPortal]]:
    """The fake portal, whose holder's organization has datasets titled as the register."""
    ckan.SearchPortal.reset()
    titles = [ORGANIZATION, REPORTS, "БЮДЖЕТ ГРОМАДИ"]
    monkeypatch.setattr(ckan, "PUBLIC", [ckan.package(n, title=t) for n, t in enumerate(titles, 1)])
    state = PublishPortal()
    handler = type("BoundBothHandler", (BothHandler,), {"portal": state})
    with loopback_server(handler) as url:
        ckan.allow_portal(monkeypatch, url)
        yield url, state
    ckan.SearchPortal.reset()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installation's data folder (requested before `client`: the app reads it)."""
    monkeypatch.setenv("INFOAUDIT_DATA_DIR", str(tmp_path))
    return tmp_path


def _entries(org_id: int) -> dict[str, int]:
    with session_scope() as session:
        rows = session.execute(
            select(RegisterEntry.name, RegisterEntry.number).where(
                RegisterEntry.organization_id == org_id, RegisterEntry.retired_at.is_(None)
            )
        ).tuples()
        return dict(rows.all())


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_the_open_data_part_in_the_browser_alone(
    data_dir: Path,
    portal: tuple[str, PublishPortal],
    client: TestClient,
    clock: FixedClock,
    live_server: str,
    browser: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, published = portal
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    cycle_url = f"{live_server}/console/cycles/{cycle_id}"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks first
    browser_login(page, live_server, org["coordinator_email"])

    # The register: two datasets from the catalogue, one by hand.
    page.goto(f"{cycle_url}/register")
    page.check("input[name=codes][value='all_holders.2']")
    page.check("input[name=codes][value='all_holders.5']")
    page.select_option("#catalogue-unit", label="Загальний відділ")
    page.get_by_role("button", name="Додати позначені до реєстру").click()
    page.wait_for_url(re.compile(r".*/register#entries$"))
    assert "Додано наборів із переліку Постанови 835: 2." in page.inner_text("main")
    add = page.locator("form[action$='/register#add']")
    add.locator("textarea[name=name]").fill(BUDGET)
    add.locator("input[name=periodicity]").fill("щороку")
    add.get_by_label("Загальний відділ").check()
    # the portal's register structure wants a contact point with an e-mail
    add.locator("textarea[name=officials]").fill("Коваль Олена – спеціаліст, k@example.org")
    with page.expect_navigation():
        add.get_by_role("button", name="Додати до реєстру").click()
    assert BUDGET in page.inner_text("main"), page.inner_text("main")
    # The catalogue's rows get their contact point on each entry's page.
    for name in (ORGANIZATION, REPORTS):
        page.get_by_role("link", name=name).click()
        page.wait_for_url(re.compile(r".*/register/\d+$"))
        page.fill("#edit-officials", "Коваль Олена – спеціаліст, k@example.org")
        with page.expect_navigation():
            page.get_by_role("button", name="Зберегти").click()
        assert "збережено." in page.inner_text("main")
    entries = _entries(org["id"])
    assert set(entries) == {ORGANIZATION, REPORTS, BUDGET}

    # The holder's portal, on the units page.
    page.goto(f"{live_server}/console/units")
    page.fill("#portal_url", url)
    page.fill("#portal_organization", "kalush-rada")
    page.fill("#api_token", PUBLISH_TOKEN)  # the organization's own key, never shown back
    with page.expect_navigation():
        page.locator("form[action='/console/units/portal'] button[type=submit]").click()
    assert f"{url} як організація kalush-rada" in page.inner_text("main")

    # A portal snapshot, requested from the cycle page: the route's own thread takes it.
    page.goto(cycle_url)
    with page.expect_navigation():
        page.get_by_role("button", name="Зробити знімок порталу").click()
    for thread in threading.enumerate():
        if thread.name.startswith(SNAPSHOT_THREAD):
            thread.join(timeout=30)
    with session_scope() as session:
        snapshot = session.scalars(select(PortalSnapshot).order_by(PortalSnapshot.id)).one()
        assert snapshot.status == SnapshotStatus.OK, snapshot.error  # the route's own run
        assert (snapshot.dataset_count, snapshot.proposed) == (3, 3)
    page.goto(cycle_url)  # a fresh load, not the same page's #portal
    assert page.locator(".snapshot-status.snapshot-ok").count() == 1, page.inner_text("#portal ~ p")
    assert "наборів даних на порталі – 3" in page.inner_text(".snapshot-status")

    # The proposed matches: confirm the budget's, reject the reports'.
    page.goto(f"{cycle_url}/open-data/matches")
    budget, reports = entries[BUDGET], entries[REPORTS]
    with page.expect_navigation():
        page.get_by_role("button", name=f"Підтвердити рядок № {budget}").click()
    assert page.locator("p.notice-done").count() == 1
    with page.expect_navigation():
        page.get_by_role("button", name=f"Відхилити рядок № {reports}").click()
    assert page.locator("p.notice-done").count() == 1
    matches = stored_matches(org["id"])
    assert matches[budget][:2] == ("pkg-003", True)
    assert reports not in matches

    # The publication state per unit.
    page.goto(f"{cycle_url}/open-data")
    row = page.locator("#units tbody tr", has_text="Загальний відділ")
    assert row.locator("td").all_inner_texts()[:2] == ["3", "1"]  # required, published
    assert "пропозицій очікує рішення: 1" in page.inner_text("main")  # the organization's

    # Publishing, once the report is approved.
    with session_scope() as session:
        store_version(
            session, cycle_id=cycle_id, pdf=b"%PDF-1.4\n%%EOF\n", number=1, now=clock.now()
        )
    with session_scope() as session:
        approve_version(session, cycle_id=cycle_id, number=1, now=clock.now(), actor=CLI)
    page.reload()
    with page.expect_navigation():
        page.locator("form[action$='/open-data/publish'] button[type=submit]").click()
    assert "Публікацію заплановано" in page.inner_text("main")
    outcome = run_portal_jobs(clock.now())
    with session_scope() as session:
        messages = [j.message for j in session.scalars(select(PortalJob))]
    assert set(outcome.values()) == {"done"}, messages
    page.reload()
    assert "Оприлюднено на порталі" in page.inner_text("main")
    dataset_url = f"{url}/dataset/{next(iter(published.packages))}"
    assert page.locator(f"a[href='{dataset_url}']").count() >= 1
    with session_scope() as session:
        jobs = session.scalars(select(PortalJob)).all()
        assert [j.status for j in jobs] == [PortalJobStatus.DONE]
    (dataset,) = published.packages.values()
    assert {"report.pdf", "datapackage.json"} <= {r["name"] for r in dataset["resources"]}
    context.close()
