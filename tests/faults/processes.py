"""Real child processes for the fault tests: started with the test's database and Prefect API,
killed with SIGKILL at a chosen moment, and checked to leave no process behind."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a child: this checkout, the test's database and Prefect's API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PYTHONPATH": str(ROOT), "INFOAUDIT_DATABASE_URL": database_url}
    api_url = PREFECT_API_URL.value()
    if api_url:  # the session's Prefect test server: the child's flow runs are recorded there
        env["PREFECT_API_URL"] = str(api_url)
    return {**env, **extra}


def start(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python args…` from the checkout, its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill_tree_root(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """SIGKILL the child alone (as the OOM killer or a power cut would); its descendants as
    they were at that moment."""
    descendants = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    return descendants


def survivors(processes: list[psutil.Process], timeout: float = 15.0) -> list[psutil.Process]:
    """Those of the processes still running after `timeout`."""
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive
