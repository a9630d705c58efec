"""Alembic environment: the models' metadata and the settings' database URL."""

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

import models
from models.base import AwareDateTime
from models.db import make_engine
from models.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.Base.metadata


def _url() -> str:
    # Precedence: a connection handed in by code, `-x url=...`, the config's URL (set by code),
    # then INFOAUDIT_DATABASE_URL.
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or get_settings().database_url
    )


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Our TypeDecorator stores a plain timezone-aware timestamp: migrations need not import it.
    if type_ == "type" and isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
        render_item=_render_item,
        literal_binds=connection is None,
    )


def _sqlite_foreign_keys_off(connection: Connection) -> None:
    # Batch mode rebuilds a table by dropping it, and with foreign keys on SQLite's DROP TABLE
    # deletes the rows first, cascading to every table that refers to it. Off before any
    # write (the pragma is a no-op inside a transaction); the engine is disposed afterwards.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")


def _sqlite_foreign_key_check(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"Migrations left rows with broken foreign keys: {broken[:5]}")


def run_migrations_offline() -> None:
    """Emit SQL without a database."""
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _sqlite_foreign_keys_off(connection)
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
            _sqlite_foreign_key_check(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _sqlite_foreign_keys_off(conn)
            conn.commit()  # end the pragma's autobegun transaction: Alembic begins its own
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
                _sqlite_foreign_key_check(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
