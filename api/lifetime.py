"""No process outlives the command that started it.

Three layers, because no single one covers every way a command ends:

- `die_with_parent` (Linux PR_SET_PDEATHSIG) for the servers we start ourselves: the kernel
  sends them SIGTERM the moment the command dies, even by SIGKILL;
- `stop_on_signals`: SIGTERM and SIGHUP unwind the command like Ctrl+C does, so its `finally`
  blocks and `atexit` hooks (Prefect's own temporary server registers one) run;
- `start_reaper`: a watchdog process (`api.reaper`) that remembers the command's descendants
  and ends those still running once the command is gone — the processes other libraries
  start (Prefect's temporary server, flow-run subprocesses, the renderer's pool) included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

__all__ = [
    "Stopped",
    "bound_the_stop",
    "die_with_parent",
    "start_reaper",
    "stop_on_signals",
    "stop_process_group",
]

# uvicorn shuts down within a second on SIGTERM; the grace period covers a slow SQLite flush.
STOP_TIMEOUT = 15.0


class Stopped(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """The command was asked to stop (SIGTERM, SIGHUP); raised in the main thread."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this (just forked) process when the thread that forked it exits.

    Meant as `preexec_fn`: a single prctl call, safe between fork and exec. Linux sends the
    signal when the *thread* that forked exits, so start children from a long-lived one.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


# How long the clean stop may take before the command exits regardless: the exception can land
# in a library's background task (Prefect's runner retrying a vanished server) and be lost
# there. The watchdog then ends whatever children are left.
FORCED_EXIT_AFTER = 4.0


def _force_exit(code: int, after: float) -> None:
    time.sleep(after)
    sys.stderr.write("Зупинка затяглася: завершую примусово.\n")
    sys.stderr.flush()
    os._exit(code)


def bound_the_stop(code: int) -> None:
    """Exit with `code` if the command is still running `FORCED_EXIT_AFTER` seconds from now."""
    threading.Thread(target=_force_exit, args=(code, FORCED_EXIT_AFTER), daemon=True).start()


def stop_on_signals(forced_exit_code: int | None = None) -> None:
    """SIGTERM and SIGHUP raise `Stopped` in the main thread (call it from the main thread);
    if the command has not ended `FORCED_EXIT_AFTER` seconds later, it exits with
    `forced_exit_code` (what its clean stop returns; by default 128 + the signal's number).

    A shell starts `command &` with SIGINT ignored, and Prefect's runner stops on SIGTERM by
    raising SIGINT: SIGINT gets Python's own handler back so that path works too. A SIGHUP
    ignored on purpose (nohup) stays ignored.
    """

    def raise_stopped(signum: int, _frame: FrameType | None) -> None:
        bound_the_stop(128 + signum if forced_exit_code is None else forced_exit_code)
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, raise_stopped)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, raise_stopped)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def start_reaper() -> subprocess.Popen[bytes] | None:
    """Start the watchdog that ends this process's descendants when this process ends."""
    if not sys.platform.startswith("linux"):
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "api.reaper", str(os.getpid())],
        # Its own session: a Ctrl+C or a signal to our process group does not end it before
        # it has done its job; it ends by itself once we are gone.
        start_new_session=True,
        # No inherited pipes: whoever reads our output sees its end when we end.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": _import_root()},
    )


def _import_root() -> str:
    """PYTHONPATH under which the watchdog imports this very copy of `api`."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    existing = os.environ.get("PYTHONPATH")
    return f"{root}{os.pathsep}{existing}" if existing else root


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate a child started in its own session: SIGTERM its group, SIGKILL after `timeout`."""
    if proc.poll() is not None:
        return
    # The child runs in its own session, so its pgid equals its pid; signalling the group
    # also reaches any helper processes it spawned.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
