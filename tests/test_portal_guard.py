"""Issue 16: the server calls only the portal hosts the administrator allows, with each
organization's own key, never to another host, and says nothing about what it found.

Real HTTP servers on loopback: the CKAN double, and small servers that record what reaches
them (a host that must never be called, a portal that redirects, one that leaks its errors).
"""

import ipaddress
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.portal_snapshot import take_snapshot
from models.db import session_scope
from models.errors import Invalid
from models.event import AuditEvent
from models.organization import Organization
from models.portal.ckan import CkanClient, PortalError
from models.portal.hosts import PortalHosts, check_portal_url, is_public
from models.publication import PortalSource
from models.services.trail import SENTENCES
from tests.console_pages import console_login, csrf_of
from tests.doubles.ckan import SEARCH_TOKEN, SearchHandler, SearchPortal, allow_portal
from tests.doubles.loopback import loopback_server
from tests.factories import at, create_organization, second_organization


class Recorder(BaseHTTPRequestHandler):
    """Records every request (path and Authorization); answers per `answer`."""

    seen: ClassVar[list[tuple[str, str | None]]] = []
    answer: ClassVar[tuple[int, dict[str, str], bytes]] = (404, {}, b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = type(self).answer
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def recorder(status: int, body: Any = None, **headers: str) -> type[Recorder]:
    """A Recorder class of its own (its own list of requests)."""
    answer = (status, headers, json.dumps(body or {}).encode())
    return type("Bound", (Recorder,), {"seen": [], "answer": answer})


@pytest.fixture
def portal() -> Iterator[str]:
    """The CKAN double on a loopback port; yields its base URL."""
    SearchPortal.reset()
    with loopback_server(SearchHandler) as url:
        yield url


@pytest.mark.sqlite_only
def test_allow_list_entries_and_public_addresses() -> None:
    hosts = PortalHosts.from_text("data.gov.ua, 127.0.0.1:8501 [::1]:8443")
    assert check_portal_url("https://data.gov.ua", hosts).port == 443
    assert check_portal_url("https://DATA.gov.ua./", hosts).host == "data.gov.ua"
    assert check_portal_url("http://127.0.0.1:8501", hosts).scheme == "http"
    assert check_portal_url("https://[::1]:8443/ckan", hosts).host == "::1"
    for refused in (
        "http://data.gov.ua",  # a bare name is HTTPS on 443 only
        "https://data.gov.ua:8443",
        "http://127.0.0.1:8502",  # loopback, but not the listed port
        "http://localhost:8501",
        "https://data.gov.ua@127.0.0.1:8501",  # credentials in the URL
        "https://data.gov.ua.evil.example",
        "http://169.254.169.254",
        "http://[::ffff:127.0.0.1]:8501",
        "ftp://data.gov.ua",
        "https://data.gov.ua/?x=1",
    ):
        with pytest.raises(Invalid):
            check_portal_url(refused, hosts)
    private = ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1",
               "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1")  # fmt: skip
    for address in private:
        assert not is_public(ipaddress.ip_address(address)), address
    assert is_public(ipaddress.ip_address("104.18.1.1"))
    assert "portal.source_set" in SENTENCES


def test_portal_address_must_be_allowed_in_the_api_and_the_console(
    portal: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = create_organization(client)
    api = f"/api/organizations/{org['id']}/portal"
    # The default list: data.gov.ua only (saved without calling it).
    assert client.put(
        api, headers=org["coordinator"],
        json={"portal_url": "https://data.gov.ua", "portal_organization": "kalush-rada"},
    ).status_code == 200  # fmt: skip
    allow_portal(monkeypatch, portal)
    port = int(portal.rsplit(":", 1)[1])
    for url in (
        f"http://127.0.0.1:{port + 1}",  # loopback, another port than the listed one
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://10.0.0.8",
        "https://data.gov.ua",  # no longer on this installation's list
    ):
        answer = client.put(
            api, headers=org["coordinator"],
            json={"portal_url": url, "portal_organization": "kalush-rada"},
        )  # fmt: skip
        assert answer.status_code == 422, (url, answer.text)
        assert "переліку дозволених" in answer.json()["detail"]
    good = {"portal_url": portal, "portal_organization": "kalush-rada"}
    assert client.put(api, headers=org["coordinator"], json=good).status_code == 200

    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get("/console/units").text)
    refused = client.post(
        "/console/units/portal",
        data={
            "portal_url": f"http://127.0.0.1:{port + 1}",
            "portal_organization": "kalush-rada",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert 'id="portal_url-error"' in refused.text
    assert "переліку дозволених" in refused.text
    assert f'value="http://127.0.0.1:{port + 1}"' in refused.text  # the input is kept
    with session_scope() as session:
        source = session.scalar(select(PortalSource))
        assert source is not None
        assert source.portal_url == portal


def test_a_listed_name_resolving_to_loopback_is_refused_at_connect(
    portal: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The administrator lists a *name*: what it resolves to (here loopback) is checked on
    # every connection, so a name that rebinds to an internal address reaches nothing.
    named = portal.replace("127.0.0.1", "localhost")
    allow_portal(monkeypatch, named)
    org = create_organization(client)
    body = {"portal_url": named, "portal_organization": "kalush-rada"}
    assert client.put(
        f"/api/organizations/{org['id']}/portal", headers=org["coordinator"], json=body
    ).status_code == 200  # fmt: skip
    outcome = take_snapshot(org["id"], now=at("2024-10-01"))
    assert not outcome.ok
    assert "заборонено" in outcome.message
    assert "127.0.0.1" not in outcome.message
    assert SearchPortal.requests == []  # nothing reached the server
    with CkanClient(named, token="secret") as ckan, pytest.raises(PortalError):
        ckan.organization_show("kalush-rada")
    assert SearchPortal.requests == []


def test_the_key_is_the_organizations_own_and_stays_with_its_host(
    portal: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = recorder(404, {"success": False, "error": {"message": "Not found"}})
    with loopback_server(other) as elsewhere:
        allow_portal(monkeypatch, portal, elsewhere)
        first = create_organization(client)
        second_headers = second_organization(client)
        with session_scope() as session:
            second_id = session.scalar(
                select(Organization.id).where(Organization.name == "Друга рада")
            )
        api = f"/api/organizations/{first['id']}/portal"
        body = {"portal_url": portal, "portal_organization": "kalush-rada"}
        answer = client.put(
            api, headers=first["coordinator"], json={**body, "api_token": SEARCH_TOKEN}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {**body, "token_set": True}  # never shown back
        with session_scope() as session:
            stored = session.scalar(select(PortalSource.api_token))
            assert stored
            assert SEARCH_TOKEN not in stored  # sealed at rest
        console_login(client, first["coordinator_email"])
        page = client.get("/console/units").text
        assert SEARCH_TOKEN not in page
        assert "Ключ збережено" in page

        # The organization's key reads its private datasets; the other's calls carry none.
        assert take_snapshot(first["id"], now=at("2024-10-01")).ok
        assert {t for _, _, t in SearchPortal.requests} == {SEARCH_TOKEN}
        SearchPortal.requests.clear()
        assert client.put(
            f"/api/organizations/{second_id}/portal", headers=second_headers, json=body
        ).status_code == 200  # fmt: skip
        assert take_snapshot(int(second_id or 0), now=at("2024-10-01")).ok
        assert SearchPortal.requests
        assert {t for _, _, t in SearchPortal.requests} == {None}

        # Moving the first organization's portal to another host drops its key there.
        moved = client.put(
            api, headers=first["coordinator"],
            json={"portal_url": elsewhere, "portal_organization": "kalush-rada"},
        )  # fmt: skip
        assert moved.json()["token_set"] is False
        assert not take_snapshot(first["id"], now=at("2024-10-02")).ok
        assert other.seen
        assert {auth for _, auth in other.seen} == {None}
        # Back, with a new key, then the key removed on purpose.
        again = client.put(api, headers=first["coordinator"], json={**body, "api_token": "k2"})
        assert again.json()["token_set"] is True
        removed = client.put(api, headers=first["coordinator"], json={**body, "remove_token": True})
        assert removed.json()["token_set"] is False
    with session_scope() as session:
        details = [
            e.details
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "portal.source_set")
            )
        ]
    assert [d["token"] for d in details if d["portal_url"] == portal] == [
        "set",
        "",
        "set",
        "removed",
    ]


@pytest.mark.sqlite_only
def test_no_redirect_is_followed_and_errors_repeat_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = recorder(200, {"success": True, "result": {"id": "x"}})
    with loopback_server(target) as inside:
        redirect = recorder(302, {}, Location=f"{inside}/api/3/action/organization_show?id=x")
        leaky = recorder(500, {"success": False, "error": {"message": "db at 10.0.0.5 down"}})
        with loopback_server(redirect) as redirecting, loopback_server(leaky) as leaking:
            allow_portal(monkeypatch, inside, redirecting, leaking)
            with CkanClient(redirecting, token="k") as ckan, pytest.raises(PortalError) as moved:
                ckan.organization_show("kalush-rada")
            assert "переадресовує" in moved.value.message
            assert target.seen == []  # the redirect's target was never called
            with CkanClient(leaking) as ckan, pytest.raises(PortalError) as failed:
                ckan.organization_show("kalush-rada")
    assert failed.value.message == "Портал повернув помилку HTTP 500."
    assert "10.0.0.5" not in failed.value.message
    assert "127.0.0.1" not in moved.value.message + failed.value.message
