"""A cycle at its reporting stage, built through the real API, for the fault tests."""

from typing import Any

from fastapi.testclient import TestClient

from models.clock import FixedClock
from tests.factories import (
    at,
    create_organization,
    full_item,
    launch,
    plan,
    questionnaire,
    token_of,
)

OFFICIAL = {"full_name": "Коваль Олена", "position": "начальниця", "email": "o@example.org"}
REPORTING_DAY = "2024-10-07"


def reporting_cycle(client: TestClient, clock: FixedClock) -> tuple[int, dict[str, Any]]:
    """A cycle with a register and one questionnaire, on its first reporting day (the clock
    set there): its first report version is due."""
    from flows.audit_cycle import audit_cycle

    org = create_organization(client)
    coordinator = org["coordinator"]
    register = client.post(
        f"/api/organizations/{org['id']}/register",
        headers=coordinator,
        json=[
            {
                "number": 1,
                "name": "Бюджет громади",
                "units": ["Загальний відділ"],
                "officials": [OFFICIAL],
                "periodicity": "щороку",
            }
        ],
    )
    assert register.status_code in (200, 201), register.text
    cycle = launch(client, coordinator, plan())
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    clock.set(at("2024-09-23"))
    audit_cycle(cycle["id"], clock.now())
    answer = client.post(
        f"/api/questionnaire/{links['Загальний відділ']}",
        json=questionnaire(systems=1, items=0)
        | {
            "respondent": {
                "full_name": "Петренко Іван",
                "email": "p@example.org",
                "phone": "+380 (50) 123-45-67",
            },
            "items": [full_item(1)],
        },
    )
    assert answer.status_code == 201, answer.text
    clock.set(at(REPORTING_DAY))
    return int(cycle["id"]), org
