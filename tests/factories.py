"""Small builders for test data, all going through the real HTTP API."""

import copy
from datetime import date, datetime
from datetime import time as dtime
from typing import Any

from fastapi.testclient import TestClient

from models.clock import KYIV

PASSWORD = "correct-horse-battery"
UNITS = ["Загальний відділ", "Управління освіти", "Управління комунальної власності"]

# The seed's real schedule (seed 000), interviews held (not skipped) unless a test says so.
SEED_STAGES: dict[str, dict[str, str]] = {
    "preparation": {"starts_on": "2024-09-23", "due_on": "2024-09-27"},
    "consultation": {"starts_on": "2024-09-23", "due_on": "2024-10-06"},
    "remote_audit": {"starts_on": "2024-09-23", "due_on": "2024-09-27"},
    "interviews": {"starts_on": "2024-09-30", "due_on": "2024-09-30"},
    "reporting": {"starts_on": "2024-10-07", "due_on": "2024-10-14"},
}


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a Kyiv calendar day."""
    return datetime.combine(date.fromisoformat(day), dtime(hour, 0), tzinfo=KYIV)


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in; returns the Authorization header."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def create_organization(client: TestClient, name: str = "Тестова міська рада") -> dict[str, Any]:
    """Bootstrap an organization with units and a coordinator; returns ids and headers."""
    coordinator_email = f"coordinator@{name.encode().hex()[-12:]}.example.org"
    response = client.post(
        "/api/organizations",
        json={
            "name": name,
            "units": [{"name": unit} for unit in UNITS],
            "coordinator": {"email": coordinator_email, "password": PASSWORD},
        },
    )
    assert response.status_code == 201, response.text
    organization = response.json()
    coordinator = login(client, coordinator_email)
    mayor_email = f"mayor@{organization['id']}.example.org"
    response = client.post(
        f"/api/organizations/{organization['id']}/accounts",
        headers=coordinator,
        json={"email": mayor_email, "password": PASSWORD, "role": "mayor_office"},
    )
    assert response.status_code == 201, response.text
    return {
        "id": organization["id"],
        "units": organization["units"],
        "coordinator": coordinator,
        "coordinator_email": coordinator_email,
        "mayor": login(client, mayor_email),
        "mayor_email": mayor_email,
    }


def plan(**changes: Any) -> dict[str, Any]:
    """A valid cycle plan with the seed's dates; keyword arguments replace top-level fields."""
    document: dict[str, Any] = {
        "year": 2024,
        "order": {"number": "212-р", "date": "2024-09-23"},
        "units": list(UNITS),
        "auditors": [
            {"full_name": "Аудиторенко Оксана Петрівна", "position": "головний спеціаліст"}
        ],
        "interview_schedule_on": "2024-09-30",
        "stages": copy.deepcopy(SEED_STAGES),
    }
    document.update(changes)
    return document


def launch(client: TestClient, headers: dict[str, str], document: dict[str, Any]) -> dict[str, Any]:
    """Launch a cycle; returns the API's answer (with the unit links)."""
    response = client.post("/api/cycles", headers=headers, json=document)
    assert response.status_code == 201, response.text
    return dict(response.json())


def token_of(link_url: str) -> str:
    """The secret token at the end of a unit's link."""
    return link_url.rsplit("/", 1)[1]


def full_item(n: int) -> dict[str, object]:
    """An information item with every field the infoAudit structure requires."""
    return {
        "name": f"Вид інформації {n}",
        "description": "Архів розпоряджень",
        "kept_in": "Система 1",
        "update_frequency": "щотижня",
        "approx_records": 1500,
        "legal_basis": "Закон України «Про доступ до публічної інформації»",
        "format": "DOCX",
        "restricted_fields": "немає",
        "data_type": "реєстр документів, електронний",
        "date_created": "2016-01-01",
        "source": "проєкти розпоряджень",
        "public_interest": "раз на рік",
        "government_interest": "раз на місяць",
        "structure": "номер, дата, назва",
        "documentation": "інструкція користувача",
        "developer_name": "ТОВ «Діловод солюшенс»",
        "developer_id": "12345678",
        "dictionary": "немає",
        "size": "2 ГБ",
    }


def questionnaire(
    systems: int = 2, items: int = 1, person: str = "Петренко Іван"
) -> dict[str, Any]:
    """A questionnaire body with that many systems and items."""
    return {
        "respondent": {"full_name": person, "position": "спеціаліст", "email": "p@example.org"},
        "systems": [
            {"name": f"Система {n}", "url": f"https://system{n}.example.org", "has_api": n % 2 == 0}
            for n in range(1, systems + 1)
        ],
        "items": [{"name": f"Вид інформації {n}"} for n in range(1, items + 1)],
    }


def create_admin(email: str = "admin@example.org") -> str:
    """The installation's administrator (made as the CLI makes one); returns the e-mail."""
    from models.account import Role
    from models.actor import CLI
    from models.db import session_scope
    from models.services.organizations import create_account

    with session_scope() as session:
        create_account(
            session,
            email=email,
            password=PASSWORD,
            role=Role.ADMIN,
            organization_id=None,
            actor=CLI,
            at=at("2024-09-01"),
        )
    return email


def second_organization(client: TestClient) -> dict[str, str]:
    """Another organization in the same installation (created by its admin); its coordinator."""

    create_admin()
    response = client.post(
        "/api/organizations",
        headers=login(client, "admin@example.org"),
        json={
            "name": "Друга рада",
            "units": [{"name": "Загальний відділ"}],
            "coordinator": {"email": "second@example.org", "password": PASSWORD},
        },
    )
    assert response.status_code == 201, response.text
    return login(client, "second@example.org")
