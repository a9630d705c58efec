"""Every route, every role: one organization never sees or changes another's data."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import create_organization, launch, plan, second_organization, token_of

# Routes anyone may use: the public survey, a unit's secret link, logging in, the landing page.
PUBLIC = re.compile(
    r"^(/$|/login$|/logout$|/api/auth/|/api/health$|/api/survey/\{slug\}|/survey/\{slug\}|"
    r"/api/questionnaire/\{token\}|/q/\{token\}|/api/organizations$|/docs$)"
)


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.150 keeps them nested)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in _api_routes(app.routes)
        for method in route.methods or ()
        if method in ("GET", "POST", "PUT", "PATCH", "DELETE") and not PUBLIC.match(route.path)
    )


def _url(path: str, ids: dict[str, Any]) -> str:
    return _path(path, ids) + "?question=1&by=2"  # required query parameters of some reports


def _path(path: str, ids: dict[str, Any]) -> str:
    # A path parameter that is an enum must be valid, or FastAPI answers 422 before any check.
    listing = "/consolidation/" in path or "/inventory/" in path
    ids = {**ids, "kind": "systems" if listing else ids["kind"]}
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: str(ids.get(m.group(1), 1)), path)


@pytest.fixture
def two_organizations(client: TestClient) -> dict[str, Any]:
    first = create_organization(client, "Перша рада")
    cycle = launch(client, first["coordinator"], plan())
    second = second_organization(client)
    ids = {
        "organization_id": first["id"],
        "cycle_id": cycle["id"],
        "unit_id": first["units"][0]["id"],
        "kind": "remote_audit",
        "key": "legal_base",  # a report section
        "token": token_of(cycle["links"][0]["url"]),
        "slug": cycle["survey_url"].rsplit("/", 1)[1],
    }
    return {"first": first, "ids": ids, "second": second}


def test_another_organization_gets_nothing_anywhere(
    app: FastAPI, client: TestClient, two_organizations: dict[str, Any]
) -> None:
    ids, second = two_organizations["ids"], two_organizations["second"]
    client.cookies.clear()
    checked = 0
    for method, path in _routes(app):
        if "{" not in path:
            if method == "GET":  # the second organization's own pages: none of the first's data
                response = client.get(path, headers=second)
                assert "Перша рада" not in response.text, path
                assert "212-р" not in response.text, path
            continue
        response = client.request(method, _url(path, ids), headers=second, json={})
        # 404 hides the other organization's data; 403 refuses the role; 422 refuses an empty
        # body before anything is read. Never a success.
        assert response.status_code in (403, 404, 405, 422), (method, path, response.status_code)
        if method == "GET":
            assert response.status_code in (403, 404), (method, path, response.text[:200])
        checked += 1
    assert checked >= 8
    # With a valid body too: the other organization is "not found", nothing is created.
    response = client.post(
        f"/api/organizations/{ids['organization_id']}/units",
        headers=second,
        json={"name": "Чужий відділ"},
    )
    assert response.status_code == 404


def test_without_login_nothing_is_served(
    app: FastAPI, client: TestClient, two_organizations: dict[str, Any]
) -> None:
    ids = two_organizations["ids"]
    client.cookies.clear()
    for method, path in _routes(app):
        response = client.request(method, _url(path, ids), json={}, follow_redirects=False)
        if path.startswith("/console"):
            if method == "GET":
                assert response.status_code == 303, (method, path)
                # After login the person lands where they were going (?next=).
                assert response.headers["location"].startswith("/login"), (method, path)
            else:  # a form without the CSRF cookie is refused first
                assert response.status_code in (303, 403, 422), (method, path)
        else:
            assert response.status_code in (401, 403, 422), (method, path, response.status_code)


def test_mayor_office_reads_but_never_changes(
    app: FastAPI, client: TestClient, two_organizations: dict[str, Any]
) -> None:
    ids, first = two_organizations["ids"], two_organizations["first"]
    client.cookies.clear()
    mayor = first["mayor"]
    for method, path in _routes(app):
        if method == "GET":
            continue
        response = client.request(method, _url(path, ids), headers=mayor, json={})
        assert response.status_code in (403, 422), (method, path, response.status_code)


def test_console_forms_of_another_organization_are_not_found(
    app: FastAPI, client: TestClient, two_organizations: dict[str, Any]
) -> None:
    """Past the CSRF check (a valid token of the other organization's own session) every console
    form on the first organization's cycle is "not found", and nothing changes."""
    from sqlalchemy import func, select

    from models.db import session_scope
    from models.event import AuditEvent

    ids = two_organizations["ids"]
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    with session_scope() as session:
        events = session.scalar(select(func.count(AuditEvent.id)))
    forms = [
        p for m, p in _routes(app) if m == "POST" and p.startswith("/console/cycles/{cycle_id}")
    ]
    assert len(forms) >= 15
    for path in forms:
        response = client.post(_path(path, ids), data={"csrf_token": token, "reason": "Чужий"})
        assert response.status_code == 404, (path, response.status_code)
    with session_scope() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == events


# The mayor's office receives the signed report (domain.md): it reads the cycle's summary and
# the report's signed versions, nothing of the working group's material — no audit trail, no
# inventory or register exports, no survey results, no portal snapshots (README, "Roles").
MAYOR_OFFICE_READS = {
    "/api/cycles/{cycle_id}",
    "/api/cycles/{cycle_id}/report",
    "/api/cycles/{cycle_id}/report/download",
    "/api/cycles/{cycle_id}/report.pdf",
    "/api/cycles/{cycle_id}/report/versions/{number}/signatures/{signature_id}.p7s",
    "/api/organizations/{organization_id}",  # its name and units: the report names them too
    "/api/organizations/{organization_id}/cycles",
    "/api/kep/trusted-list",
    # The action plan made from the approved report: the council adopts and publishes it.
    "/api/cycles/{cycle_id}/action-plan",
    "/api/cycles/{cycle_id}/action-plan.pdf",
    "/console/cycles/{cycle_id}/action-plan.pdf",
    "/console",
    "/console/cycles/{cycle_id}",
    "/console/cycles/{cycle_id}/report",
}


def test_the_mayor_office_reads_the_signed_report_and_nothing_else(
    app: FastAPI, client: TestClient, two_organizations: dict[str, Any]
) -> None:
    ids, first = two_organizations["ids"], two_organizations["first"]
    mayor = first["mayor"]
    console_login(client, first["mayor_email"])
    cookies = dict(client.cookies)
    read = set()
    for method, path in _routes(app):
        if method != "GET":
            continue
        if path.startswith("/console"):
            client.cookies.update(cookies)
            response = client.get(_url(path, ids), follow_redirects=False)
        else:
            client.cookies.clear()
            response = client.get(_url(path, ids), headers=mayor, follow_redirects=False)
        assert response.status_code != 500, path
        if response.status_code != 403:
            read.add(path)
    assert read == MAYOR_OFFICE_READS, "\n".join(sorted(read ^ MAYOR_OFFICE_READS))
    # The pages it reads show none of it either: no trail, no exports, no register links.
    client.cookies.update(cookies)
    page = client.get(f"/console/cycles/{ids['cycle_id']}").text
    assert "Журнал дій" not in page
    assert "/inventory" not in page
    assert "/register" not in page
    assert "/console/units" not in page
