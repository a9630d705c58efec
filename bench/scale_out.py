"""Scale-out benchmark (issue 19): many councils' cycles on PostgreSQL, a Prefect server, two web
hosts and two worker hosts, each its own network namespace on this machine (bench/netns.py).

    sudo python bench/scale_out.py [--orgs 40] [--keep]

Builds the hosts, starts a private PostgreSQL cluster (its own data directory, in its own
host: the machine's server and its databases are never touched), `prefect server start` on it,
`infoaudit web` on two hosts and `infoaudit worker --pool infoaudit` plus `infoaudit worker
--pool infoaudit-render` on each worker host. A worker host is a small virtual machine with
half a core (a CPU budget of its control group): the machine's two cores then leave the
database, the Prefect server and the web hosts the same room whether one worker host runs or
two, as a real installation's separate machines would. Then, twice with
N organizations each: launches their (historical) cycles through the public API, alternating
web hosts, and waits until every cycle has reached reporting with its report rendered by the
pools. The first time one worker host runs; the second time two, and one of them is killed
(SIGKILL of its whole process tree, as a power cut) while it renders a report, then comes back
as systemd would restart it. Prints one JSON line; cleans everything up, even on failure.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.netns import Cluster, descendants, kill_tree  # noqa: E402

HOSTS = ["pg", "prefect", "web1", "web2", "wk1", "wk2", "client"]
PG_PORT, PREFECT_PORT, WEB_PORT = 8201, 8202, 8210
PASSWORD = "scale-out-bench-password"
WORKER_CORES = 0.5
RENDERS_PER_WORKER = 2
LAUNCHERS = 8
SWEEP_SECONDS = 20  # each sweep is a flow run, a process: more often only costs CPU
DEADLINE_S = 1800
UNITS = ["Загальний відділ", "Управління освіти", "Фінансове управління"]
STAGES = {
    "preparation": {"starts_on": "2025-09-22", "due_on": "2025-09-26"},
    "consultation": {"starts_on": "2025-09-22", "due_on": "2025-10-05"},
    "remote_audit": {"starts_on": "2025-09-22", "due_on": "2025-09-26"},
    "interviews": {"starts_on": "2025-09-29", "due_on": "2025-09-29"},
    "reporting": {"starts_on": "2025-10-06", "due_on": "2025-10-13"},
}


class Bench:
    """The cluster, its addresses and what the run counted."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.cluster = Cluster()
        self.lost = 0
        self.requests = 0
        self._counting = threading.Lock()

    def address(self, host: str) -> str:
        return self.cluster.hosts[host].address

    @property
    def pg_url(self) -> str:
        return f"postgres@{self.address('pg')}:{PG_PORT}"

    def env(self, **extra: str) -> dict[str, str]:
        """What every infoaudit role gets (an environment file, in production)."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
                "INFOAUDIT_DATABASE_URL": f"postgresql+psycopg://{self.pg_url}/infoaudit",
                "INFOAUDIT_SECRET_KEY": "scale-out-bench-secret-key-0123456789abcdef",
                "INFOAUDIT_DATA_DIR": str(self.work / "data"),
                "INFOAUDIT_RENDER_WORKERS": "1",
                "INFOAUDIT_ADVANCE_INTERVAL_SECONDS": str(SWEEP_SECONDS),
                "PREFECT_API_URL": f"http://{self.address('prefect')}:{PREFECT_PORT}/api",
                "PREFECT_HOME": str(self.work / "prefect-client"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_WORKER_QUERY_SECONDS": "2",
                "PREFECT_LOGGING_LEVEL": "WARNING",
            }
        )
        env.update(extra)
        return env

    def run(self, host: str, label: str, *args: str, **extra: str) -> None:
        """Run an infoaudit command in a host to its end."""
        proc = self.cluster.start(
            host, label, [sys.executable, "-m", "api.cli", *args], self.env(**extra)
        )
        if proc.wait(timeout=600) != 0:
            raise RuntimeError(
                f"{label} failed: {(self.cluster.logs / f'{label}.log').read_text()[-2000:]}"
            )

    # --- the roles ---------------------------------------------------------------------------

    def start_postgres(self) -> None:
        data, sockets = self.work / "pg", self.work / "pg-sockets"
        for path in (data, sockets):
            path.mkdir()
            shutil.chown(path, "postgres", "postgres")
        self.work.chmod(0o755)
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
        )
        # Only the bench's hosts, on the private bridge, may connect (no password: throw-away).
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.address('pg').rsplit('.', 1)[0]}.0/24 trust\n")
        settings = [
            f"listen_addresses={self.address('pg')}",
            f"port={PG_PORT}",
            f"unix_socket_directories={sockets}",
            "max_connections=400",
            "fsync=off",  # a benchmark's throw-away cluster
            "synchronous_commit=off",
            "shared_buffers=128MB",
        ]
        command = [str(bindir / "postgres"), "-D", str(data)]
        for setting in settings:
            command += ["-c", setting]
        self.cluster.start("pg", "postgres", command, {"PATH": os.environ["PATH"]}, user="postgres")
        self._wait(lambda: self._pg_ready(), "PostgreSQL")
        with psycopg.connect(f"postgresql://{self.pg_url}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE infoaudit")
            conn.execute("CREATE DATABASE prefect")

    def _pg_ready(self) -> bool:
        try:
            with psycopg.connect(f"postgresql://{self.pg_url}/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def start_prefect_server(self) -> None:
        env = self.env(
            PREFECT_API_DATABASE_CONNECTION_URL=f"postgresql+asyncpg://{self.pg_url}/prefect",
            PREFECT_HOME=str(self.work / "prefect-server"),
            PREFECT_UI_ENABLED="false",
        )
        env.pop("PREFECT_API_URL")
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", self.address("prefect"), "--port", str(PREFECT_PORT)]
        self.cluster.start("prefect", "prefect-server", command, env)
        url = f"http://{self.address('prefect')}:{PREFECT_PORT}/api/health"
        self._wait(lambda: self._http_ok(url), "Prefect server", timeout=240)

    def start_web(self) -> None:
        for host in ("web1", "web2"):
            command = [sys.executable, "-m", "api.cli", "web", "--host", self.address(host)]
            command += ["--port", str(WEB_PORT), "--workers", "2"]
            self.cluster.start(host, host, command, self.env())
        for host in ("web1", "web2"):
            self._wait(lambda h=host: self._http_ok(f"{self.web(h)}/login"), host)

    def start_worker_host(self, host: str) -> None:
        """A worker host: one worker per pool, within the host's CPU budget."""
        self.cluster.limit_cpu(host, WORKER_CORES)
        for pool, limit in (("infoaudit", 3), ("infoaudit-render", RENDERS_PER_WORKER)):
            command = [sys.executable, "-m", "api.cli", "worker", "--pool", pool, "--no-deploy"]
            command += ["--limit", str(limit), "--name", f"{host}-{pool}"]
            self.cluster.start(host, f"{host}-{pool}", command, self.env())

    def stop_worker_host(self, host: str) -> None:
        for pool in ("infoaudit", "infoaudit-render"):
            self.cluster.stop(f"{host}-{pool}")

    def web(self, host: str) -> str:
        return f"http://{self.address(host)}:{WEB_PORT}"

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _http_ok(url: str) -> bool:
        try:
            return httpx.get(url, timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def _wait(ready: Any, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {timeout:.0f} s")
            time.sleep(0.5)

    def call(self, client: httpx.Client, method: str, url: str, expected: int, **kw: Any) -> Any:
        """One public API request; a failure (any status but the expected) counts as lost."""
        with self._counting:
            self.requests += 1
        try:
            response = client.request(method, url, timeout=60, **kw)
        except httpx.HTTPError:
            self._count_lost()
            raise
        if response.status_code != expected:
            self._count_lost()
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return response.json()

    def _count_lost(self) -> None:
        with self._counting:
            self.lost += 1

    # --- the run -----------------------------------------------------------------------------

    def launch(
        self, client: httpx.Client, admin: dict[str, str], batch: str, count: int
    ) -> list[int]:
        """N organizations, each with its coordinator and one historical cycle, via the API.

        Councils launch on their own, at once: LAUNCHERS of them at a time, alternating hosts.
        """
        with ThreadPoolExecutor(max_workers=LAUNCHERS) as pool:
            return list(pool.map(lambda n: self.launch_one(client, admin, batch, n), range(count)))

    def launch_one(self, client: httpx.Client, admin: dict[str, str], batch: str, n: int) -> int:
        """One organization, its coordinator and its cycle; returns the cycle's id."""
        base = self.web("web1" if n % 2 == 0 else "web2")
        email = f"coordinator-{batch}-{n}@bench.example.org"
        body = {
            "name": f"Громада {batch}-{n}",
            "units": [{"name": unit} for unit in UNITS],
            "coordinator": {"email": email, "password": PASSWORD},
        }
        self.call(client, "POST", f"{base}/api/organizations", 201, json=body, headers=admin)
        login = {"email": email, "password": PASSWORD}
        token = self.call(client, "POST", f"{base}/api/auth/login", 200, json=login)["token"]
        plan = {
            "year": 2025,
            "historical": True,
            "order": {"number": f"{n + 1}-р", "date": "2025-09-19"},
            "units": UNITS,
            "auditors": [{"full_name": "Аудиторенко Оксана Петрівна", "position": "спеціаліст"}],
            "interview_schedule_on": "2025-09-29",
            "stages": STAGES,
        }
        bearer = {"Authorization": f"Bearer {token}"}
        cycle = self.call(client, "POST", f"{base}/api/cycles", 201, json=plan, headers=bearer)
        return int(cycle["id"])

    def rendered(self, cycle_ids: list[int]) -> int:
        """How many of these cycles have a stored report version."""
        with psycopg.connect(f"postgresql://{self.pg_url}/infoaudit") as conn:
            row = conn.execute(
                "SELECT count(DISTINCT r.cycle_id) FROM report_version v "
                "JOIN report r ON r.id = v.report_id WHERE r.cycle_id = ANY(%s)",
                (cycle_ids,),
            ).fetchone()
        return int(row[0]) if row else 0

    def render_running_on(self, host: str) -> bool:
        """True when the host's render worker is laying out a report (a run with a child)."""
        for label, proc in self.cluster.processes:
            if label == f"{host}-infoaudit-render" and proc.poll() is None:
                return len(descendants(proc.pid)) >= 3
        return False

    def wait_rendered(self, cycle_ids: list[int], kill: str | None = None) -> dict[str, Any]:
        started = time.monotonic()
        killed = False
        while (done := self.rendered(cycle_ids)) < len(cycle_ids):
            if time.monotonic() - started > DEADLINE_S:
                raise RuntimeError(f"only {done} of {len(cycle_ids)} reports after {DEADLINE_S} s")
            if kill and not killed and done >= len(cycle_ids) // 4 and self.render_running_on(kill):
                for label, proc in self.cluster.processes:
                    if label.startswith(f"{kill}-") and proc.poll() is None:
                        kill_tree(proc.pid)  # the host loses power mid-render
                killed = True
                time.sleep(3)
                self.start_worker_host(kill)  # … and systemd starts it again
            time.sleep(1)
        return {"killed_mid_render": killed}

    def cpu_since(self, before: dict[str, float]) -> dict[str, float]:
        """CPU seconds each host used since `before` (where the time of a phase went)."""
        now = self.cluster.cpu_seconds()
        return {host: round(now[host] - before.get(host, 0.0), 1) for host in now}

    def counts(self, cycle_ids: list[int]) -> dict[str, int]:
        with psycopg.connect(f"postgresql://{self.pg_url}/infoaudit") as conn:
            per_cycle = conn.execute(
                "SELECT r.cycle_id, count(v.id), count(DISTINCT v.number) FROM report r "
                "JOIN report_version v ON v.report_id = r.id WHERE r.cycle_id = ANY(%s) "
                "GROUP BY r.cycle_id",
                (cycle_ids,),
            ).fetchall()
            stored = conn.execute(
                "SELECT count(*) FROM audit_cycle WHERE id = ANY(%s)", (cycle_ids,)
            ).fetchone()
        reports = sum(int(row[1]) for row in per_cycle)
        # Nobody changed a report's text: every version after the first is a duplicate render.
        duplicates = sum(int(row[1]) - 1 for row in per_cycle)
        return {
            "reports": reports,
            "duplicate_versions": duplicates,
            "stored_cycles": int(stored[0]) if stored else 0,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("Needs root (network namespaces): sudo python bench/scale_out.py", file=sys.stderr)
        return 2
    # A stopped run cleans up as a failed one does (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = Path(tempfile.mkdtemp(prefix="iaso19-"))
    bench = Bench(work)
    result: dict[str, Any] = {}
    try:
        bench.cluster.build(HOSTS, work / "logs")
        bench.cluster.enter("client")  # the driver is one more host: it sees only the bridge
        bench.cluster.groups["client"].join()
        bench.start_postgres()
        bench.run("web1", "migrate", "db", "upgrade")
        bench.run(
            "web1",
            "admin",
            "account",
            "create",
            "--email",
            "admin@bench.example.org",
            "--role",
            "admin",
            INFOAUDIT_NEW_PASSWORD=PASSWORD,
        )
        bench.start_prefect_server()
        # The render pool's limit is the sum of its hosts' (each sized for its memory).
        render_limit = str(2 * RENDERS_PER_WORKER)
        bench.run(
            "wk1",
            "deploy",
            "deploy",
            "--interval",
            str(SWEEP_SECONDS),
            "--render-limit",
            render_limit,
        )
        bench.start_web()
        with httpx.Client() as client:
            login = {"email": "admin@bench.example.org", "password": PASSWORD}
            token = bench.call(
                client, "POST", f"{bench.web('web1')}/api/auth/login", 200, json=login
            )["token"]
            admin = {"Authorization": f"Bearer {token}"}

            bench.start_worker_host("wk1")
            started, cpu_before = time.monotonic(), bench.cluster.cpu_seconds()
            first = bench.launch(client, admin, "a", args.orgs)
            bench.wait_rendered(first)
            one_worker = time.monotonic() - started
            cpu_one = bench.cpu_since(cpu_before)

            bench.start_worker_host("wk2")
            started, cpu_before = time.monotonic(), bench.cluster.cpu_seconds()
            second = bench.launch(client, admin, "b", args.orgs)
            outcome = bench.wait_rendered(second, kill="wk2")
            two_workers = time.monotonic() - started
            cpu_two = bench.cpu_since(cpu_before)
        counts = bench.counts(second)
        first_counts = bench.counts(first)
        result = {
            "cycles": args.orgs,
            "completed": bench.rendered(second),
            "reports": counts["reports"],
            "duplicate_versions": counts["duplicate_versions"] + first_counts["duplicate_versions"],
            "lost_requests": bench.lost + (args.orgs - counts["stored_cycles"]),
            "requests": bench.requests,
            "seconds": round(two_workers, 1),
            "seconds_one_worker": round(one_worker, 1),
            "ratio": round(two_workers / one_worker, 2),
            "one_worker_completed": bench.rendered(first),
            **outcome,
            "worker_cores": WORKER_CORES,
            "cpu_seconds": cpu_two,
            "cpu_seconds_one_worker": cpu_one,
        }
    except (
        Exception,
        KeyboardInterrupt,
    ) as exc:  # the JSON line says what went wrong; the logs stay for a look
        result = {"error": f"{type(exc).__name__}: {exc}", "logs": str(work / "logs")}
        args.keep = True
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal must not stop the cleanup
            signal.signal(sig, signal.SIG_IGN)
        bench.cluster.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
