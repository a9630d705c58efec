"""Common and trivial passwords are refused with a Ukrainian explanation."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_organization


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaa", "1234567890", "password12", " " * 10, "qwertyuiop", "auditor2024@"],
)
def test_a_guessable_password_is_refused(client: TestClient, password: str) -> None:
    org = create_organization(client)

    response = client.post(
        f"/api/organizations/{org['id']}/accounts",
        headers=org["coordinator"],
        json={"email": "auditor2024@example.org", "password": password, "role": "auditor"},
    )

    assert response.status_code == 422, response.text
    assert "Пароль" in response.json()["detail"]


def test_a_passphrase_is_taken(client: TestClient) -> None:
    org = create_organization(client)

    response = client.post(
        f"/api/organizations/{org['id']}/accounts",
        headers=org["coordinator"],
        json={"email": "a@example.org", "password": "ліхтар вишня понеділок", "role": "auditor"},
    )

    assert response.status_code == 201, response.text
