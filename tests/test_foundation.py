"""Settings, periodicity, security helpers and the migration history."""

import io
from contextlib import redirect_stdout

import pytest
import yaml
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from api.demo.runner import load_seed
from models.db import get_engine
from models.migrate import alembic_config
from models.periodicity import (
    BasePeriod,
    Periodicity,
    PeriodicityError,
    parse_periodicity,
    split_note,
)
from models.security import hash_password, verify_password
from models.settings import DEVELOPMENT_SECRET_KEY, Settings
from tests.factories import create_organization


@pytest.mark.sqlite_only
def test_default_secret_key_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="INFOAUDIT_SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40
    assert Settings().secret_key == DEVELOPMENT_SECRET_KEY


@pytest.mark.sqlite_only
def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOAUDIT_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5432/x")
    monkeypatch.setenv("INFOAUDIT_SMTP_PORT", "2525")
    settings = Settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.smtp_port == 2525
    assert not settings.is_sqlite


def test_sqlite_pragmas(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    with get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


@pytest.mark.sqlite_only
def test_every_seed_periodicity_parses_and_round_trips() -> None:
    phrases = {row["periodicity"] for row in load_seed()["register"]}
    assert len(phrases) >= 10
    for phrase in phrases:
        head, _note = split_note(phrase)
        parsed = parse_periodicity(head)
        assert parse_periodicity(str(parsed)) == parsed


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("щороку", Periodicity(base=BasePeriod.ANNUAL)),
        ("щопівроку та в міру потреби", Periodicity(base=BasePeriod.SEMIANNUAL, as_needed=True)),
        (
            "позапланово (протягомтрьохробочихднів з моменту внесеннязмін)",
            Periodicity(unscheduled=True, on_change_days=3),
        ),
        (
            "щоквартально протягом 35 днів після закінчення звітного кварталу",
            Periodicity(base=BasePeriod.QUARTERLY, lag_days=35),
        ),
    ],
)
def test_periodicity_phrases(phrase: str, expected: Periodicity) -> None:
    assert parse_periodicity(phrase) == expected


@pytest.mark.parametrize("phrase", ["раз на ніколи", "", "щороку та", "щомиті"])
@pytest.mark.sqlite_only
def test_unknown_periodicity_is_an_error(phrase: str) -> None:
    with pytest.raises(PeriodicityError, match="періодичність"):
        parse_periodicity(phrase)


@pytest.mark.sqlite_only
def test_passwords_are_hashed() -> None:
    hashed = hash_password("correct-horse-battery")
    assert hashed.startswith("$argon2")
    assert "correct-horse-battery" not in hashed
    assert verify_password(hashed, "correct-horse-battery")
    assert not verify_password(hashed, "wrong")


def test_migrations_match_the_models(database_url: str) -> None:
    """`alembic check`: the migration history builds exactly what the models declare."""
    config = alembic_config(database_url)
    with redirect_stdout(io.StringIO()):
        command.check(config)  # raises on drift
    tables = set(inspect(get_engine()).get_table_names())
    assert {"audit_cycle", "stage", "register_entry", "audit_event", "report_version"} <= tables


@pytest.mark.sqlite_only
def test_demo_seed_has_no_real_official_names() -> None:
    """The demo invents every person's name; the seed's officials must not appear."""
    seed = load_seed()
    text = yaml.safe_dump(seed, allow_unicode=True)
    for real_surname in ("Лилак", "Федьків"):  # officials named in the seed's Annex 1
        assert real_surname not in text


def test_a_request_commits_before_its_response_is_sent(live_server: str) -> None:
    """A client that got "saved" must find it saved: the commit precedes the response."""
    import time

    import httpx
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import Session

    from models.db import session_scope
    from models.organization import Organization

    def slow_commit(_session: Session) -> None:
        time.sleep(0.5)  # widens the window in which a late commit would be seen

    event.listen(Session, "before_commit", slow_commit)
    try:
        created = httpx.post(
            f"{live_server}/api/organizations",
            json={
                "name": "Рада, що чекає на коміт",
                "coordinator": {"email": "commit@example.org", "password": "correct-horse-battery"},
            },
            timeout=30,
        )
    finally:
        event.remove(Session, "before_commit", slow_commit)
    assert created.status_code == 201, created.text
    with session_scope() as session:
        assert session.scalar(select(func.count(Organization.id))) == 1


def test_a_slow_import_does_not_hold_up_other_requests(
    client: TestClient, live_server: str
) -> None:
    """Routes that read a body or a form still do their database work in a worker thread, so
    one slow import never stalls the event loop (and every resident's submission with it)."""
    import threading
    import time

    import httpx
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    organization = create_organization(client)
    flushing, release = threading.Event(), threading.Event()

    def slow_flush(_session: Session, *_: object) -> None:
        if not flushing.is_set():
            flushing.set()
            release.wait(5)  # the import stays in its database work until released

    imported: list[int] = []

    def import_register() -> None:
        response = httpx.post(
            f"{live_server}/api/organizations/{organization['id']}/register/import",
            headers=organization["coordinator"],
            content=(
                "№ з/п,Найменування набору даних,Структурний підрозділ,Відповідальна особа,"
                "Періодичність оприлюднення\n1.,Перелік об’єктів,Загальний відділ,,щороку\n"
            ).encode(),
            timeout=30,
        )
        imported.append(response.status_code)

    event.listen(Session, "before_flush", slow_flush)
    try:
        importer = threading.Thread(target=import_register)
        importer.start()
        assert flushing.wait(10)
        started = time.monotonic()
        try:
            health = httpx.get(f"{live_server}/api/health", timeout=3).status_code
        except httpx.TimeoutException:
            health = 0
        waited = time.monotonic() - started
        release.set()
        importer.join(30)
    finally:
        event.remove(Session, "before_flush", slow_flush)
    assert health == 200
    assert waited < 2, waited
    assert imported == [201]
