"""The roles of a multi-host installation as commands (issue 19).

`infoaudit web`     the web app under uvicorn workers; stateless, any number of hosts.
`infoaudit worker`  a Prefect process worker on a work pool; any number of hosts.
`infoaudit deploy`  create or update the work pools and deployments (a worker does it too).
The Prefect server is Prefect's own `prefect server start`; PostgreSQL is PostgreSQL.
`infoaudit serve` (api/serve.py) stays the one-machine bundle of all of them.
"""

import argparse
import os
import socket
import sys
from pathlib import Path

WEB_APP_FACTORY = "api.cli_roles:web_app"


def web_app() -> object:
    """The app each uvicorn worker process builds (an import string for `--workers`)."""
    from api import access_log
    from api.app import create_app

    access_log.install()  # in every worker process: the redaction is per process
    return create_app()


def _web(args: argparse.Namespace) -> int:
    import uvicorn

    from api.serve import production_warnings
    from models.settings import get_settings

    settings = get_settings()
    for warning in production_warnings(settings):
        print(f"Увага: {warning}", file=sys.stderr, flush=True)
    proxies = settings.trusted_proxies.strip()
    print(f"Вебзастосунок: http://{args.host}:{args.port}, процесів: {args.workers}", flush=True)
    uvicorn.run(
        WEB_APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        timeout_graceful_shutdown=20,
    )
    return 0


def _absolute_paths() -> None:
    """Flow runs start in a temporary directory: pin relative paths to the worker's own."""
    data_dir = Path(os.environ.get("INFOAUDIT_DATA_DIR", "data"))
    os.environ["INFOAUDIT_DATA_DIR"] = str(data_dir.resolve())
    url = os.environ.get("INFOAUDIT_DATABASE_URL", "sqlite:///infoaudit.db")
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        os.environ["INFOAUDIT_DATABASE_URL"] = prefix + str(Path(url[len(prefix) :]).resolve())


def _deploy_everything(render_limit: int, interval: int | None) -> None:
    from flows.deployments import apply_deployments
    from models.settings import Settings

    data_dir = Path(os.environ.get("INFOAUDIT_DATA_DIR", "data")).resolve()
    apply_deployments(
        interval_seconds=interval or Settings().advance_interval_seconds,
        monitoring_dir=str(data_dir / "monitoring"),
        render_limit=render_limit,
    )


def _require_api_url() -> str | None:
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        print(
            "Помилка: задайте PREFECT_API_URL (адресу сервера Prefect, напр. "
            "http://prefect.local:4200/api).",
            file=sys.stderr,
        )
    return url


def _deploy(args: argparse.Namespace) -> int:
    if not _require_api_url():
        return 2
    _absolute_paths()
    _deploy_everything(args.render_limit, args.interval)
    print("Пули і розгортання Prefect створено або оновлено.", flush=True)
    return 0


def _worker(args: argparse.Namespace) -> int:
    if not _require_api_url():
        return 2
    _absolute_paths()
    from flows.deployments import HEARTBEAT_SECONDS

    # Flow runs inherit this environment: heartbeats let the zombie automation put back a run
    # whose host died.
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_SECONDS))
    if not args.no_deploy:
        _deploy_everything(args.render_limit, args.interval)
    name = args.name or f"{socket.gethostname()}-{args.pool}-{os.getpid()}"
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", args.pool]
    command += ["--type", "process", "--name", name, "--limit", str(args.limit)]
    print(f"Виконавець {name}: пул {args.pool}, одночасно запусків: {args.limit}", flush=True)
    sys.stdout.flush()
    # Prefect's own worker replaces this process: systemd's signals reach it directly.
    os.execv(sys.executable, command)
    return 0  # pragma: no cover  (execv does not return)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `web`, `worker` and `deploy` to the command line."""
    web = commands.add_parser("web", help="вебзастосунок (без стану; будь-яка кількість хостів)")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--workers", type=int, default=2, help="процесів uvicorn (типово: 2)")
    web.set_defaults(handler=_web)

    worker = commands.add_parser(
        "worker", help="виконавець Prefect на пулі (будь-яка кількість хостів)"
    )
    worker.add_argument("--pool", default="infoaudit", help="infoaudit або infoaudit-render")
    worker.add_argument("--limit", type=int, default=4, help="одночасних запусків на хості")
    worker.add_argument("--name", default=None, help="назва виконавця (типово: хост-пул-pid)")
    worker.add_argument(
        "--no-deploy", action="store_true", help="не оновлювати розгортання під час запуску"
    )
    _deploy_options(worker)
    worker.set_defaults(handler=_worker)

    deploy = commands.add_parser("deploy", help="створити або оновити пули і розгортання Prefect")
    _deploy_options(deploy)
    deploy.set_defaults(handler=_deploy)


def _deploy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--render-limit",
        type=int,
        default=int(os.environ.get("INFOAUDIT_RENDER_POOL_LIMIT", "2")),
        help="звітів, що рендеряться одночасно в усьому пулі infoaudit-render",
    )
    parser.add_argument(
        "--interval",
        type=int,
        default=None,
        help="секунд між обходами циклів (типово: INFOAUDIT_ADVANCE_INTERVAL_SECONDS, 300)",
    )
