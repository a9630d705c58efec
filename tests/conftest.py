"""Shared fixtures: a real database per test (SQLite file or PostgreSQL), one Prefect harness.

Set INFOAUDIT_TEST_DATABASE_URL=postgresql+psycopg://… to run the suite on PostgreSQL.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

# As the CLI does: Prefect's test server must not phone home (no network here; it logged a
# DNS error and held its SQLite file while trying).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import create_engine, text

from api.app import create_app
from api.demo.pki import TestPki, make_pki
from models import Base
from models.clock import FixedClock
from models.db import _factory, get_engine
from models.migrate import upgrade_database
from models.settings import get_settings
from tests.factories import at

PG_URL = os.environ.get("INFOAUDIT_TEST_DATABASE_URL")


def pytest_report_header() -> str:
    """Say which database the run uses."""
    return f"infoaudit database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite files'}"


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """Prefect's temporary local API, once per test session (never nested)."""
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The schema built by `alembic upgrade head`, once; tests get copies or a truncated PG."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade_database(PG_URL)
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{template}")
    return str(template)


def _reset_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    _factory.cache_clear()


@pytest.fixture
def database_url(
    migrated_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh database for this test: a copy of the migrated SQLite file, or PG truncated."""
    if PG_URL:
        engine = create_engine(PG_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        url = PG_URL
    else:
        path = tmp_path / "infoaudit.db"
        shutil.copyfile(migrated_database, path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("INFOAUDIT_DATABASE_URL", url)
    monkeypatch.setenv("INFOAUDIT_BASE_URL", "http://testserver")
    _reset_caches()
    yield url
    get_engine().dispose()
    _reset_caches()


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """A throw-away root CA and a signer certificate with non-repudiation, as PKCS#12."""
    return make_pki()


@pytest.fixture
def clock() -> FixedClock:
    """The injectable clock, set to the seed's order date."""
    return FixedClock(at("2024-09-23", 9))


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> FastAPI:
    """The real app on the test database with the test clock."""
    return create_app(clock=clock, engine=get_engine())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under real uvicorn on a loopback port (for browsers); yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it
# lives, which breaks later code that calls asyncio.run() (pyHanko's signing does).
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
