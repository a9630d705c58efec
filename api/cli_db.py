"""`infoaudit db backup FILE` and `infoaudit db restore FILE [--force]`."""

import argparse
import time
from pathlib import Path
from typing import Any


def _backup(args: argparse.Namespace) -> int:
    from models.backup import backup_database
    from models.settings import get_settings

    started = time.monotonic()
    path = backup_database(get_settings().database_url, Path(args.file))
    size_mb = path.stat().st_size / 1024 / 1024
    print(  # noqa: T201 - a command line talks through print
        f"Резервну копію записано: {path.resolve()} ({size_mb:.1f} МБ, "
        f"{time.monotonic() - started:.1f} с)."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from models.backup import restore_database
    from models.migrate import upgrade_database
    from models.settings import get_settings

    url = get_settings().database_url
    restore_database(url, Path(args.file), force=args.force)
    # A copy made by an older release gets this release's schema straight away.
    upgrade_database(url)
    print(  # noqa: T201
        f"Базу даних відновлено з {Path(args.file).resolve()} і оновлено до поточної схеми. "
        "Тепер запустіть infoaudit знову."
    )
    return 0


def add_db_commands(db_commands: Any) -> None:
    """Add `backup` and `restore` to the `infoaudit db` sub-commands."""
    backup = db_commands.add_parser(
        "backup",
        help="резервна копія бази (SQLite: онлайн-копія файлу; PostgreSQL: pg_dump)",
        description="Можна робити під час роботи сервісу. Наявний ФАЙЛ буде замінено.",
    )
    backup.add_argument("file", metavar="ФАЙЛ", help="куди записати копію")
    backup.set_defaults(handler=_backup)

    restore = db_commands.add_parser(
        "restore",
        help="відновити базу з резервної копії (спершу зупиніть сервіс)",
        description="Відновлює лише в порожню базу; базу з даними замінює тільки з --force.",
    )
    restore.add_argument("file", metavar="ФАЙЛ", help="резервна копія (infoaudit db backup)")
    restore.add_argument(
        "--force", action="store_true", help="замінити дані наявної бази даними копії"
    )
    restore.set_defaults(handler=_restore)
