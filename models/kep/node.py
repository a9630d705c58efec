"""The Node.js bridge: ``node/verify.js`` (jkurwa, gost89) computes what Python cannot here
(GOST 34.311 hashes, DSTU 4145 signatures) in one subprocess call, with its input on stdin,
a timeout, and a clear refusal when Node.js or its npm modules are missing."""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from models.kep.results import KepUnavailable

log = logging.getLogger("infoaudit.kep")

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_SCRIPT = NODE_DIR / "verify.js"
NODE_TIMEOUT_SECONDS = 60

NO_NODE = (
    "Перевірити підпис ДСТУ 4145 тут неможливо: на сервері не встановлено Node.js або "
    "модулі перевірки КЕП (models/kep/node, «npm ci»). Зверніться до адміністратора."
)


def _node_binary() -> str | None:
    configured = os.environ.get("INFOAUDIT_NODE")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("node")


def node_problem() -> str | None:
    """Why the DSTU checks cannot run here, or None when they can."""
    if _node_binary() is None:
        return NO_NODE
    if not (NODE_DIR / "node_modules" / "jkurwa").is_dir():
        return NO_NODE
    return None


def run_node(requests: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The answers of verify.js to ``requests`` (in order) and its libraries' versions.

    Raises KepUnavailable when Node.js or its modules are missing, on a timeout, a failure
    or an incomplete answer.
    """
    if not requests:
        return [], ""
    problem = node_problem()
    binary = _node_binary()
    if problem or binary is None:
        raise KepUnavailable(problem or NO_NODE)
    payload = json.dumps({"requests": requests}).encode()
    try:
        done = subprocess.run(  # noqa: S603 - a fixed script, input on stdin only
            [binary, str(NODE_SCRIPT)],
            input=payload,
            capture_output=True,
            timeout=NODE_TIMEOUT_SECONDS,
            cwd=NODE_DIR,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("KEP node helper failed: %s", exc)
        raise KepUnavailable(
            "Перевірка підпису ДСТУ 4145 не завершилася (модуль перевірки не відповів вчасно). "
            "Спробуйте ще раз пізніше."
        ) from exc
    if done.returncode != 0:
        log.error("KEP node helper exited %s: %s", done.returncode, done.stderr[:500])
        raise KepUnavailable(
            "Модуль перевірки підпису ДСТУ 4145 завершився з помилкою. Зверніться до "
            "адміністратора (журнал сервера містить подробиці)."
        )
    answer = json.loads(done.stdout)
    results: list[dict[str, Any]] = answer["results"]
    if len(results) != len(requests):
        raise KepUnavailable("Модуль перевірки підпису ДСТУ 4145 відповів неповно.")
    versions = answer.get("versions") or {}
    tool = ", ".join(f"{k} {v}" for k, v in versions.items())
    return results, tool


def b64(data: bytes) -> str:
    """Bytes as base64 text, as verify.js reads them."""
    return base64.b64encode(data).decode("ascii")


class Batch:
    """Node requests gathered first, sent in one call, answered by index."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.tool = ""

    def add(self, request: dict[str, Any]) -> int:
        self.requests.append(request)
        return len(self.requests) - 1

    def run(self) -> None:
        self.results, self.tool = run_node(self.requests)

    def answer(self, index: int) -> dict[str, Any]:
        return self.results[index]
