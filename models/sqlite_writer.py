"""SQLite's one writer: a thread per database that writes queued items in batches.

SQLite takes one writer at a time, and each commit writes every page it touched to the WAL:
for a survey response that is the response and answer tables and their indexes, about ten
pages. Instead of many worker threads queueing for the file (each with its own connection,
whose page cache every other commit invalidates), one thread per database takes what has
queued, handles it on one long-lived connection and commits the batch once. Callers get a
Future that is resolved only once their item is committed (or refused).
"""

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

# A bound on one transaction (and on the wait of the first caller in it).
MAX_BATCH = 256

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


def _changes(connection: Connection) -> int:
    """Rows the connection has inserted, updated or deleted so far (sqlite3's counter)."""
    raw: Any = connection.connection.dbapi_connection
    return int(raw.total_changes)


class _Lane(Generic[Item, Outcome]):
    """One database's queue and, while there is work, its writer thread."""

    def __init__(self) -> None:
        self.ready = threading.Condition()
        self.queue: deque[tuple[Item, Future[Outcome]]] = deque()
        self.running = False


class SqliteWriter(Generic[Item, Outcome]):
    """Runs `handle(connection, item)` for queued items, in batches, one thread per database.

    `handle` may refuse an item by raising before it changes anything: that item fails alone
    and the batch goes on. An error after it changed rows rolls the batch back, and its items
    are then handled again one per transaction, so only the faulty one fails. A writer thread
    ends after `idle_seconds` without work (releasing its connection) and starts again on the
    next item.
    """

    def __init__(
        self, handle: Callable[[Connection, Item], Outcome], *, idle_seconds: float = 5.0
    ) -> None:
        self._handle = handle
        self._idle_seconds = idle_seconds
        self._lanes: WeakKeyDictionary[Engine, _Lane[Item, Outcome]] = WeakKeyDictionary()
        self._lanes_lock = threading.Lock()

    def submit(self, engine: Engine, item: Item) -> "Future[Outcome]":
        """Queue the item for the engine's database; the Future holds its outcome."""
        lane = self._lanes.get(engine)
        if lane is None:
            with self._lanes_lock:
                lane = self._lanes.setdefault(engine, _Lane())
        future: Future[Outcome] = Future()
        with lane.ready:
            lane.queue.append((item, future))
            if lane.running:
                lane.ready.notify()
            else:
                lane.running = True
                threading.Thread(
                    target=self._run, args=(engine, lane), name="sqlite-writer", daemon=True
                ).start()
        return future

    def _take(self, lane: _Lane[Item, Outcome]) -> list[tuple[Item, Future[Outcome]]] | None:
        """What has queued (up to a batch), waiting up to the idle time; None: stop."""
        with lane.ready:
            if not lane.queue:
                lane.ready.wait(self._idle_seconds)
            if not lane.queue:
                lane.running = False  # under the lock: the next submit starts a new thread
                return None
            taken = [lane.queue.popleft() for _ in range(min(len(lane.queue), MAX_BATCH))]
        # A caller that gave up (its request was cancelled) is skipped; the others' futures
        # can no longer be cancelled, so their outcome is always delivered.
        return [(item, future) for item, future in taken if future.set_running_or_notify_cancel()]

    def _run(self, engine: Engine, lane: _Lane[Item, Outcome]) -> None:
        connection: Connection | None = None
        try:
            while (batch := self._take(lane)) is not None:
                if not batch:
                    continue
                try:
                    if connection is None:
                        connection = engine.connect()
                    written = self._write(connection, batch)
                except Exception as error:  # the database itself failed: no caller may hang
                    written = False
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(error)
                if not written and connection is not None:
                    with suppress(Exception):
                        connection.close()  # after a failed batch, start afresh
                    connection = None
        except BaseException as error:  # interrupted: fail what is still queued, then stop
            with lane.ready:
                waiting = list(lane.queue)
                lane.queue.clear()
                lane.running = False
            for _item, future in waiting:
                if future.set_running_or_notify_cancel():
                    future.set_exception(error)
            raise
        finally:
            if connection is not None:
                with suppress(Exception):
                    connection.close()

    def _write(self, connection: Connection, batch: list[tuple[Item, Future[Outcome]]]) -> bool:
        """Handle and commit a batch; False if it had to be rolled back and retried.

        An OperationalError (the file locked past the busy timeout, a disk error) is the
        database's, not an item's: it fails the whole batch at once, instead of each item
        waiting out the busy timeout in turn.
        """
        done: list[tuple[Future[Outcome], Outcome]] = []
        try:
            for item, future in batch:
                before = _changes(connection)
                try:
                    done.append((future, self._handle(connection, item)))
                except OperationalError:
                    raise
                except Exception as error:
                    if _changes(connection) != before:
                        raise  # it had written: the batch cannot be committed as it is
                    future.set_exception(error)  # refused before writing: it fails alone
            connection.commit()
        except OperationalError:
            connection.rollback()
            raise
        except Exception:
            connection.rollback()
            for item, future in batch:
                if not future.done():  # refused ones are; the rest were rolled back
                    self._retry(connection, item, future)
            return False
        for future, outcome in done:
            future.set_result(outcome)
        return True

    def _retry(self, connection: Connection, item: Item, future: "Future[Outcome]") -> None:
        try:
            outcome = self._handle(connection, item)
            connection.commit()
        except OperationalError:
            connection.rollback()
            raise
        except Exception as error:
            connection.rollback()
            future.set_exception(error)
        else:
            future.set_result(outcome)
