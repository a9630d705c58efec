"""A fake CKAN portal on loopback, answering as CKAN's action API does (docs.ckan.org, "API guide").

Every action answers {"help": ..., "success": true, "result": ...}; errors are {"success": false,
"error": {"message": ..., "__type": ...}} with HTTP 403 ("Authorization Error") or 404 ("Not
Found Error"); package_search's result is {"count": N, "results": [...], ...} paged by rows/start.

`SearchHandler` is the read side the snapshot uses (organization_show, package_search);
`PublishHandler` is the write side `infoaudit publish` uses (package_show, package_create/update,
resource_create/update). It refuses what data.gov.ua (CKAN 2.7.2 with its own schema) refuses:
a write without the API key (`Authorization` or `X-CKAN-API-Key`), a dataset missing the portal's
required fields, an `update_frequency` or `language` outside its codes, a purpose over 512
characters or a title over 254, a resource given as a URL instead of an uploaded file. Serve
either with `tests.doubles.loopback`, or as set up by `search_portal` / `publish_portal`.
"""

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.doubles.loopback import loopback_server

ORG_ID = "ae0dd46e-a8b1-457d-8d9e-a12e235c30ad"
SEARCH_TOKEN = "test-api-token"  # lets the search see private datasets
PUBLISH_TOKEN = "publish-token"  # the only token the write actions accept
HELP = "http://127.0.0.1/api/3/action/help_show?name=package_search"
# data.gov.ua's codes (/work/shared/standards/data-gov-ua.md).
UPDATE_FREQUENCIES = {
    "more than once a day",
    "once a day",
    "once a week",
    "once a month",
    "once a quarter",
    "once a half year",
    "once a year",
    "immediately after making changes",
    "no longer updated",
}
LANGUAGES = {"ua", "ru", "en", "ro", "hu", "bg", "pl"}
NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


def dataset_problems(body: dict[str, Any]) -> dict[str, list[str]]:
    """What the portal's package schema refuses, as CKAN's Validation Error names it."""
    problems: dict[str, list[str]] = {}
    for key in (
        "name",
        "title",
        "notes",
        "owner_org",
        "update_frequency",
        "language",
        "purpose_of_collecting_information",
        "tag_string",
    ):
        if not str(body.get(key) or "").strip():
            problems[key] = ["Missing value"]
    if "name" not in problems and not NAME.match(str(body["name"])):
        problems["name"] = ["Must be purely lowercase alphanumeric (ascii) characters and -_"]
    if len(str(body.get("title") or "")) > 254:
        problems["title"] = ["Length must be at most 254"]
    if "update_frequency" not in problems and body["update_frequency"] not in UPDATE_FREQUENCIES:
        problems["update_frequency"] = ["Value must be one of the portal's codes"]
    if "language" not in problems and body["language"] not in LANGUAGES:
        problems["language"] = ["Value must be one of: " + ", ".join(sorted(LANGUAGES))]
    if len(str(body.get("purpose_of_collecting_information") or "")) > 512:
        problems["purpose_of_collecting_information"] = ["Length must be at most 512"]
    for tag in str(body.get("tag_string") or "").split(","):
        if len(tag.strip()) > 100:
            problems["tag_string"] = ["Tag is longer than 100 characters"]
    return problems


class CkanAnswers(BaseHTTPRequestHandler):
    """CKAN's answer envelope, quiet logs, and a client that gave up is not an error."""

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def send_json(self, status: int, body: Any, raw: bytes | None = None) -> None:
        """Answer with `body` as JSON (or `raw` bytes as they are)."""
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def ok(self, result: Any) -> None:
        """A successful action's answer."""
        self.send_json(200, {"help": HELP, "success": True, "result": result})

    def error(self, status: int, message: str, kind: str) -> None:
        """A failed action's answer."""
        self.send_json(
            status,
            {"help": HELP, "success": False, "error": {"message": message, "__type": kind}},
        )


def package(
    n: int,
    *,
    private: bool = False,
    fmt: str = "CSV",
    title: str | None = None,
    state: str = "active",
) -> dict[str, Any]:
    """A package dict as CKAN 2.9+/data.gov.ua returns it (abridged)."""
    return {
        "id": f"pkg-{n:03d}",
        "name": f"dataset-{n:03d}",
        "title": title or f"Набір даних {n}",
        "private": private,
        "state": state,
        "type": "dataset",
        "owner_org": ORG_ID,
        "metadata_created": "2023-01-10T08:00:00.000000",
        "metadata_modified": f"2024-0{1 + n % 9}-15T10:30:00.123456",
        "update_frequency": "once a quarter",
        "organization": {"id": ORG_ID, "name": "kalush-rada", "title": "Калуська міська рада"},
        "extras": [],
        "tags": [{"name": "бюджет"}],
        "resources": [
            {
                "id": f"res-{n:03d}",
                "package_id": f"pkg-{n:03d}",
                "name": f"Ресурс {n}",
                "format": fmt,
                "url": f"https://data.gov.ua/dataset/dataset-{n:03d}/resource/res-{n:03d}",
                "created": "2023-01-10T08:00:00.000000",
                "last_modified": "2024-07-01T09:00:00" if n % 2 else None,
            }
        ],
        "num_resources": 1,
    }


PUBLIC = [package(n) for n in range(1, 8)]
PRIVATE = [package(100, private=True, fmt="XLS")]


class SearchPortal:
    """What the fake portal "kalush-rada" does next (tests change it; `reset` before each)."""

    mode = "ok"  # ok | forbidden | malformed | failure | slow | html | loop
    requests: list[tuple[str, dict[str, list[str]], str | None]] = []
    # Units' own organizations (name -> packages), as Ivano-Frankivsk's enterprises have them.
    unit_orgs: dict[str, list[dict[str, Any]]] = {}
    # package id -> (views total, views recent, downloads per resource) for package_show.
    tracking: dict[str, tuple[int, int, int]] = {}

    @classmethod
    def reset(cls) -> None:
        """Answer normally, with no requests seen."""
        cls.mode = "ok"
        cls.requests = []
        cls.unit_orgs = {}
        cls.tracking = {}


class SearchHandler(CkanAnswers):
    """CKAN's read actions, as much of them as the snapshot's client uses."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        token = self.headers.get("Authorization")
        SearchPortal.requests.append((parts.path, query, token))
        action = parts.path.removeprefix("/api/3/action/")
        mode = SearchPortal.mode
        if mode == "slow":
            time.sleep(1.5)
        if mode == "forbidden":
            return self.error(403, "Access denied", "Authorization Error")
        if mode == "html":
            return self.send_json(200, None, raw=b"<html><body>Technical works</body></html>")
        if mode == "failure":
            return self.send_json(
                200, {"help": HELP, "success": False, "error": {"message": "Oops"}}
            )
        if action == "organization_show":
            name = query.get("id", [""])[0]
            if name in SearchPortal.unit_orgs:
                return self.ok({"id": f"org-{name}", "name": name})
            if name != "kalush-rada":
                return self.error(404, "Not found", "Not Found Error")
            return self.ok({"id": ORG_ID, "name": "kalush-rada", "package_count": 7})
        if action == "package_show":
            return self.package_show(query.get("id", [""])[0])
        if action == "package_search":
            private = query.get("include_private") == ["true"] and token == SEARCH_TOKEN
            fq = query.get("fq", [""])[0]
            units = {f'owner_org:"org-{n}"': p for n, p in SearchPortal.unit_orgs.items()}
            if fq in units:
                packages = units[fq]
            elif fq != f'owner_org:"{ORG_ID}"':
                return self.error(409, "Bad fq", "Validation Error")
            else:
                packages = PUBLIC + (PRIVATE if private else [])
            rows, start = int(query["rows"][0]), int(query["start"][0])
            if mode == "malformed":
                return self.ok({"count": "x"})
            if mode == "loop":
                start = 0  # a broken portal: always the first page, a count that never ends
            return self.ok(
                {
                    "count": 10_000 if mode == "loop" else len(packages),
                    "results": packages[start : start + rows],
                    "sort": "name asc",
                    "facets": {},
                    "search_facets": {},
                }
            )
        return self.error(404, "Action not found", "Not Found Error")

    def package_show(self, package_id: str) -> None:
        """A package with CKAN's tracking summary (include_tracking=True), when it has one."""
        every = PUBLIC + PRIVATE + [p for ps in SearchPortal.unit_orgs.values() for p in ps]
        found = next((p for p in every if p["id"] == package_id), None)
        if found is None:
            return self.error(404, "Not found", "Not Found Error")
        answer = json.loads(json.dumps(found))
        if package_id in SearchPortal.tracking:
            total, recent, downloads = SearchPortal.tracking[package_id]
            answer["tracking_summary"] = {"total": total, "recent": recent}
            for resource in answer["resources"]:
                resource["tracking_summary"] = {"total": downloads, "recent": 0}
        return self.ok(answer)


class PublishPortal:
    """The fake portal's datasets and uploads; tests change `fail`."""

    def __init__(self) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.calls: list[str] = []
        self.headers: list[dict[str, str]] = []  # each write's request headers
        self.fail: dict[str, str] = {}  # action -> "slow-after-work" | "500-before-work"
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """A handler class bound to this portal."""
        return type("BoundPublishHandler", (PublishHandler,), {"portal": self})


class PublishHandler(CkanAnswers):
    """CKAN's write actions (and package_show), as the publisher uses them."""

    portal: PublishPortal

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        action = parts.path.rsplit("/", 1)[-1]
        self.portal.calls.append(action)
        query = parse_qs(parts.query)
        if action != "package_show":
            self.error(400, "unsupported", "Bad request")
            return
        found = self.portal.packages.get(query.get("id", [""])[0])
        if found is None:
            self.error(404, "Not found", "Not Found Error")
            return
        self.ok(found)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return dict(json.loads(raw))
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload: Any = part.get_payload(decode=True)
            fields[name] = payload if part.get_filename() else payload.decode()
        return fields

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        action = urlsplit(self.path).path.rsplit("/", 1)[-1]
        self.portal.calls.append(action)
        keys = {self.headers.get("Authorization"), self.headers.get("X-CKAN-API-Key")}
        if PUBLISH_TOKEN not in keys:
            self.error(403, "Access denied", "Authorization Error")
            return
        self.portal.headers.append(dict(self.headers))
        body = self._body()
        refused = self._refused(action, body)
        if refused:
            self.send_json(
                409,
                {
                    "help": HELP,
                    "success": False,
                    "error": {"__type": "Validation Error", **refused},
                },
            )
            return
        failure = self.portal.fail.pop(action, None)
        if failure == "500-before-work":
            self.error(500, "boom", "Internal Server Error")
            return
        with self.portal.lock:
            result = self._act(action, body)
        if failure == "slow-after-work":
            time.sleep(1.5)  # the work is done, but the client gives up first
        if result is None:
            return
        self.ok(result)

    def _refused(self, action: str, body: dict[str, Any]) -> dict[str, list[str]]:
        if action in ("package_create", "package_update"):
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                return {"body": ["Expected JSON"]}
            return dataset_problems(body)
        if action in ("resource_create", "resource_update"):
            problems: dict[str, list[str]] = {}
            if not isinstance(body.get("upload"), bytes):
                problems["upload"] = ["A file must be uploaded (multipart), not a URL"]
            if body.get("url"):
                problems["url"] = ["The portal stores the uploaded file; no link"]
            key = "package_id" if action == "resource_create" else "id"
            for field in (key, "name", "format"):
                if not body.get(field):
                    problems[field] = ["Missing value"]
            return problems
        return {}

    def _act(self, action: str, body: dict[str, Any]) -> Any:
        packages = self.portal.packages
        if action == "package_create":
            if body["name"] in packages:
                self.error(409, "That URL is already in use.", "Validation Error")
                return None
            created = {**body, "id": f"id-{body['name']}", "resources": []}
            packages[body["name"]] = created
            return created
        if action == "package_update":
            updated = packages[body["name"]]
            updated.update({k: v for k, v in body.items() if k != "resources"})
            return updated
        if action in ("resource_create", "resource_update"):
            upload = body.pop("upload")
            if action == "resource_create":
                owner = next(p for p in packages.values() if p["id"] == body["package_id"])
                resource = {**body, "id": f"res-{len(self.portal.uploads) + 1}"}
                owner["resources"].append(resource)
            else:
                resource = next(
                    r for p in packages.values() for r in p["resources"] if r["id"] == body["id"]
                )
                resource.update(body)
            resource["url"] = f"http://127.0.0.1/download/{resource['id']}/{resource['name']}"
            self.portal.uploads[resource["id"]] = upload
            return resource
        self.error(400, "unsupported", "Bad request")
        return None


def allow_portal(monkeypatch: Any, *urls: str) -> None:
    """Put the doubles' loopback `host:port`s on the administrator's allow list (only those)."""
    from models.settings import get_settings

    monkeypatch.setenv("INFOAUDIT_PORTAL_HOSTS", ",".join(urlsplit(u).netloc for u in urls))
    get_settings.cache_clear()


@contextmanager
def search_portal(monkeypatch: Any) -> Iterator[str]:
    """The read side, fresh, on a loopback port on the allow list; yields its base URL."""
    SearchPortal.reset()
    try:
        with loopback_server(SearchHandler) as url:
            allow_portal(monkeypatch, url)
            yield url
    finally:
        SearchPortal.reset()  # the class-level state must not leak into the next test


@contextmanager
def publish_portal(monkeypatch: Any) -> Iterator[tuple[str, PublishPortal]]:
    """The write side on a loopback port on the allow list; yields its base URL and state."""
    state = PublishPortal()
    with loopback_server(state.handler()) as url:
        allow_portal(monkeypatch, url)
        yield url, state
