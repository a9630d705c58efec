"""The fault tests' child processes: the launcher's environment (the test's database and
Prefect API), waiting for a moment to kill, and the processes a killed child left."""

import os
import time
from collections.abc import Callable

import psutil  # type: ignore[import-untyped]

from bench.forking import ROOT


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a child: this checkout, the test's database and Prefect's API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PYTHONPATH": str(ROOT), "INFOAUDIT_DATABASE_URL": database_url}
    api_url = PREFECT_API_URL.value()
    if api_url:  # the session's Prefect test server: the child's flow runs are recorded there
        env["PREFECT_API_URL"] = str(api_url)
    return {**env, **extra}


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def descendants(pid: int) -> list[psutil.Process]:
    """The process's children and theirs."""
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def survivors(processes: list[psutil.Process], timeout: float = 15.0) -> list[psutil.Process]:
    """Those of the processes still running after `timeout`."""
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    return list(alive)
