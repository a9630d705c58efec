"""A launcher process for the fault runs: it imports the code once, then forks a child per
request (gunicorn's --preload), so a child killed with SIGKILL is replaced in milliseconds
instead of after another import of the app, Prefect and WeasyPrint (seconds; tens of seconds
on a busy 2-core machine).

The launcher runs `python -m MODULE --launcher`, where MODULE calls `serve_forks(target)`;
it reads one command a line on stdin: `start ARGS…` forks a child running `target(ARGS)` and
answers its pid; `reap` waits for that child and answers its exit status; `stop` sends it
SIGTERM, waits and exits. The launcher has one thread when it forks (checked), so the
children inherit no held lock.
"""

import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]


def serve_forks(target: Callable[[list[str]], None]) -> None:
    """The launcher's loop (in the launcher process, after its imports)."""
    pid = 0
    for line in sys.stdin:
        command, *args = line.split()
        if command == "start":
            assert threading.active_count() == 1, "forking a process with threads"
            pid = os.fork()
            if pid == 0:
                os.dup2(2, 1)  # the child's output goes to the log, never into the answers
                code = 0
                try:
                    target(args)
                except BaseException:
                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code)
            answer = str(pid)
        elif command == "reap":
            answer = str(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        else:
            if pid:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            print("stopped", flush=True)
            return
        print(answer, flush=True)


class Launcher:
    """The harness's side: start the launcher, start, kill and reap its children."""

    def __init__(self, module: str, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, "--launcher"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
            )

    def _ask(self, command: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer:
            raise RuntimeError(f"the launcher stopped:\n{self.tail()}")
        return answer

    def tail(self) -> str:
        """The end of the log (for failure messages)."""
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self, *args: str) -> int:
        """Fork a child running the target with these arguments; its pid."""
        return int(self._ask(" ".join(["start", *args])))

    def reap(self) -> int:
        """Wait for the child to end; its exit code (negative: killed by that signal)."""
        return int(self._ask("reap"))

    def kill(self, pid: int) -> list[psutil.Process]:
        """SIGKILL the child alone (as the OOM killer would); its descendants at that moment."""
        descendants = list(psutil.Process(pid).children(recursive=True))
        os.kill(pid, signal.SIGKILL)
        assert self.reap() == -signal.SIGKILL
        return descendants

    def close(self) -> None:
        """Stop the running child (SIGTERM) and the launcher."""
        with suppress(RuntimeError, OSError):
            self._ask("stop")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # its own pid
            self.process.wait()


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
