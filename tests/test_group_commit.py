"""Group commit on a real SQLite file: queued writes share one transaction, each caller gets
its own outcome, and a write that fails is rolled back alone."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, event, select

from models.db import make_engine
from models.group_commit import GroupCommit

ROWS = Table("row", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
WRITERS = 8

pytestmark = pytest.mark.sqlite_only  # SQLite's one-writer mechanism


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'group.db'}")
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()


def run_writers(engine: Engine, fail: set[str]) -> tuple[dict[str, Any], int]:
    """Eight threads write one row each while the first write is held, so the other seven
    queue behind it; returns each thread's outcome (an id or the error) and the commits."""
    commits: list[None] = []
    event.listen(engine, "commit", lambda _connection: commits.append(None))
    first_started, release_first = threading.Event(), threading.Event()

    def write(connection: Connection, name: str) -> int:
        if name == "w0":
            first_started.set()
            assert release_first.wait(10)
        row_id = connection.execute(
            ROWS.insert().values(name=name).returning(ROWS.c.id)
        ).scalar_one()
        if name in fail:
            raise ValueError(f"refused {name}")  # after its insert: that must be rolled back
        return int(row_id)

    writes = GroupCommit(write)
    outcomes: dict[str, Any] = {}

    def writer(name: str) -> None:
        with engine.connect() as connection:
            try:
                outcomes[name] = writes(connection, name)
            except ValueError as error:
                outcomes[name] = error

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(WRITERS)]
    threads[0].start()
    assert first_started.wait(10)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(writes._lane(engine).queue) < WRITERS - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    release_first.set()
    for thread in threads:
        thread.join(10)
    return outcomes, len(commits)


def stored(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: row_id for row_id, name in connection.execute(select(ROWS.c.id, ROWS.c.name))}


def test_queued_writes_share_one_commit_and_each_caller_gets_its_own_outcome(
    engine: Engine,
) -> None:
    outcomes, commits = run_writers(engine, fail=set())

    rows = stored(engine)
    assert sorted(rows) == [f"w{n}" for n in range(WRITERS)]
    assert outcomes == rows  # every caller got the id of its own row
    assert commits == 2  # the held first write alone, then the seven that queued behind it


def test_a_failing_write_is_rolled_back_alone_and_its_batch_still_lands(engine: Engine) -> None:
    outcomes, commits = run_writers(engine, fail={"w3"})

    rows = stored(engine)
    assert "w3" not in rows
    assert sorted(rows) == [f"w{n}" for n in range(WRITERS) if n != 3]
    assert isinstance(outcomes.pop("w3"), ValueError)
    assert outcomes == rows
    # The batch of seven failed once, was rolled back, and its six good writes were retried
    # one by one: 1 + 6 commits.
    assert commits == 7


def test_each_database_has_its_own_queue(engine: Engine, tmp_path: Path) -> None:
    """A write for another database neither waits behind this one's writer nor lands in it."""
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    ROWS.metadata.create_all(other)
    held, release = threading.Event(), threading.Event()

    def write(connection: Connection, name: str) -> int:
        if name == "held":
            held.set()
            assert release.wait(10)
        return int(
            connection.execute(ROWS.insert().values(name=name).returning(ROWS.c.id)).scalar_one()
        )

    writes = GroupCommit(write)

    def writer(on: Engine, name: str) -> None:
        with on.connect() as connection:
            writes(connection, name)

    holder = threading.Thread(target=writer, args=(engine, "held"))
    holder.start()
    assert held.wait(10)
    elsewhere = threading.Thread(target=writer, args=(other, "elsewhere"))
    elsewhere.start()
    elsewhere.join(5)
    finished_while_held = not elsewhere.is_alive()
    release.set()
    holder.join(10)
    elsewhere.join(10)

    assert finished_while_held
    assert list(stored(engine)) == ["held"]
    assert list(stored(other)) == ["elsewhere"]
    other.dispose()
