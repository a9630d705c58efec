"""Helpers for the console's page tests: log in through the form, read the CSRF token, set up
an organization with a launched cycle."""

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from models.clock import FixedClock
from tests.doubles.html import csrf_of
from tests.factories import PASSWORD, at, create_organization, launch, plan


def form_login(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """Post the console's login form as a fresh visitor; the answer is not followed."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def console_login(client: TestClient, email: str) -> None:
    """Log in through the console's form (the session cookie stays in the client)."""
    response = form_login(client, email)
    assert response.status_code == 303, response.text


def browser_login(page: Any, base_url: str, email: str) -> None:
    """Log a Playwright page in through the console's form; it lands on the console's home."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Увійти").click()
    # On a refusal the login page says why: show it rather than a bare time-out later.
    assert page.url == f"{base_url}/console", page.inner_text("main")


def add_login(client: TestClient, org: dict[str, Any], role: str) -> str:
    """A new account of the organization with that role; returns its e-mail."""
    email = f"{role}@{org['id']}.example.org"
    response = client.post(
        f"/api/organizations/{org['id']}/accounts",
        headers=org["coordinator"],
        json={"email": email, "password": PASSWORD, "role": role},
    )
    assert response.status_code == 201, response.text
    return email


def launched_cycle(client: TestClient, clock: FixedClock, **changes: Any) -> dict[str, Any]:
    """An organization with the seed's cycle launched three days before it starts."""
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan(**changes))
    return {"org": org, "cycle": cycle, "cycle_id": cycle["id"]}
