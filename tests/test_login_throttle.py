"""Login lockout per account at an address and per address (issue 16): a stranger typing the
coordinator's e-mail locks only their own address out, spraying passwords over many accounts
from one address is throttled, an unknown e-mail gets the very same answers, and the counts live
in the database, so every web host sharing it sees them."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.serve import web_config
from models.clock import FixedClock
from models.db import get_engine
from tests.console_pages import add_login, console_login
from tests.factories import PASSWORD, create_organization

WRONG = "wrong-password-1"


@contextmanager
def _from(app: FastAPI, address: str) -> Iterator[TestClient]:
    """A client whose connection comes from this address (as the server resolves it)."""
    with TestClient(app, client=(address, 40000)) as client:
        yield client


def _login(client: TestClient, email: str, password: str) -> tuple[int, str]:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code, response.json().get("detail", "")


def test_a_stranger_locks_only_their_own_address_out(app: FastAPI, client: TestClient) -> None:
    email = create_organization(client)["coordinator_email"]
    with _from(app, "203.0.113.7") as stranger:
        for _ in range(4):
            assert _login(stranger, email, WRONG)[0] == 401
        assert _login(stranger, email, WRONG)[0] == 429
        assert _login(stranger, email, PASSWORD)[0] == 429  # the right password, too late
    # The coordinator, from her office, is not locked out: by the API and by the console.
    with _from(app, "198.51.100.20") as office:
        assert _login(office, email, PASSWORD)[0] == 200
        console_login(office, email)
    with _from(app, "203.0.113.7") as stranger:
        assert _login(stranger, email, PASSWORD)[0] == 429  # still locked there


def test_spraying_passwords_over_many_accounts_from_one_address_is_throttled(
    app: FastAPI, client: TestClient
) -> None:
    org = create_organization(client)
    with _from(app, "203.0.113.9") as sprayer:
        for n in range(29):  # one guess per account: no account reaches its own limit
            assert _login(sprayer, f"person{n}@example.org", WRONG)[0] == 401
        status, detail = _login(sprayer, "person-last@example.org", WRONG)
        assert status == 429
        assert "Забагато невдалих спроб входу" in detail
        # Now even a right password from that address waits.
        assert _login(sprayer, org["mayor_email"], PASSWORD)[0] == 429
    with _from(app, "198.51.100.21") as elsewhere:
        assert _login(elsewhere, org["mayor_email"], PASSWORD)[0] == 200


def test_an_unknown_e_mail_is_locked_exactly_like_a_real_one(
    app: FastAPI, client: TestClient
) -> None:
    real = create_organization(client)["coordinator_email"]
    answers: dict[str, list[tuple[int, str]]] = {}
    for email in (real, "nobody@example.org"):
        with _from(app, "203.0.113.40") as attacker:
            answers[email] = [_login(attacker, email, WRONG) for _ in range(6)]
    assert answers[real] == answers["nobody@example.org"]
    assert [status for status, _ in answers[real]] == [401] * 4 + [429] * 2


def test_the_counts_are_shared_by_every_web_host_on_the_database(
    app: FastAPI, client: TestClient, clock: FixedClock
) -> None:
    email = create_organization(client)["coordinator_email"]
    other_host = create_app(clock=clock, engine=get_engine())  # a second process's app
    with _from(app, "203.0.113.50") as first, _from(other_host, "203.0.113.50") as second:
        for host in (first, second, first, second):
            assert _login(host, email, WRONG)[0] == 401
        assert _login(second, email, WRONG)[0] == 429
        assert _login(first, email, PASSWORD)[0] == 429


def test_a_password_reset_lifts_the_lockouts_of_that_e_mail(
    app: FastAPI, client: TestClient
) -> None:
    org = create_organization(client)
    email = add_login(client, org, "working_group")
    with _from(app, "198.51.100.30") as office:
        for _ in range(5):
            _login(office, email, WRONG)
        assert _login(office, email, PASSWORD)[0] == 429
        accounts = client.get(
            f"/api/organizations/{org['id']}/accounts", headers=org["coordinator"]
        )
        member = next(a for a in accounts.json() if a["email"] == email)
        reset = client.post(
            f"/api/organizations/{org['id']}/accounts/{member['id']}/password",
            headers=org["coordinator"],
            json={"password": "new-password-2024"},
        )
        assert reset.status_code == 200, reset.text
        assert _login(office, email, "new-password-2024")[0] == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(database_url: str) -> None:
    """Served as `infoaudit serve` serves it: without named proxies X-Forwarded-For is ignored
    (rotating it changes nothing); behind a named proxy the forwarded address is the client's."""
    from models.settings import Settings

    settings = Settings(database_url=database_url)
    direct = web_config(settings, host="127.0.0.1", port=8400)
    direct.load()
    with TestClient(direct.loaded_app, client=("203.0.113.60", 40000)) as client:
        email = create_organization(client)["coordinator_email"]
        answers = [
            client.post(
                "/api/auth/login",
                json={"email": email, "password": WRONG},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},
            ).status_code
            for n in range(6)
        ]
        assert answers == [401] * 4 + [429] * 2

    proxied = web_config(
        settings.model_copy(update={"trusted_proxies": "10.0.0.5"}), host="127.0.0.1", port=8401
    )
    proxied.load()
    with TestClient(proxied.loaded_app, client=("10.0.0.5", 40000)) as proxy:
        # The same e-mail, forwarded for another client: that client is not locked out.
        response = proxy.post(
            "/api/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
        assert response.status_code == 200
        # Forwarded for the locked address: locked.
        response = proxy.post(
            "/api/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.60"},
        )
        assert response.status_code == 429
