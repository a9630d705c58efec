"""Issue 16: an import is taken whole or not at all, on SQLite and PostgreSQL, is bounded, and
only a taken import leaves an audit-trail event.

The failure at the last row is real: a database trigger refuses that row's INSERT (as a disk
error or a constraint would), after every earlier row was written.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from models import tabular
from models.actor import SYSTEM
from models.db import get_engine, session_scope
from models.event import AuditEvent
from models.organization import Unit
from models.register import RegisterEntry
from models.services.organizations import import_units
from models.tabular import MAX_TABLE_ROWS
from tests.factories import at, create_organization

LAST = "Відділ, що зупиняє імпорт"
ROWS = 300


@pytest.fixture
def refusing_trigger(database_url: str) -> Iterator[None]:
    """The database refuses to insert a unit named LAST (a real failure mid-import)."""
    engine = get_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_last BEFORE INSERT ON unit "
                    f"WHEN NEW.name = '{LAST}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_last() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.name = '{LAST}' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_last BEFORE INSERT ON unit "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_last()"
                )
            )
    yield
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER refuse_last"))
        else:
            conn.execute(text("DROP TRIGGER refuse_last ON unit"))
            conn.execute(text("DROP FUNCTION refuse_last()"))


def _counts(organization_id: int) -> tuple[int, list[str]]:
    with session_scope() as session:
        units = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.organization_id == organization_id)
        )
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("%imported"))
        ).all()
    return int(units or 0), list(events)


def _table(last: list[str]) -> list[list[str]]:
    rows = [["Назва", "Вид", "Керівник", "Пошта"]]
    rows += [[f"Відділ № {n}", "", "", f"unit{n}@example.org"] for n in range(ROWS)]
    return [*rows, last]


def test_a_unit_import_failing_at_its_last_row_leaves_nothing(
    client: TestClient, refusing_trigger: None
) -> None:
    org = create_organization(client)
    before = _counts(org["id"])
    # The database refuses the last row after 300 were written: nothing stays, no event.
    with pytest.raises(DBAPIError), session_scope() as session:
        import_units(
            session, organization_id=org["id"], rows=_table([LAST]), actor=SYSTEM,
            at=at("2024-09-24"),
        )  # fmt: skip
    assert _counts(org["id"]) == before
    # A row refused by the rules at the end: the table is refused whole, again no event.
    with session_scope() as session:
        result = import_units(
            session,
            organization_id=org["id"],
            rows=_table(["Відділ спорту", "відомство", "", ""]),
            actor=SYSTEM,
            at=at("2024-09-24"),
        )
    assert result.added == []
    assert len(result.errors) == 1
    assert result.errors[0].startswith(f"Рядок {ROWS + 2}, стовпець «Вид»: «відомство»")
    assert _counts(org["id"]) == before
    # The same table, corrected: taken whole, with its event.
    with session_scope() as session:
        result = import_units(
            session, organization_id=org["id"], rows=_table(["Відділ спорту"]), actor=SYSTEM,
            at=at("2024-09-24"),
        )  # fmt: skip
    assert len(result.added) == ROWS + 1
    assert _counts(org["id"]) == (before[0] + ROWS + 1, [*before[1], "units.imported"])


def test_a_savepoint_commits_nothing_before_the_transaction_does(client: TestClient) -> None:
    org = create_organization(client)
    before = _counts(org["id"])[0]

    class Stop(Exception):
        pass

    def three_savepoints_then_fail() -> None:
        with session_scope() as session:
            for n in range(3):
                with session.begin_nested():  # each released: nested, not committed
                    session.add(Unit(organization_id=org["id"], name=f"Тимчасовий {n}"))
            raise Stop

    with pytest.raises(Stop):
        three_savepoints_then_fail()
    assert _counts(org["id"])[0] == before


def test_register_imports_through_the_api_are_whole_bounded_and_recorded(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = create_organization(client)
    api = f"/api/organizations/{org['id']}/register"

    def row(n: int) -> dict[str, Any]:
        return {"number": n, "name": f"Набір {n}", "units": ["Загальний відділ"],
                "periodicity": "щороку"}  # fmt: skip

    rows = [row(n) for n in range(1, 51)]
    bad_last = [*rows[:-1], {**rows[-1], "units": ["Немає такого підрозділу"]}]
    refused = client.post(api, headers=org["coordinator"], json=bad_last)
    assert refused.status_code == 422
    assert "Рядок 50" in refused.json()["detail"]

    def state() -> tuple[int, list[str]]:
        with session_scope() as session:
            entries = session.scalar(select(func.count()).select_from(RegisterEntry))
            events = session.scalars(
                select(AuditEvent.action).where(AuditEvent.action == "register.imported")
            ).all()
        return int(entries or 0), list(events)

    assert state() == (0, [])
    assert client.post(api, headers=org["coordinator"], json=rows).status_code == 201
    assert state() == (50, ["register.imported"])

    # A list over the cap is refused before anything is written, naming the limit.
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 10)
    more = [row(n) for n in range(101, 112)]
    too_many = client.post(api, headers=org["coordinator"], json=more)
    assert too_many.status_code == 413
    assert "не більше 10." in too_many.json()["detail"]
    assert state() == (50, ["register.imported"])
    monkeypatch.undo()

    # The file import too: an exported register re-imports whole, replacing, with its event.
    exported = client.get(f"{api}/export?format=csv", headers=org["coordinator"])
    assert exported.status_code == 200
    answer = client.post(
        f"{api}/import?format=csv&replace=true",
        headers={**org["coordinator"], "Content-Type": "text/csv"},
        content=exported.content,
    )
    assert answer.status_code == 201, answer.text
    assert state() == (50, ["register.imported", "register.imported"])
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/api/organizations/{organization_id}/register"]["post"]
    assert body["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == (
        MAX_TABLE_ROWS
    )
