"""Fault bench: the real server killed with SIGKILL during survey submissions; nothing
acknowledged may be lost.

For each database (a SQLite file, PostgreSQL): build the schema (Alembic), launch a cycle whose
consultation is open, start the app under real uvicorn in a child process (forked from a
launcher that has imported the app, as gunicorn's --preload does), send N submissions
from C concurrent keep-alive clients (each with its own idempotency key), SIGKILL the server K
times while they run and start it again on the same port. A client whose request got no answer
(the connection dropped) sends the same request again until it gets one, as a resident's
browser would. Then every response acknowledged with 201 must be in the database with all its
answers, and no submission may be stored twice. Prints one JSON line per database (`seconds`:
from the first submission to the last answer, kills and restarts included; `replayed`: stored
by a request whose answer died with the server, acknowledged with 200 when resent):

    python bench/faults.py [--pg URL] [--n 5000] [--clients 64] [--kills 3] [--only sqlite]
    python bench/faults.py --flows     # also the render and publish kills of tests/faults/

The default PostgreSQL URL is INFOAUDIT_BENCH_PG_URL or
postgresql+psycopg://postgres@127.0.0.1:5432/test (its public schema is dropped and rebuilt).
The server is uvicorn with the app (what `infoaudit serve` runs in its web thread), without
the scheduler, whose Prefect server has nothing to do with submissions.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.forking import Launcher, alive, serve_forks  # noqa: E402
from bench.survey_ingest import fresh_schema, launch_survey, submission  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Ports the server may take (a restart takes the same one again); INFOAUDIT_FAULTS_PORTS=a-b.
DEFAULT_PORTS = "8600-8699"
REQUEST_TIMEOUT = 60.0


# --- The server (a child of the launcher: `--launcher`) ----------------------------------------


def serve(url: str, port: int) -> None:
    """Run the app under uvicorn on loopback until killed."""
    import uvicorn

    os.environ["INFOAUDIT_DATABASE_URL"] = url
    from api.app import create_app

    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        # Each submission comes from its own synthetic address (X-Forwarded-For, believed from
        # loopback only), so the per-address rate limit stays on without refusing the load.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


def free_port(ports: str | None = None) -> int:
    """The first port of the range nobody listens on."""
    first, _, last = (ports or os.environ.get("INFOAUDIT_FAULTS_PORTS", DEFAULT_PORTS)).partition(
        "-"
    )
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {first}-{last}")


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _serve_target(args: list[str]) -> None:
    serve(args[0], int(args[1]))


class Server:
    """The app under uvicorn in a child process, killed with SIGKILL and started again on the
    same port (forked from a launcher that has the app imported, bench/forking.py)."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        # Started at once: the launcher imports the app while the caller prepares the data.
        self.url, self.port = url, port
        self.launcher = Launcher("bench.faults", log)
        self.pid = 0
        self.kills = 0

    def start(self, timeout: float = 120.0) -> None:
        """Start a server and wait until it accepts connections."""
        self.pid = self.launcher.start(self.url, str(self.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive(self.pid):
            if _listening(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"uvicorn did not start:\n{self.launcher.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        self.launcher.kill(self.pid)
        self.kills += 1

    def stop(self) -> None:
        """Stop the server the ordinary way (SIGTERM), and the launcher."""
        self.launcher.close()


# --- The residents: C keep-alive clients that resend what got no answer -----------------------


@dataclass
class Outcomes:
    """What the clients were told, per submission index."""

    created: dict[int, int] = field(default_factory=dict)  # 201: acknowledged as new
    replayed: dict[int, int] = field(default_factory=dict)  # 200: stored by an unanswered try
    refused: dict[int, int] = field(default_factory=dict)  # any other status (should be none)
    resent: set[int] = field(default_factory=set)  # sent again: dropped connection or a 5xx

    @property
    def answered(self) -> int:
        """Submissions with a final answer."""
        return len(self.created) + len(self.replayed) + len(self.refused)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed by the server")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


async def _client(port: int, requests: list[bytes], queue: list[int], outcomes: Outcomes) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while queue:
        index = queue.pop()
        while True:  # the same request until it is answered
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                status, body = await asyncio.wait_for(
                    _exchange(*connection, requests[index]), REQUEST_TIMEOUT
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                status, body = 0, b""
            if status == 0 or status >= 500:
                outcomes.resent.add(index)
                if connection is not None:
                    connection[1].close()
                connection = None
                await asyncio.sleep(0.1)  # the server is down: wait for its restart
                continue
            if status == 201:
                outcomes.created[index] = int(json.loads(body)["id"])
            elif status == 200:
                outcomes.replayed[index] = int(json.loads(body)["id"])
            else:
                outcomes.refused[index] = status
            break
    if connection is not None:
        connection[1].close()


async def _killer(server: Server, outcomes: Outcomes, n: int, kills: int) -> None:
    """SIGKILL the server once a share of the load is answered, then start it again."""
    for k in range(1, kills + 1):
        while outcomes.answered < n * k // (kills + 1):
            await asyncio.sleep(0.01)
        server.kill()
        await asyncio.to_thread(server.start)


def send_with_kills(
    server: Server, path: str, bodies: list[bytes], clients: int, kills: int
) -> Outcomes:
    """Send every body until answered, `clients` at a time, killing the server `kills` times."""
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Forwarded-For: 10.{n >> 16 & 255}.{n >> 8 & 255}."
            f"{n & 255}\r\n\r\n"
        ).encode()
        + body
        for n, body in enumerate(bodies)
    ]
    queue = list(reversed(range(len(requests))))  # popped from the end: in order
    outcomes = Outcomes()

    async def main() -> None:
        await asyncio.gather(
            _killer(server, outcomes, len(requests), kills),
            *(_client(server.port, requests, queue, outcomes) for _ in range(clients)),
        )

    asyncio.run(main())
    return outcomes


# --- The check -------------------------------------------------------------------------------


def expected_answers(body: dict[str, Any]) -> int:
    """How many answer rows the submission stores (an option each, or its text)."""
    return sum(len(set(a.get("option_ids") or [])) or 1 for a in body["answers"])


def stored(url: str) -> tuple[dict[str, list[int]], dict[int, int]]:
    """Response ids per idempotency key, and answer rows per response id."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        by_key: dict[str, list[int]] = {}
        for key, response_id in connection.execute(
            text("SELECT idempotency_key, id FROM response")
        ):
            by_key.setdefault(str(key), []).append(int(response_id))
        answers = {
            int(response_id): int(count)
            for response_id, count in connection.execute(
                text("SELECT response_id, count(*) FROM answer GROUP BY response_id")
            )
        }
    engine.dispose()
    return by_key, answers


def check(url: str, bodies: list[dict[str, Any]], outcomes: Outcomes) -> dict[str, int]:
    """Lost: acknowledged (201) but not stored as acknowledged, with every answer; duplicates:
    a submission stored more than once."""
    by_key, answers = stored(url)
    lost = 0
    for index, response_id in outcomes.created.items():
        ids = by_key.get(bodies[index]["idempotency_key"], [])
        if response_id not in ids or answers.get(response_id) != expected_answers(bodies[index]):
            lost += 1
    replay_mismatch = sum(
        1
        for index, response_id in outcomes.replayed.items()
        if response_id not in by_key.get(bodies[index]["idempotency_key"], [])
    )
    keys = {body["idempotency_key"] for body in bodies}
    return {
        "rows": sum(len(ids) for ids in by_key.values()),
        "lost": lost + replay_mismatch,
        "duplicates": sum(len(ids) - 1 for ids in by_key.values() if len(ids) > 1),
        "unknown_rows": sum(len(ids) for key, ids in by_key.items() if key not in keys),
    }


def survey_faults(
    name: str, url: str, *, n: int, clients: int, kills: int, log: Path, prepared: bool = False
) -> dict[str, Any]:
    """The whole run on one database (already migrated when `prepared`): one JSON-able line."""
    if not prepared:
        fresh_schema(url)
    server = Server(url, free_port(), log)
    try:
        slug, questions = launch_survey(url)
        bodies = [submission(i, questions) for i in range(n)]
        started = time.perf_counter()
        server.start()
        outcomes = send_with_kills(
            server,
            f"/api/survey/{slug}/responses",
            [json.dumps(body).encode() for body in bodies],
            clients,
            kills,
        )
    finally:
        server.stop()
    seconds = time.perf_counter() - started
    found = check(url, bodies, outcomes)
    return {
        "bench": "faults",
        "db": name,
        "submissions": n,
        "clients": clients,
        "acknowledged": len(outcomes.created),
        "replayed": len(outcomes.replayed),  # stored, but the answer was lost with the server
        "refused": len(outcomes.refused),
        "resent": len(outcomes.resent),
        "rows": found["rows"],
        "lost": found["lost"],
        "duplicates": found["duplicates"],
        "unknown_rows": found["unknown_rows"],
        "kills": server.kills,
        "seconds": round(seconds, 1),
        "ok": found["lost"] == 0
        and found["duplicates"] == 0
        and found["unknown_rows"] == 0
        and found["rows"] == n
        and not outcomes.refused,
    }


def main() -> None:
    """Parse arguments; fork servers (the launcher) or run the faults."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=os.environ.get("INFOAUDIT_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--flows", action="store_true", help="also kill a render and a publish")
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.launcher:
        import uvicorn  # noqa: F401 (the preload: every forked server finds them imported)

        import api.app  # noqa: F401

        serve_forks(_serve_target)
        return
    with tempfile.TemporaryDirectory() as tmp:
        databases = {"sqlite": f"sqlite:///{tmp}/faults.db", "postgresql": args.pg}
        for name, url in databases.items():
            if args.only and name != args.only:
                continue
            line = survey_faults(
                name,
                url,
                n=args.n,
                clients=args.clients,
                kills=args.kills,
                log=Path(tmp) / f"server-{name}.log",
            )
            print(json.dumps(line), flush=True)
    if args.flows:
        sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "tests/faults"], cwd=ROOT))


if __name__ == "__main__":
    main()
