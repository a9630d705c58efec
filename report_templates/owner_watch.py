"""A render worker ends when the process that owns its pool is gone.

A worker forked by the forkserver holds both ends of its call queue and the forkserver's
liveness pipe, so when the owner is killed (SIGKILL, the OOM killer: no chance to shut its pool
down) the worker never reads end-of-file and waits for work forever, keeping the forkserver and
the resource tracker alive with it. A daemon thread in each worker watches the owner instead.
"""

import os
import threading
import time

import psutil  # type: ignore[import-untyped]

INTERVAL_SECONDS = 0.5


def owner_gone(owner: psutil.Process) -> bool:
    """The owner has ended (a zombie waiting to be reaped counts as ended)."""
    try:
        return bool(owner.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:  # also a reused pid: psutil checks the start time
        return True


def watch_owner(owner_pid: int) -> None:
    """Exit this process soon after the owner ends (call in the worker's initializer)."""
    try:
        owner = psutil.Process(owner_pid)
    except psutil.NoSuchProcess:
        os._exit(1)

    def watch() -> None:
        while not owner_gone(owner):
            time.sleep(INTERVAL_SECONDS)
        os._exit(1)  # no cleanup: nobody waits for this worker's results any more

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()
