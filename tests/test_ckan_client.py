"""The CKAN client against a real HTTP server on loopback serving CKAN action API answers.

The answers follow CKAN's documented shape (docs.ckan.org, "API guide"): every action answers
{"help": ..., "success": true, "result": ...}; errors are {"success": false, "error":
{"message": ..., "__type": ...}} with HTTP 403 ("Authorization Error") or 404 ("Not Found
Error"); package_search's result is {"count": N, "results": [...], ...} paged by rows/start.
"""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.cli import main as cli_main
from flows.monitoring import reporting_quarter, take_snapshot
from models.clock import FixedClock
from models.db import session_scope
from models.portal.ckan import CkanClient, PortalError
from models.services.publication import latest_snapshot, list_snapshots
from tests.factories import at, create_organization

ORG_ID = "ae0dd46e-a8b1-457d-8d9e-a12e235c30ad"
TOKEN = "test-api-token"
HELP = "http://127.0.0.1/api/3/action/help_show?name=package_search"


def package(n: int, *, private: bool = False, fmt: str = "CSV") -> dict[str, Any]:
    """A package dict as CKAN 2.9+/data.gov.ua returns it (abridged)."""
    return {
        "id": f"pkg-{n:03d}",
        "name": f"dataset-{n:03d}",
        "title": f"Набір даних {n}",
        "private": private,
        "state": "active",
        "type": "dataset",
        "owner_org": ORG_ID,
        "metadata_created": "2023-01-10T08:00:00.000000",
        "metadata_modified": f"2024-0{1 + n % 9}-15T10:30:00.123456",
        "update_frequency": "once a quarter",
        "organization": {"id": ORG_ID, "name": "kalush-rada", "title": "Калуська міська рада"},
        "extras": [],
        "tags": [{"name": "бюджет"}],
        "resources": [
            {
                "id": f"res-{n:03d}",
                "package_id": f"pkg-{n:03d}",
                "name": f"Ресурс {n}",
                "format": fmt,
                "url": f"https://data.gov.ua/dataset/dataset-{n:03d}/resource/res-{n:03d}",
                "created": "2023-01-10T08:00:00.000000",
                "last_modified": "2024-07-01T09:00:00" if n % 2 else None,
            }
        ],
        "num_resources": 1,
    }


PUBLIC = [package(n) for n in range(1, 8)]
PRIVATE = [package(100, private=True, fmt="XLS")]


class Portal:
    """What the fake portal does next (tests change it)."""

    mode = "ok"  # ok | forbidden | malformed | failure | slow | html | loop
    requests: list[tuple[str, dict[str, list[str]], str | None]] = []


class Handler(BaseHTTPRequestHandler):
    """CKAN's action API, as much of it as the client uses."""

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(
            status,
            {"help": HELP, "success": False, "error": {"message": message, "__type": kind}},
        )

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        token = self.headers.get("Authorization")
        Portal.requests.append((parts.path, query, token))
        action = parts.path.removeprefix("/api/3/action/")
        if Portal.mode == "slow":
            time.sleep(1.5)
        if Portal.mode == "forbidden":
            return self._error(403, "Access denied", "Authorization Error")
        if Portal.mode == "html":
            return self._send(200, None, raw=b"<html><body>Technical works</body></html>")
        if Portal.mode == "failure":
            return self._send(200, {"help": HELP, "success": False, "error": {"message": "Oops"}})
        if action == "organization_show":
            if query.get("id") != ["kalush-rada"]:
                return self._error(404, "Not found", "Not Found Error")
            return self._send(
                200,
                {
                    "help": HELP,
                    "success": True,
                    "result": {"id": ORG_ID, "name": "kalush-rada", "package_count": 7},
                },
            )
        if action == "package_search":
            if query.get("fq") != [f'owner_org:"{ORG_ID}"']:
                return self._error(409, "Bad fq", "Validation Error")
            packages = PUBLIC + (
                PRIVATE if query.get("include_private") == ["true"] and token == TOKEN else []
            )
            rows, start = int(query["rows"][0]), int(query["start"][0])
            if Portal.mode == "malformed":
                return self._send(200, {"help": HELP, "success": True, "result": {"count": "x"}})
            if Portal.mode == "loop":
                start = 0  # a broken portal: always the first page, a count that never ends
            result = {
                "count": 10_000 if Portal.mode == "loop" else len(packages),
                "results": packages[start : start + rows],
                "sort": "name asc",
                "facets": {},
                "search_facets": {},
            }
            return self._send(200, {"help": HELP, "success": True, "result": result})
        return self._error(404, "Action not found", "Not Found Error")


@pytest.fixture
def portal() -> Iterator[str]:
    """A CKAN portal on a loopback port; yields its base URL."""
    Portal.mode = "ok"
    Portal.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.sqlite_only
def test_pages_through_package_search(portal: str) -> None:
    with CkanClient(portal, page_size=3) as client:
        org, datasets = client.holder_datasets("kalush-rada")
    assert org["id"] == ORG_ID
    assert [d.name for d in datasets] == [f"dataset-{n:03d}" for n in range(1, 8)]
    searches = [q for path, q, _ in Portal.requests if path.endswith("package_search")]
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
    with CkanClient(portal, token=TOKEN, page_size=5) as client:
        _org, datasets = client.holder_datasets("kalush-rada")
    assert len(datasets) == 8
    assert [d.name for d in datasets if d.private] == ["dataset-100"]
    assert all(token == TOKEN for _, _, token in Portal.requests)
    assert Portal.requests[-1][1]["include_private"] == ["true"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("forbidden", "Портал відмовив у доступі (HTTP 403)"),
        ("malformed", "некоректну відповідь на пошук наборів даних"),
        ("html", "не у форматі CKAN API"),
        ("failure", "Портал повідомив про помилку: Oops."),
        ("loop", "нескінченний перелік"),
    ],
)
def test_errors_are_clear(portal: str, mode: str, message: str) -> None:
    Portal.mode = mode
    with CkanClient(portal, page_size=50) as client, pytest.raises(PortalError) as caught:
        client.holder_datasets("kalush-rada")
    assert message in caught.value.message


@pytest.mark.sqlite_only
def test_unknown_organization_timeout_and_closed_port(portal: str) -> None:
    with CkanClient(portal) as client, pytest.raises(PortalError, match="ідентифікатор органі"):
        client.organization_show("no-such-org")
    Portal.mode = "slow"
    started = time.monotonic()
    with CkanClient(portal, timeout=0.3) as client, pytest.raises(PortalError, match="0.3 с"):
        client.organization_show("kalush-rada")
    assert time.monotonic() - started < 1.4
    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
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
    # Through the API: the snapshot runs as a background task after the 202.
    response = client.post(f"{base}/portal/snapshots", headers=org["coordinator"])
    assert response.status_code == 202
    with session_scope() as session:
        first = latest_snapshot(session, organization_id=org["id"])
        assert first is not None
        assert first.dataset_count == 7

    Portal.mode = "forbidden"
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

    Portal.mode = "ok"
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
