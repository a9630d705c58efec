"""A real Prefect server must schedule and run an interval deployment end to end.

Guards against upgrades that break Prefect's server or scheduler (e.g. SQLAlchemy 2.1's
"Can't evaluate bulk DML statement", FastAPI >= 0.155 breaking the server import).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.prefect_server import local_prefect_server, prefect_api_env, stop_process_group

# Recent-deployments scheduler (5 s loop) + runner poll + two Python start-ups fit well inside.
RUN_DEADLINE_S = 120.0

SERVE_SCRIPT = """\
from datetime import timedelta
from pathlib import Path

from prefect import flow

# Hard-coded: the runner executes each flow run in a fresh process that re-imports this file.
MARKER = Path({marker!r})


@flow(name="infoaudit-tick")
def tick() -> None:
    with MARKER.open("a", encoding="utf-8") as fh:
        fh.write("tick\\n")


if __name__ == "__main__":
    tick.serve(name="tick", interval=timedelta(seconds=5))
"""


def _client_env(api_url: str, prefect_home: Path) -> dict[str, str]:
    """Return an explicit env for the serve process, immune to in-process test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(prefect_api_env(api_url))
    env.update(
        {
            "PREFECT_HOME": str(prefect_home),
            # Default is 10 s; polling faster keeps the test short.
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _completed_scheduled_runs(client: httpx.Client, api_url: str) -> list[dict[str, Any]]:
    """Return COMPLETED flow runs of the `tick` deployment that the scheduler created."""
    resp = client.post(
        f"{api_url}/flow_runs/filter",
        json={
            "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
            "deployments": {"name": {"any_": ["tick"]}},
        },
    )
    resp.raise_for_status()
    return [run for run in resp.json() if run.get("auto_scheduled")]


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_interval_deployment_runs_on_local_server(tmp_path: Path) -> None:
    marker = tmp_path / "ticks.txt"
    script = tmp_path / "serve_tick.py"
    script.write_text(SERVE_SCRIPT.format(marker=str(marker)), encoding="utf-8")
    serve_log = tmp_path / "serve.log"
    client_home = tmp_path / "client-home"
    client_home.mkdir()

    started = time.monotonic()
    with local_prefect_server(tmp_path) as api_url:
        server_up = time.monotonic() - started
        with serve_log.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, str(script)],
                cwd=tmp_path,
                env=_client_env(api_url, client_home),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            runs: list[dict[str, Any]] = []
            deadline = time.monotonic() + RUN_DEADLINE_S
            with httpx.Client(timeout=10.0) as client:
                while time.monotonic() < deadline:
                    assert proc.poll() is None, (
                        f"serve process exited with {proc.returncode}:\n"
                        + serve_log.read_text(errors="replace")[-4000:]
                    )
                    runs = _completed_scheduled_runs(client, api_url)
                    if runs and marker.exists() and marker.read_text().strip():
                        break
                    time.sleep(1.0)
        finally:
            stop_process_group(proc, timeout=15.0)

    elapsed = time.monotonic() - started
    failure_context = textwrap.indent(serve_log.read_text(errors="replace")[-4000:], "  ")
    assert marker.exists(), (
        f"flow never ran within {RUN_DEADLINE_S} s; serve log:\n{failure_context}"
    )
    assert marker.read_text().count("tick") >= 1
    assert runs, (
        f"no COMPLETED auto-scheduled run reported by the API; serve log:\n{failure_context}"
    )
    assert all(run["auto_scheduled"] and run["deployment_id"] for run in runs)
    # Visible with -rP / -s; helps track how slow the server start-up is on CI.
    sys.stderr.write(
        f"prefect server up in {server_up:.1f} s, scheduled run seen in {elapsed:.1f} s\n"
    )
