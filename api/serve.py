"""`infoaudit serve`: the web app and the scheduled sweep in one process tree."""

import os
import threading
import time
from contextlib import ExitStack

import uvicorn

from api.app import create_app
from models.migrate import upgrade_database
from models.settings import get_settings


def serve(*, host: str, port: int, interval_seconds: int | None = None) -> None:
    """Serve the app (uvicorn, in a thread) and the sweep deployment (Prefect, main thread)."""
    settings = get_settings()
    upgrade_database(settings.database_url)
    interval = interval_seconds or settings.advance_interval_seconds
    with ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            # Prefect's temporary local mode has no scheduler: start a real server.
            from api.prefect_server import local_prefect_server

            print("Запуск локального сервера Prefect…", flush=True)
            api_url = stack.enter_context(local_prefect_server(settings.data_dir.resolve()))
            # Set before Prefect reads its settings (the flows are imported below).
            os.environ["PREFECT_API_URL"] = api_url
        server = uvicorn.Server(uvicorn.Config(create_app(), host=host, port=port))
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

        from flows.sweep import serve_sweep

        serve_sweep(interval_seconds=interval)
        print("Зупинено.", flush=True)
