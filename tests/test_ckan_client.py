"""The CKAN client against a real HTTP server on loopback serving CKAN action API answers
(the fake portal of tests.doubles.ckan, in CKAN's documented shape)."""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.cli import main as cli_main
from flows.monitoring import reporting_quarter
from flows.portal_snapshot import SNAPSHOT_THREAD, take_snapshot
from models.clock import FixedClock
from models.db import session_scope
from models.portal.ckan import CkanClient, PortalError
from models.services.publication import latest_snapshot, list_snapshots
from tests.doubles.ckan import ORG_ID, SEARCH_TOKEN, SearchPortal, allow_portal, search_portal
from tests.factories import at, create_organization


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A CKAN portal on a loopback port (on the allow list); yields its base URL."""
    with search_portal(monkeypatch) as url:
        yield url


@pytest.mark.sqlite_only
def test_pages_through_package_search(portal: str) -> None:
    with CkanClient(portal, page_size=3) as client:
        org, datasets = client.holder_datasets("kalush-rada")
    assert org["id"] == ORG_ID
    assert [d.name for d in datasets] == [f"dataset-{n:03d}" for n in range(1, 8)]
    searches = [q for path, q, _ in SearchPortal.requests if path.endswith("package_search")]
    assert [(q["start"], q["rows"]) for q in searches] == [
        (["0"], ["3"]),
        (["3"], ["3"]),
        (["6"], ["3"]),
    ]
    assert all(q["include_private"] == ["false"] for q in searches)
    first = datasets[0]
    assert first.title == "Набір даних 1"
    assert first.url == f"{portal}/dataset/dataset-001"
    assert first.update_frequency == "once a quarter"
    assert first.metadata_modified == datetime(2024, 2, 15, 10, 30, 0, 123456, tzinfo=UTC)
    assert first.resources[0].format == "CSV"
    assert first.resources[0].last_modified == datetime(2024, 7, 1, 9, tzinfo=UTC)
    # No last_modified: the resource's creation date stands in.
    assert datasets[1].resources[0].last_modified == datetime(2023, 1, 10, 8, tzinfo=UTC)


@pytest.mark.sqlite_only
def test_private_datasets_only_with_a_token(portal: str) -> None:
    with CkanClient(portal, token=SEARCH_TOKEN, page_size=5) as client:
        _org, datasets = client.holder_datasets("kalush-rada")
    assert len(datasets) == 8
    assert [d.name for d in datasets if d.private] == ["dataset-100"]
    assert all(token == SEARCH_TOKEN for _, _, token in SearchPortal.requests)
    assert SearchPortal.requests[-1][1]["include_private"] == ["true"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("forbidden", "Портал відмовив у доступі (HTTP 403)"),
        ("malformed", "некоректну відповідь на пошук наборів даних"),
        ("html", "не у форматі CKAN API"),
        ("failure", "Портал повідомив про помилку (organization_show)."),  # not its text
        ("loop", "нескінченний перелік"),
    ],
)
def test_errors_are_clear(portal: str, mode: str, message: str) -> None:
    SearchPortal.mode = mode
    with CkanClient(portal, page_size=50) as client, pytest.raises(PortalError) as caught:
        client.holder_datasets("kalush-rada")
    assert message in caught.value.message


@pytest.mark.sqlite_only
def test_unknown_organization_timeout_and_closed_port(
    portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CkanClient(portal) as client, pytest.raises(PortalError, match="ідентифікатор органі"):
        client.organization_show("no-such-org")
    SearchPortal.mode = "slow"
    started = time.monotonic()
    with CkanClient(portal, timeout=0.3) as client, pytest.raises(PortalError, match="0.3 с"):
        client.organization_show("kalush-rada")
    assert time.monotonic() - started < 1.4
    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
    allow_portal(monkeypatch, portal, closed)
    with CkanClient(closed, timeout=2) as client, pytest.raises(PortalError, match="з’єднатися"):
        client.organization_show("kalush-rada")


@pytest.mark.sqlite_only
def test_reporting_quarter() -> None:
    assert reporting_quarter(at("2024-10-01").date()) == (2024, 3)
    assert reporting_quarter(at("2024-02-10").date()) == (2023, 4)


def test_snapshot_keeps_the_previous_one_and_monitor_writes_the_card(
    portal: str, client: TestClient, clock: FixedClock, tmp_path: Path
) -> None:
    org = create_organization(client)
    base = f"/api/organizations/{org['id']}"
    rows = [
        {
            "number": 1,
            "name": "Набір даних 1",
            "units": ["Загальний відділ"],
            "periodicity": "щороку",
            "portal_url": "https://data.gov.ua/dataset/dataset-001",
        },
        {
            "number": 2,
            "name": "Набір даних 3",
            "units": ["Управління освіти"],
            "periodicity": "щоквартально",
        },
    ]
    assert client.post(f"{base}/register", headers=org["coordinator"], json=rows).status_code == 201
    response = client.put(
        f"{base}/portal",
        headers=org["coordinator"],
        json={"portal_url": portal, "portal_organization": "kalush-rada"},
    )
    assert response.status_code == 200, response.text
    # Through the API: the snapshot flow runs in a thread of its own after the 202.
    response = client.post(f"{base}/portal/snapshots", headers=org["coordinator"])
    assert response.status_code == 202
    for thread in threading.enumerate():
        if thread.name.startswith(SNAPSHOT_THREAD):
            thread.join(timeout=60)
    with session_scope() as session:
        first = latest_snapshot(session, organization_id=org["id"])
        assert first is not None
        assert first.dataset_count == 7

    SearchPortal.mode = "forbidden"
    outcome = take_snapshot(org["id"], now=at("2024-10-01"))
    assert not outcome.ok
    assert "HTTP 403" in outcome.message
    with session_scope() as session:
        kept = latest_snapshot(session, organization_id=org["id"])
        assert kept is not None
        assert kept.id == first.id
        assert [s.status.value for s in list_snapshots(session, organization_id=org["id"])] == [
            "failed",
            "ok",
        ]

    SearchPortal.mode = "ok"
    out = tmp_path / "cards"
    code = cli_main(["monitor", str(org["id"]), "--now", "2024-10-01", "--out", str(out)])
    assert code == 0
    csv_text = (out / f"monitoring-card-{org['id']}-2024-Q3.csv").read_text(encoding="utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("Місце в рейтингу,Підрозділ,Підлягає оприлюдненню")
    # Entry 1 by its link; entry 2's title matches but awaits an auditor: 1 of 2 published.
    assert lines[-1].startswith(",Усього,2,1,0,0,0,50.0,")
    reader = PdfReader(out / f"monitoring-card-{org['id']}-2024-Q3.pdf")
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Картка оцінки стану оприлюднення" in text
    assert "III квартал 2024 року" in text
    assert "Загальний відділ" in text
