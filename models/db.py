"""Engine and session factory shared by the web app, the flows and the CLI."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from models.settings import get_settings


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _begin_before_savepoint(connection: Connection, _name: str | None) -> None:
    # pysqlite's legacy transaction control (Python < 3.12's default, and SQLAlchemy's) opens a
    # transaction only before INSERT/UPDATE/DELETE. A SAVEPOINT sent first opens one of its own,
    # and its RELEASE then commits: an import with a savepoint per row committed row by row, so
    # one failing at row 10,744 left 10,744 rows. A real transaction is begun first, so the
    # savepoint nests in it and only the session's commit commits. SQLAlchemy's pysqlite notes
    # ("Serializable isolation / Savepoints / Transactional DDL") fix it for every transaction
    # (isolation_level=None and BEGIN on "begin"); that would also make reads before a write
    # part of it, and in WAL mode a write after a stale read fails at once (SQLITE_BUSY_SNAPSHOT)
    # instead of waiting. So only a transaction that takes a savepoint begins early, IMMEDIATE:
    # a savepoint is taken to write, and the write lock is then waited for (busy timeout).
    raw: Any = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for the URL (default: the settings' database URL)."""
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            pool_size=settings.database_pool_size,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        event.listen(engine, "savepoint", _begin_before_savepoint)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=settings.database_pool_size, max_overflow=10
    )


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine()


@lru_cache
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """A session factory bound to the engine (default: the configured one)."""
    return _factory(engine or get_engine())


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def session_scope(engine: Engine | None = None) -> AbstractContextManager[Session]:
    """A transaction for background work and the CLI (default: the configured engine)."""
    return transaction(session_factory(engine))
