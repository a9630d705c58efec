"""A console action confirms what it did on the next page, once; no other site can forge the
confirmation's text."""

from fastapi.testclient import TestClient

from api.web import NOTICE_COOKIE
from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import create_organization


def test_logging_out_confirms_once_and_a_forged_notice_is_ignored(client: TestClient) -> None:
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    token = csrf_of(client.get("/console").text)

    page = client.post("/logout", data={"csrf_token": token})

    assert page.status_code == 200
    assert page.url.path == "/login"
    assert '<p class="notice notice-done" role="status">Ви вийшли із системи.</p>' in page.text
    assert "Ви вийшли із системи." not in client.get("/login").text  # shown once

    client.cookies.set(NOTICE_COOKIE, "0J_QsNGA0L7Qu9GM.forged")
    assert 'role="status"' not in client.get("/login").text
