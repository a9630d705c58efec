"""`infoaudit serve`: the web app and the scheduled sweep in one process tree."""

import os
import sys
import threading
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import uvicorn

from api import access_log
from api.app import create_app
from models.migrate import upgrade_database
from models.settings import MIN_SECRET_KEY, Settings, get_settings

# Prefect's own default port: the one its documentation and `prefect server start` use.
DEFAULT_PREFECT_PORT = 4200
# secrets.token_urlsafe(32): 256 bits. Shorter keys pass (down to MIN_SECRET_KEY) with a warning.
RECOMMENDED_SECRET_KEY = 43


def production_warnings(settings: Settings) -> list[str]:
    """What an administrator should fix before people use this installation."""
    if settings.environment == "development":
        return []
    host = urlsplit(settings.base_url).hostname or ""
    warnings = []
    if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
        warnings.append(
            f"INFOAUDIT_BASE_URL={settings.base_url}: посилання в листах і QR-коді вестимуть на "
            "цей комп’ютер. Задайте адресу, за якою сайт бачать люди (https://…)."
        )
    if urlsplit(settings.base_url).scheme != "https":
        warnings.append("INFOAUDIT_BASE_URL не починається з https://: паролі підуть відкрито.")
    key = settings.secret_key.strip()
    if len(key) < RECOMMENDED_SECRET_KEY or len(set(key)) < 16:
        warnings.append(
            f"INFOAUDIT_SECRET_KEY короткий або одноманітний ({len(key)} символів, "
            f"{len(set(key))} різних; мінімум {MIN_SECRET_KEY}, радимо {RECOMMENDED_SECRET_KEY}+ "
            "випадкових). Згенеруйте його один раз: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))' — нова заміна ключа робить недійсними всі "
            "посилання підрозділів і сесії."
        )
    if os.environ.get("INFOAUDIT_PORTAL_TOKEN"):
        # Removed with per-organization keys: an upgraded installation would publish nothing.
        warnings.append(
            "INFOAUDIT_PORTAL_TOKEN більше не використовується: ключ API порталу кожна "
            "організація задає сама на сторінці «Підрозділи» (він надсилається лише на її портал)."
        )
    return warnings


def web_config(settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for the web app."""
    # X-Forwarded-For decides the survey's rate limit: believed only from the proxies the
    # administrator names (none by default), never from whoever connects.
    proxies = settings.trusted_proxies.strip()
    return uvicorn.Config(
        create_app(settings=settings),
        host=host,
        port=port,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


def serve(
    *,
    host: str,
    port: int,
    interval_seconds: int | None = None,
    prefect_port: int | None = DEFAULT_PREFECT_PORT,
) -> None:
    """Serve the app (uvicorn, in a thread) and the sweep deployment (Prefect, main thread).

    With `prefect_port`, a Prefect server of our own is started on it; PREFECT_API_URL must
    already point there before Prefect is first imported (`infoaudit serve` does that). With
    None, PREFECT_API_URL names a Prefect server run elsewhere.

    Returns when stopped (Ctrl+C, SIGTERM, SIGHUP): `Stopped` or KeyboardInterrupt raised
    anywhere in between unwinds the web thread and the Prefect server on the way out.
    """
    settings = get_settings()
    for warning in production_warnings(settings):
        print(f"Увага: {warning}", file=sys.stderr, flush=True)
    upgrade_database(settings.database_url)
    interval = interval_seconds or settings.advance_interval_seconds
    with ExitStack() as stack:
        if prefect_port is not None:
            # Prefect's temporary local mode has no scheduler: start a real server.
            from api.prefect_server import local_prefect_server, port_is_free

            if not port_is_free("127.0.0.1", prefect_port):
                raise ValueError(
                    f"порт {prefect_port} для сервера Prefect уже зайнятий (інший infoaudit "
                    "serve або prefect server?). Зупиніть його або вкажіть --prefect-port."
                )
            print(f"Запуск локального сервера Prefect (порт {prefect_port})…", flush=True)
            api_url = stack.enter_context(
                local_prefect_server(settings.data_dir.resolve(), port=prefect_port)
            )
            os.environ["PREFECT_API_URL"] = api_url  # for child processes: flow runs
        access_log.install()
        server = uvicorn.Server(web_config(settings, host=host, port=port))
        web = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        web.start()
        stack.callback(web.join, 10)
        stack.callback(setattr, server, "should_exit", True)
        while not server.started and web.is_alive():
            time.sleep(0.05)
        if not web.is_alive():
            raise RuntimeError(f"Не вдалося запустити вебсервер на {host}:{port}.")
        print(f"Вебзастосунок: http://{host}:{port} (документація API: /docs)", flush=True)
        print(f"Обхід активних циклів: кожні {interval} с; зупинити: Ctrl+C", flush=True)

        from api.lifetime import bound_the_stop
        from flows.sweep import serve_sweep

        # A stop that hangs (its Prefect server gone, the runner retrying it) still ends.
        serve_sweep(interval_seconds=interval, on_sigterm=lambda: bound_the_stop(0))
