"""Group commit: writes from many threads, one transaction per batch (SQLite's one writer).

SQLite takes one writer at a time, and each commit writes every page it touched to the WAL:
for a survey response that is the response and answer tables and their indexes, about ten
pages. Threads that queue behind the writer lock therefore hand their writes to whichever of
them holds it, and it writes everything queued in one transaction: one commit for the batch,
pages shared. Each caller still returns only once its own write is committed.
"""

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class _Pending(Generic[Item, Outcome]):
    """One caller's write: set by the thread that writes it, read by its caller."""

    __slots__ = ("item", "done", "outcome", "error")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = False
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None


class _Lane(Generic[Item, Outcome]):
    """One database's writer lock and the writes queued for it."""

    __slots__ = ("lock", "queue")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: deque[_Pending[Item, Outcome]] = deque()  # append/popleft are atomic


class GroupCommit(Generic[Item, Outcome]):
    """Serialises `write(connection, item)` calls and commits them in batches.

    A batch that fails is rolled back and its writes are retried one by one, so a refused
    write (say, an invitation code already used) fails alone and its neighbours still land.
    """

    def __init__(self, write: Callable[[Connection, Item], Outcome]) -> None:
        self._write = write
        # One queue per database: a batch is written on one caller's connection, so it must
        # hold only writes meant for that connection's database.
        self._lanes: WeakKeyDictionary[Engine, _Lane[Item, Outcome]] = WeakKeyDictionary()
        self._lanes_lock = threading.Lock()

    def _lane(self, engine: Engine) -> "_Lane[Item, Outcome]":
        lane = self._lanes.get(engine)
        if lane is None:
            with self._lanes_lock:
                lane = self._lanes.setdefault(engine, _Lane())
        return lane

    def __call__(self, connection: Connection, item: Item) -> Outcome:
        """Write the item (possibly with others, on this connection) and return its outcome."""
        lane = self._lane(connection.engine)
        pending: _Pending[Item, Outcome] = _Pending(item)
        lane.queue.append(pending)
        with lane.lock:
            if not pending.done:  # else the previous holder wrote it while this thread waited
                batch = []
                while lane.queue:
                    batch.append(lane.queue.popleft())
                self._write_batch(connection, batch)
        if pending.error is not None:
            raise pending.error
        return pending.outcome  # type: ignore[return-value]

    def _write_batch(self, connection: Connection, batch: list[_Pending[Item, Outcome]]) -> None:
        try:
            outcomes = [self._write(connection, pending.item) for pending in batch]
            connection.commit()
        except Exception as error:
            connection.rollback()
            if len(batch) == 1:
                batch[0].error, batch[0].done = error, True
            else:
                for pending in batch:
                    self._write_batch(connection, [pending])
            return
        except BaseException as error:  # interrupted: nothing of the batch was committed
            connection.rollback()
            for pending in batch:
                pending.error, pending.done = error, True
            raise
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.outcome, pending.done = outcome, True
