"""Hostile input gets a clear 4xx in Ukrainian, never a server error."""

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from models.clock import FixedClock
from models.errors import Invalid
from models.services.report.cades import load_cms
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.factories import plan


@pytest.fixture
def lenient(app: FastAPI) -> TestClient:
    """A client that sees the 500 a server error would give (instead of the exception)."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def state(lenient: TestClient, clock: FixedClock) -> dict[str, Any]:
    return launched_cycle(lenient, clock)


@pytest.mark.parametrize(
    "path",
    [
        "/api/cycles/209006032015470428160/report",
        "/api/cycles/9223372036854775808",
        "/console/cycles/99999999999999999999999",
    ],
)
def test_an_id_no_row_can_have_is_not_found(
    lenient: TestClient, state: dict[str, Any], path: str
) -> None:
    response = lenient.get(path, headers=state["org"]["coordinator"])

    assert response.status_code == 404
    assert "не знайдено" in response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", "[" * 100_000 + "]" * 100_000),
        ("application/yaml", "order: " + "[" * 100_000 + "]" * 100_000),
    ],
    ids=["json", "yaml"],
)
def test_deeply_nested_plans_are_refused_plainly(
    lenient: TestClient, state: dict[str, Any], content_type: str, body: str
) -> None:
    response = lenient.post(
        "/api/cycles",
        headers={**state["org"]["coordinator"], "content-type": content_type},
        content=body,
    )

    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_a_csv_cell_over_the_parsers_limit_is_named(
    lenient: TestClient, state: dict[str, Any]
) -> None:
    org = state["org"]
    table = "Назва,Періодичність\n" + '"' + "x" * 140_000 + '",щороку\n'

    response = lenient.post(
        f"/api/organizations/{org['id']}/register/import?format=csv",
        headers={**org["coordinator"], "content-type": "text/csv"},
        content=table.encode(),
    )

    assert response.status_code == 422, response.text
    assert "131 072 символи" in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [
        b"-----BEGIN PKCS7-----\n@@@=\n-----END PKCS7-----\n",
        b"-----BEGIN PKCS7-----\nMIIB=\n-----END PKCS7-----\n",
        b"-----BEGIN PKCS7-----\nMQ\n-----END PKCS7-----",
    ],
    ids=["bad base64", "bad padding", "odd length"],
)
def test_a_damaged_pem_signature_is_invalid_not_a_crash(data: bytes) -> None:
    with pytest.raises(Invalid, match="не вдалося його прочитати"):
        load_cms(data)


def test_a_forged_host_never_reaches_a_page(lenient: TestClient) -> None:
    page = lenient.get("/login", headers={"host": "evil.example"})

    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert 'href="/static/app.css"' in page.text


def test_what_a_logged_in_person_sees_is_not_cached(
    lenient: TestClient, state: dict[str, Any]
) -> None:
    headers = state["org"]["coordinator"]

    assert lenient.get(f"/api/cycles/{state['cycle_id']}", headers=headers).headers[
        "cache-control"
    ] == ("no-store")
    assert "cache-control" not in lenient.get("/login").headers


def test_the_api_refuses_a_cookie_only_change_and_a_plan_as_plain_text(
    lenient: TestClient, state: dict[str, Any]
) -> None:
    org = state["org"]
    console_login(lenient, org["coordinator_email"])
    token = csrf_of(lenient.get("/console").text)
    register = f"/api/organizations/{org['id']}/register/import?format=csv&replace=true"
    table = "Назва,Періодичність\nНабір,щороку\n".encode()

    forged = lenient.post(register, content=table, headers={"content-type": "text/plain"})
    assert forged.status_code == 403
    with_token = lenient.post(register, content=table, headers={"x-csrf-token": token})
    assert with_token.status_code != 403

    lenient.cookies.clear()
    as_text = lenient.post(
        "/api/cycles",
        content=json.dumps(plan(year=2025)),
        headers={**org["coordinator"], "content-type": "text/plain"},
    )
    assert as_text.status_code == 415
    assert "application/json" in as_text.json()["detail"]
