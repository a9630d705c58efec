"""`infoaudit db backup` / `db restore`: a cycle written, backed up, restored into a fresh
database and read back through the app; a database with data is never silently replaced."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.cli import main as cli_main
from models.clock import FixedClock
from models.db import _factory, get_engine
from models.migrate import upgrade_database
from models.settings import get_settings
from tests.factories import create_organization, launch, login, plan

PG_URL = os.environ.get("INFOAUDIT_TEST_DATABASE_URL", "")


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    get_engine().dispose()
    monkeypatch.setenv("INFOAUDIT_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    _factory.cache_clear()


def _read_cycle_back(url: str, cycle_id: int, coordinator_email: str, clock: FixedClock) -> None:
    """The restored database serves the cycle to its coordinator as before."""
    with TestClient(create_app(clock=clock, engine=get_engine())) as client:
        headers = login(client, coordinator_email)
        cycle = client.get(f"/api/cycles/{cycle_id}", headers=headers)
        assert cycle.status_code == 200, cycle.text
        assert cycle.json()["order_number"] == "212-р"
        assert cycle.json()["units"] == 3


def _round_trip(
    target_url: str,
    backup: Path,
    client: TestClient,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organization = create_organization(client)
    cycle = launch(client, organization["coordinator"], plan())

    assert cli_main(["db", "backup", str(backup)]) == 0
    assert "Резервну копію записано" in capsys.readouterr().out

    _use(target_url, monkeypatch)
    assert cli_main(["db", "restore", str(backup)]) == 0
    assert "Базу даних відновлено" in capsys.readouterr().out
    _read_cycle_back(target_url, cycle["id"], organization["coordinator_email"], clock)

    # Again over the database that now holds the cycle: refused, nothing changed …
    assert cli_main(["db", "restore", str(backup)]) == 2
    assert "База даних не порожня" in capsys.readouterr().err
    # … unless the administrator insists.
    assert cli_main(["db", "restore", "--force", str(backup)]) == 0
    _read_cycle_back(target_url, cycle["id"], organization["coordinator_email"], clock)


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's online backup; the PG pass runs the other")
def test_sqlite_backup_restores_into_a_fresh_database(
    client: TestClient,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fresh = f"sqlite:///{tmp_path / 'restored' / 'infoaudit.db'}"  # not even created yet
    _round_trip(fresh, tmp_path / "backups" / "infoaudit.db", client, clock, monkeypatch, capsys)
    backup = tmp_path / "backups" / "infoaudit.db"
    assert backup.read_bytes()[:15] == b"SQLite format 3"
    assert sorted(p.name for p in backup.parent.iterdir()) == ["infoaudit.db"]  # no -wal, -shm


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """A second, empty PostgreSQL database beside the test one, migrated, dropped after."""
    url = make_url(PG_URL)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = url.set(database=name).render_as_string(hide_password=False)
    upgrade_database(fresh)  # as `infoaudit db upgrade` leaves a new installation
    yield fresh
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs PostgreSQL")
def test_postgresql_backup_restores_into_a_fresh_database(
    client: TestClient,
    clock: FixedClock,
    fresh_pg: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backup = tmp_path / "infoaudit.pgdump"
    _round_trip(fresh_pg, backup, client, clock, monkeypatch, capsys)
    assert backup.read_bytes()[:5] == b"PGDMP"
    get_engine().dispose()


def test_a_backup_of_another_engine_or_no_backup_at_all_is_refused(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("не копія", encoding="utf-8")
    assert cli_main(["db", "restore", str(stray)]) == 2
    assert "не є резервною копією infoaudit" in capsys.readouterr().err

    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if database_url.startswith("sqlite") else b"SQLite format 3\x00")
    assert cli_main(["db", "restore", str(other)]) == 2
    assert "не можна відновити в базу" in capsys.readouterr().err
