"""No process outlives the command that started it; `infoaudit serve` stops on SIGTERM.

Real processes throughout: `python -m api.cli serve|demo` as a subprocess, signalled at the
moments issue 16 names, then every process it had started is looked for.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE_S = 240.0  # a busy 2-core machine: Prefect's server has taken 35 s to start
STOP_DEADLINE_S = 10.0
# The watchdog notices its parent's end within 0.2 s and gives SIGTERM 5 s before SIGKILL.
REAP_DEADLINE_S = 8.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _deployments(port: int) -> list[str]:
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/api/deployments/filter", json={})
    except httpx.HTTPError:
        return []
    return [d["name"] for d in answer.json()] if answer.status_code == 200 else []


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOAUDIT_", "PREFECT_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "INFOAUDIT_DATA_DIR": str(tmp_path / "data"),
            "INFOAUDIT_DATABASE_URL": f"sqlite:///{tmp_path / 'infoaudit.db'}",
        }
    )
    return env


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Command:
    """`python -m api.cli ARGS` in its own session, with every descendant it ever had noted."""

    def __init__(self, tmp_path: Path, *args: str, ignore_sigint: bool = False) -> None:
        self.log = tmp_path / "command.log"
        with self.log.open("wb") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", *args],
                cwd=tmp_path,
                env=_env(tmp_path),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # As a shell starts `infoaudit serve &`: SIGINT ignored (Prefect's runner
                # turns SIGTERM into SIGINT, which then did nothing).
                preexec_fn=_ignore_sigint if ignore_sigint else None,
            )
        self.seen: dict[int, psutil.Process] = {}

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def note(self) -> None:
        try:
            self.seen.update((p.pid, p) for p in psutil.Process(self.proc.pid).children(True))
        except psutil.Error:
            pass

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while not condition():
            self.note()
            assert self.proc.poll() is None, f"ended ({self.proc.returncode}):\n{self.output()}"
            assert time.monotonic() < deadline, (
                f"no {what} in {START_DEADLINE_S} s:\n{self.output()}"
            )
            time.sleep(0.1)
        self.note()

    def child(self, marker: str) -> psutil.Process | None:
        self.note()
        for process in self.seen.values():
            try:
                if process.is_running() and marker in " ".join(process.cmdline()):
                    return process
            except psutil.Error:
                continue
        return None

    def stop(self, signum: int) -> tuple[int, float]:
        """Send `signum`; return the exit code and the seconds it took."""
        self.note()
        started = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"still running {STOP_DEADLINE_S} s after {signum}:\n{self.output()}")
        return code, time.monotonic() - started

    def survivors(self) -> list[str]:
        """Descendants still running once the watchdog has had its time."""
        deadline = time.monotonic() + REAP_DEADLINE_S
        while True:
            alive = []
            for process in self.seen.values():
                try:
                    if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                        alive.append(" ".join(process.cmdline())[:160])
                except psutil.Error:
                    continue
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.2)

    def kill_all(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for process in self.seen.values():
            try:
                process.kill()
            except psutil.Error:
                pass


@pytest.fixture
def command(tmp_path: Path) -> Iterator[Callable[..., Command]]:
    started: list[Command] = []

    def start(*args: str, ignore_sigint: bool = False) -> Command:
        started.append(Command(tmp_path, *args, ignore_sigint=ignore_sigint))
        return started[-1]

    yield start
    for cmd in started:
        cmd.kill_all()


def _serve(command: Callable[..., Command]) -> tuple[Command, int, int]:
    web, prefect = _free_port(), _free_port()
    cmd = command(
        "serve",
        *("--host", "127.0.0.1", "--port", str(web), "--prefect-port", str(prefect)),
        ignore_sigint=True,
    )
    return cmd, web, prefect


def test_serve_stops_on_sigterm_while_its_prefect_server_is_starting(
    command: Callable[..., Command],
) -> None:
    serve, web, prefect = _serve(command)
    serve.wait_for(lambda: serve.child("prefect server start") is not None, "Prefect server")
    assert not _listening(prefect)  # still starting (migrations run before it binds)

    code, seconds = serve.stop(signal.SIGTERM)

    assert code == 0, serve.output()
    assert seconds < STOP_DEADLINE_S
    assert "Зупинено." in serve.output()
    assert serve.survivors() == []
    assert not _listening(prefect)
    assert not _listening(web)


def test_serve_stops_on_sigterm_when_running_and_takes_the_fixed_prefect_port(
    command: Callable[..., Command],
) -> None:
    serve, web, prefect = _serve(command)
    serve.wait_for(lambda: "Обхід активних циклів" in serve.output(), "web app")
    assert _listening(prefect)  # the fixed port asked for, not a random one
    assert _listening(web)
    # The sweep is served by that server, not by a temporary one Prefect's client would start
    # if it had read its settings before PREFECT_API_URL was set.
    serve.wait_for(lambda: "advance-active-cycles" in _deployments(prefect), "sweep deployment")
    assert serve.child("prefect.server.api.server:create_app") is None
    time.sleep(10)  # the runner has replaced serve's SIGTERM handler with its own by now

    code, seconds = serve.stop(signal.SIGTERM)

    assert (code, "Зупинено." in serve.output()) == (0, True), serve.output()
    assert serve.survivors() == []
    assert not _listening(prefect)
    assert not _listening(web)


def test_serve_stops_on_sigterm_within_seconds_when_its_prefect_server_is_gone(
    command: Callable[..., Command],
) -> None:
    serve, web, prefect = _serve(command)
    serve.wait_for(lambda: "Обхід активних циклів" in serve.output(), "web app")
    serve.wait_for(lambda: "advance-active-cycles" in _deployments(prefect), "sweep deployment")
    time.sleep(10)  # the runner is polling the API (and handles SIGTERM itself) by now
    server = serve.child("prefect server start")
    assert server is not None
    server.kill()
    time.sleep(3)  # the runner's requests now fail and are retried

    code, seconds = serve.stop(signal.SIGTERM)

    assert code == 0, serve.output()
    assert seconds < 6, seconds
    assert serve.survivors() == []
    assert not _listening(web)


def test_a_killed_serve_leaves_nothing_listening(command: Callable[..., Command]) -> None:
    serve, web, prefect = _serve(command)
    serve.wait_for(lambda: "Обхід активних циклів" in serve.output(), "web app")

    serve.stop(signal.SIGKILL)

    assert serve.survivors() == []
    assert not _listening(prefect)


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGKILL, -9), (signal.SIGTERM, 130)])
def test_prefect_s_temporary_server_dies_with_the_demo(
    command: Callable[..., Command], tmp_path: Path, signum: int, expected: int
) -> None:
    demo = command("demo", "--out", str(tmp_path / "out"))
    marker = "prefect.server.api.server:create_app"
    demo.wait_for(lambda: demo.child(marker) is not None, "temporary Prefect server")
    server = demo.child(marker)
    assert server is not None
    port = int(server.cmdline()[server.cmdline().index("--port") + 1])
    demo.wait_for(lambda: _listening(port), "listening temporary server")

    code, _ = demo.stop(signum)

    assert code == expected, demo.output()
    assert demo.survivors() == []
    assert not _listening(port)


REAPED_SCRIPT = """\
import subprocess, sys, time
from api.lifetime import start_reaper

start_reaper()
# A grandchild in a session of its own, as servers and pools start theirs: no signal to our
# process group reaches it, and nothing in it knows when we end.
child = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
)
print(child.pid, flush=True)
if sys.argv[1] == "fail":
    time.sleep(1.5)  # the watchdog's snapshot has seen the child
    raise RuntimeError("the benchmark failed")
time.sleep(600)
"""


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.parametrize("ending", ["killed", "fail"])
def test_what_a_benchmark_started_ends_with_it(tmp_path: Path, ending: str) -> None:
    script = tmp_path / "bench_like.py"
    script.write_text(textwrap.dedent(REAPED_SCRIPT), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), ending],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    grandchild = psutil.Process(int(proc.stdout.readline()))
    try:
        if ending == "killed":
            time.sleep(1.5)
            proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + REAP_DEADLINE_S
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(grandchild), "the grandchild outlived the command"
    finally:
        proc.kill()
        if grandchild.is_running():
            grandchild.kill()
