"""SQLite's writer thread on a real SQLite file: queued writes share one commit, each caller
gets its own outcome, a refusal fails alone, a failed write is rolled back alone, each
database has its own writer, and an idle writer stops and starts again."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, event, select
from sqlalchemy.exc import OperationalError

from models.db import make_engine
from models.settings import get_settings
from models.sqlite_writer import SqliteWriter

pytestmark = pytest.mark.sqlite_only  # SQLite's one-writer mechanism

ROWS = Table("row", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
QUEUED = 7


class Refused(Exception):
    """A refusal raised before writing anything."""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writer.db'}")
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()


def insert(connection: Connection, name: str) -> int:
    return int(
        connection.execute(ROWS.insert().values(name=name).returning(ROWS.c.id)).scalar_one()
    )


def stored(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: row_id for row_id, name in connection.execute(select(ROWS.c.id, ROWS.c.name))}


def outcome(future: "Future[int]") -> int | Exception:
    error = future.exception(10)
    return future.result() if error is None else error  # type: ignore[return-value]


def held_writer(
    engine: Engine, *, refuse: str = "", fail: str = ""
) -> tuple[SqliteWriter[str, int], "Future[int]", threading.Event]:
    """A writer busy with "held" until the returned event is set: what is submitted in the
    meantime queues behind it. Names in `refuse` are refused before writing, in `fail`
    fail after writing."""
    held, release = threading.Event(), threading.Event()

    def handle(connection: Connection, name: str) -> int:
        if name == "held":
            held.set()
            assert release.wait(10)
        if name == refuse:
            raise Refused(name)  # before writing: the batch goes on without it
        row_id = insert(connection, name)
        if name == fail:
            raise ValueError(name)  # after writing: the batch must be rolled back
        return row_id

    writer: SqliteWriter[str, int] = SqliteWriter(handle)
    holding = writer.submit(engine, "held")
    assert held.wait(10)
    return writer, holding, release


def write_while_held(
    engine: Engine, *, refuse: str = "", fail: str = ""
) -> tuple[dict[str, int | Exception], int]:
    """w1…w7 queue while "held" is in the writer; then all are let through. Returns each
    item's outcome and how many commits there were."""
    commits: list[None] = []
    event.listen(engine, "commit", lambda _connection: commits.append(None))
    writer, holding, release = held_writer(engine, refuse=refuse, fail=fail)
    futures = {"held": holding} | {
        f"w{n}": writer.submit(engine, f"w{n}") for n in range(1, QUEUED + 1)
    }
    release.set()
    return {name: outcome(future) for name, future in futures.items()}, len(commits)


def test_queued_writes_share_one_commit_and_each_caller_gets_its_own_outcome(
    engine: Engine,
) -> None:
    outcomes, commits = write_while_held(engine)

    rows = stored(engine)
    assert sorted(rows) == ["held", *(f"w{n}" for n in range(1, QUEUED + 1))]
    assert outcomes == rows  # every caller got the id of its own row
    assert commits == 2  # the held first write alone, then the seven that queued behind it


def test_a_refusal_before_writing_fails_alone_and_its_batch_commits_once(engine: Engine) -> None:
    outcomes, commits = write_while_held(engine, refuse="w3")

    rows = stored(engine)
    assert isinstance(outcomes.pop("w3"), Refused)
    assert sorted(rows) == sorted(outcomes)
    assert outcomes == rows
    assert commits == 2  # nothing to undo: the other six still share one commit


def test_a_failure_after_writing_is_rolled_back_alone(engine: Engine) -> None:
    outcomes, commits = write_while_held(engine, fail="w3")

    rows = stored(engine)
    assert "w3" not in rows
    assert isinstance(outcomes.pop("w3"), ValueError)
    assert outcomes == rows
    # The batch of seven was rolled back, then each retried alone: the six good ones land.
    assert commits == 1 + 6


def test_each_database_has_its_own_writer(engine: Engine, tmp_path: Path) -> None:
    """A write for another database neither waits behind this one's nor lands in it."""
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    ROWS.metadata.create_all(other)
    writer, holding, release = held_writer(engine)
    elsewhere = writer.submit(other, "elsewhere")
    elsewhere_id = elsewhere.result(5)  # while the first database's writer is still held
    release.set()

    assert holding.result(10) == stored(engine)["held"]
    assert stored(other) == {"elsewhere": elsewhere_id}
    other.dispose()


def test_an_idle_writer_stops_and_starts_again(engine: Engine) -> None:
    threads: list[threading.Thread] = []

    def handle(connection: Connection, name: str) -> int:
        threads.append(threading.current_thread())
        return insert(connection, name)

    writer: SqliteWriter[str, int] = SqliteWriter(handle, idle_seconds=0.1)
    first = writer.submit(engine, "first").result(10)
    threads[0].join(5)
    assert not threads[0].is_alive()  # it ended and let its connection go
    second = writer.submit(engine, "second").result(10)
    assert threads[1] is not threads[0]  # a new writer took the next one
    assert stored(engine) == {"first": first, "second": second}


def test_a_caller_that_gave_up_is_skipped_and_the_rest_still_land(engine: Engine) -> None:
    """A request cancelled while queued (the resident closed the page) stores nothing, and
    the writer goes on delivering the others' outcomes."""
    writer, holding, release = held_writer(engine)
    gave_up, waited = writer.submit(engine, "gave up"), writer.submit(engine, "waited")
    assert gave_up.cancel()
    release.set()

    assert waited.result(10) == stored(engine)["waited"]
    assert holding.result(10) == stored(engine)["held"]
    assert "gave up" not in stored(engine)


def test_a_locked_database_fails_the_queued_batch_after_one_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the file's write lock past the busy timeout: every queued caller
    gets the error after one wait for its batch, not one wait each, and nothing is stored."""
    monkeypatch.setenv("INFOAUDIT_SQLITE_BUSY_TIMEOUT_MS", "300")
    get_settings.cache_clear()
    path = tmp_path / "locked.db"
    try:
        locked = make_engine(f"sqlite:///{path}")
    finally:
        get_settings.cache_clear()
    ROWS.metadata.create_all(locked)
    writer, holding, release = held_writer(locked)
    queued = [writer.submit(locked, f"w{n}") for n in range(1, QUEUED + 1)]
    locker = sqlite3.connect(path, timeout=0)
    locker.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    release.set()
    errors = [future.exception(60) for future in [holding, *queued]]
    waited = time.monotonic() - started
    locker.rollback()
    locker.close()

    assert all(isinstance(error, OperationalError) for error in errors), errors
    assert waited < 4 * 0.3, waited  # two batches ("held", then the seven): two waits
    assert stored(locked) == {}
    locked.dispose()
