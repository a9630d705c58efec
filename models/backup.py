"""Backing up and restoring the whole database: SQLite's online backup, pg_dump/pg_restore.

A backup of SQLite is itself an SQLite file (made page by page while the app keeps running);
a backup of PostgreSQL is pg_dump's custom archive. Each is restored only into the same
engine, and never over a database that holds data unless the administrator insists.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from models.errors import Conflict, DomainError

__all__ = ["BackupError", "backup_database", "database_is_empty", "restore_database"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Alembic's bookkeeping: a database that holds only the schema counts as empty.
BOOKKEEPING_TABLES = {"alembic_version"}


class BackupError(DomainError):
    """A backup or restore that could not be done (the message says why, in Ukrainian)."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Резервна копія бази в пам’яті неможлива: вкажіть файл SQLite.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options and environment (the password never on argv)."""
    options = ["--dbname", url.database or ""]
    if url.host:
        options += ["--host", url.host]
    if url.port:
        options += ["--port", str(url.port)]
    if url.username:
        options += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return options, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"Не знайдено програму {tool}: встановіть клієнт PostgreSQL тієї ж або новішої "
            "версії, що й сервер (Debian: apt install postgresql-client)."
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BackupError(
            f"{what} не вдалося ({tool}, код {result.returncode}): " + " ".join(detail)
        )


def backup_database(database_url: str, destination: Path) -> Path:
    """Write a consistent copy of the database to `destination` (replaced atomically)."""
    url = make_url(database_url)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"Файлу бази даних {source_path} немає: нічого копіювати.")
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # online: pages copied while other connections write
            # One self-contained file: no -wal/-shm beside it once someone opens it.
            target.execute("PRAGMA journal_mode=DELETE")
            if target.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError("Копія бази не пройшла перевірку цілісності SQLite.")
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        options, env = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file",
             str(partial), *options],
            env,
            "Резервне копіювання",
        )  # fmt: skip
    else:
        raise BackupError(f"Резервне копіювання бази {url.get_backend_name()} не підтримується.")
    partial.replace(destination)
    return destination


def database_is_empty(database_url: str) -> bool:
    """True when no table but Alembic's holds a row (a new or only migrated database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return True
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                if table in BOOKKEEPING_TABLES:
                    continue
                quoted = connection.dialect.identifier_preparer.quote(table)
                if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():
                    return False
    finally:
        engine.dispose()
    return True


def _kind_of(backup: Path) -> str:
    try:
        with backup.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Не вдалося прочитати файл {backup}: {exc.strerror}.") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"Файл {backup} не є резервною копією infoaudit (ні файл SQLite, ні архів pg_dump)."
    )


def restore_database(database_url: str, backup: Path, *, force: bool = False) -> None:
    """Replace the database's contents with the backup's; refuse over data without `force`."""
    url = make_url(database_url)
    backup = Path(backup)
    engine_name = url.get_backend_name()
    kind = _kind_of(backup)
    if kind != engine_name:
        raise BackupError(
            f"Копію бази {kind} не можна відновити в базу {engine_name}: відновлюйте в ту саму "
            "систему керування базами даних, з якої копію зроблено."
        )
    if not force and not database_is_empty(database_url):
        raise Conflict(
            "База даних не порожня: відновлення замінить усі її дані. Зупиніть infoaudit, "
            "зробіть копію поточної бази (infoaudit db backup …) і повторіть із --force."
        )
    if kind == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # every page replaced, the target's WAL included
        finally:
            target.close()
            source.close()
        return
    options, env = _libpq(url)
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", *options, str(backup)],
        env,
        "Відновлення",
    )  # fmt: skip
