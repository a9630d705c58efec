"""The command line a new installation starts with: an organization and its coordinator."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli import main as cli_main
from models.account import Account, Role
from models.db import session_scope
from models.organization import Organization
from tests.console_pages import console_login
from tests.factories import PASSWORD


def test_organization_create_then_the_coordinator_logs_in(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOAUDIT_NEW_PASSWORD", PASSWORD)
    code = cli_main(
        [
            "organization",
            "create",
            "--name",
            "Калуська міська рада",
            "--edrpou",
            "04054636",
            "--coordinator-email",
            "koordynator@example.org",
        ]
    )
    assert code == 0
    assert "Створено організацію" in capsys.readouterr().out
    with session_scope() as session:
        organization = session.scalars(select(Organization)).one()
        account = session.scalars(select(Account)).one()
    assert (organization.name, organization.edrpou) == ("Калуська міська рада", "04054636")
    assert (account.role, account.organization_id) == (Role.COORDINATOR, organization.id)
    console_login(client, "koordynator@example.org")
    assert "Калуська міська рада" in client.get("/console").text


@pytest.mark.usefixtures("database_url")
def test_organization_create_refuses_bad_input_in_ukrainian(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOAUDIT_NEW_PASSWORD", "short")
    args = ["organization", "create", "--name", "Рада", "--coordinator-email", "a@example.org"]
    assert cli_main([*args, "--edrpou", "123"]) == 2
    errors = capsys.readouterr().err
    assert "Помилка: edrpou:" in errors
    assert "Помилка: coordinator.password:" in errors
    monkeypatch.setenv("INFOAUDIT_NEW_PASSWORD", PASSWORD)
    assert cli_main(args) == 0
    assert cli_main([*args[:-1], "b@example.org"]) == 2
    assert "Організація «Рада» вже існує." in capsys.readouterr().err
    with session_scope() as session:
        assert len(session.scalars(select(Organization)).all()) == 1


def test_a_failed_demo_says_what_to_do_in_ukrainian_never_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOAUDIT_", "PREFECT_"))}
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
        cwd=tmp_path,
        env={
            **env,
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            "INFOAUDIT_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/demo.db",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Помилка: демонстрацію перервано" in result.stderr
    assert "Traceback" not in result.stderr
    log = out / "demo-error.log"
    assert f"Подробиці для розробників: {log.resolve()}" in result.stderr
    assert "Traceback" in log.read_text(encoding="utf-8")
