"""Run a real local Prefect server as a child process.

Prefect's temporary local mode (no PREFECT_API_URL) spins up an ephemeral server that runs
no scheduler, so interval schedules never fire there. `infoaudit serve` and the CI scheduler
test therefore start `prefect server start` themselves, with its SQLite database kept under
our data directory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from api.lifetime import die_with_parent, stop_process_group

__all__ = [
    "PrefectServerError",
    "local_prefect_server",
    "port_is_free",
    "prefect_api_env",
    "stop_process_group",
]

HOST = "127.0.0.1"
LOG_TAIL_LINES = 40

# Settings that would point the server at someone else's API, profile or database.
_INHERITED_VARS_TO_DROP = (
    "PREFECT_API_URL",
    "PREFECT_API_KEY",
    "PREFECT_PROFILE",
    "PREFECT_PROFILES_PATH",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_API_DATABASE_CONNECTION_URL",
)


class PrefectServerError(RuntimeError):
    """The local Prefect server failed to start or become healthy."""


def prefect_api_env(api_url: str) -> dict[str, str]:
    """Return the environment variables that point a Prefect client at `api_url`."""
    # Only env vars: Prefect reads its settings once at import, so callers that already
    # imported prefect must also use `prefect.settings.temporary_settings` in-process.
    return {"PREFECT_API_URL": api_url}


def _free_port() -> int:
    """Return a TCP port on HOST that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on `host`:`port` (so a server can bind it now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: connections of a server stopped a moment ago (TIME_WAIT) do not
        # keep a restarted one from its port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _prefect_command() -> list[str]:
    """Return the command that runs the Prefect CLI of the current interpreter."""
    # Using our own interpreter keeps the server on the same venv and pinned versions.
    return [sys.executable, "-m", "prefect"]


def _server_env(prefect_home: Path) -> dict[str, str]:
    """Return the environment for the server process, isolated under `prefect_home`."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_VARS_TO_DROP}
    env.update(
        {
            "PREFECT_HOME": str(prefect_home),
            "PREFECT_API_DATABASE_CONNECTION_URL": (
                f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"
            ),
            # No phoning home and no UI bundle to copy: both only slow down startup.
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            # The scheduler is the whole point of running a real server.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true",
            # Rich would otherwise colour the log file and wrap it at 80 columns.
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of the server log, or a note if it is unreadable."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {log_path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(
    proc: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout: float
) -> None:
    """Block until GET /api/health answers 200; raise PrefectServerError otherwise."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            code = proc.poll()
            if code is not None:
                raise PrefectServerError(
                    f"Prefect server exited with code {code} before becoming healthy; "
                    f"last lines of {log_path}:\n{_log_tail(log_path)}"
                )
            try:
                if client.get(f"{base_url}/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # Not listening yet (migrations run before uvicorn binds the port).
            if time.monotonic() > deadline:
                raise PrefectServerError(
                    f"Prefect server at {base_url} not healthy after {timeout:.0f} s; "
                    f"last lines of {log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(0.25)


@contextlib.contextmanager
def local_prefect_server(
    data_dir: Path, port: int | None = None, startup_timeout: float = 90
) -> Iterator[str]:
    """Run `prefect server start` with SQLite under `data_dir`; yield its API URL."""
    prefect_home = Path(data_dir).resolve() / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    log_path = prefect_home / "server.log"
    port = port or _free_port()
    base_url = f"http://{HOST}:{port}"
    cmd = [*_prefect_command(), "server", "start", "--host", HOST, "--port", str(port)]

    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=_server_env(prefect_home),
            cwd=prefect_home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: we can signal the whole tree, and a Ctrl-C in our terminal
            # does not kill the server before we have stopped what depends on it.
            start_new_session=True,
            # A single prctl call: safe to run between fork and exec.
            preexec_fn=die_with_parent,
        )
        try:
            _wait_healthy(proc, base_url, log_path, startup_timeout)
            yield f"{base_url}/api"
        finally:
            stop_process_group(proc)
