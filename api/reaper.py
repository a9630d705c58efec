"""`python -m api.reaper PID`: when PID ends, however it ends, its descendants end too.

Started by `api.lifetime.start_reaper` as PID's own child. It notes PID's descendants every
second (a process started and orphaned within that second can slip through: our own servers
also die with their parent through PR_SET_PDEATHSIG), notices PID's end by being re-parented,
then sends SIGTERM to every noted process still running and SIGKILL to any that outlast the
grace period. psutil compares start times, so a recycled process id is never signalled.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import psutil

POLL_SECONDS = 0.2
SNAPSHOT_SECONDS = 1.0
GRACE_SECONDS = 5.0


def _descendants(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [p for p in root.children(recursive=True) if p.pid != os.getpid()]
    except psutil.Error:
        return []


def watch(parent_pid: int) -> dict[int, psutil.Process]:
    """Block until `parent_pid` is gone; return the descendants it had."""
    try:
        root = psutil.Process(parent_pid)
    except psutil.Error:
        return {}
    known: dict[int, psutil.Process] = {}
    last = 0.0
    while os.getppid() == parent_pid:
        now = time.monotonic()
        if now - last >= SNAPSHOT_SECONDS:
            known.update((p.pid, p) for p in _descendants(root))
            last = now
        time.sleep(POLL_SECONDS)
    return known


def reap(known: dict[int, psutil.Process], grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM what is still running (and what it started since), SIGKILL the stubborn."""
    alive = {p.pid: p for p in known.values() if p.is_running()}
    for process in list(alive.values()):
        alive.update((p.pid, p) for p in _descendants(process))
    for process in alive.values():
        try:
            process.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, stubborn = psutil.wait_procs(list(alive.values()), timeout=grace)
    for process in stubborn:
        try:
            process.kill()
        except psutil.Error:
            pass
    return sorted(alive)


def main(argv: list[str]) -> int:
    """Entry point: `python -m api.reaper PID`."""
    # A terminal's Ctrl+C or a hang-up is for the command, not for its watchdog.
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    reap(watch(int(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
