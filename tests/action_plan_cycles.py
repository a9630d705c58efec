"""Two consecutive audits of one organization, through the real API and the real flow: the
2024 cycle up to an approved report, then the 2025 one (helpers for tests/test_action_plan*.py)."""

from typing import Any

from fastapi.testclient import TestClient

from flows.audit_cycle import audit_cycle
from models.clock import FixedClock
from tests.factories import (
    SEED_STAGES,
    at,
    create_organization,
    launch,
    login,
    plan,
    questionnaire,
    token_of,
)

REGISTER = [
    {
        "number": 1,
        "name": "Перелік об’єктів комунальної власності",
        "units": ["Управління комунальної власності"],
        "periodicity": "щороку",
    },
    {
        "number": 2,
        "name": "Мережа закладів освіти",
        "units": ["Управління освіти"],
        "periodicity": "щороку",
    },
    {
        "number": 3,
        "name": "Розпорядження міського голови",
        "units": ["Загальний відділ"],
        "periodicity": "щороку",
    },
]


def stages(year: int) -> dict[str, dict[str, str]]:
    """The seed's schedule moved to another year."""
    return {
        kind: {k: v.replace("2024", str(year)) for k, v in dates.items()}
        for kind, dates in SEED_STAGES.items()
    }


def record(
    client: TestClient, org: dict[str, Any], number: int, observed: str, formats: list[str]
) -> None:
    """An auditor's record: the entry published, last updated on the day it was seen."""
    response = client.post(
        f"/api/organizations/{org['id']}/register/{number}/publication",
        headers=login(client, org["coordinator_email"]),
        json={
            "state": "published",
            "observed_on": observed,
            "last_updated_on": observed,
            "formats": formats,
        },
    )
    assert response.status_code == 201, response.text


def run_cycle(
    client: TestClient, clock: FixedClock, org: dict[str, Any], year: int, answering: list[str]
) -> int:
    """Launch the year's cycle, let `answering` units submit, render version 1 and approve it."""
    clock.set(at(f"{year}-09-22", 9))
    coordinator = login(client, org["coordinator_email"])
    cycle = launch(
        client,
        coordinator,
        plan(
            year=year, order={"number": f"{year}-р", "date": f"{year}-09-22"}, stages=stages(year)
        ),
    )
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    clock.set(at(f"{year}-09-23"))
    audit_cycle(cycle["id"], clock.now())
    for unit in answering:
        body = questionnaire(systems=2, items=1)
        response = client.post(f"/api/questionnaire/{links[unit]}", json=body)
        assert response.status_code == 201, response.text
    for day in (f"{year}-09-28", f"{year}-10-01", f"{year}-10-07"):
        clock.set(at(day))
        audit_cycle(cycle["id"], clock.now())  # reporting opens on 07.10: version 1 rendered
    coordinator = login(client, org["coordinator_email"])
    approved = client.post(
        f"/api/cycles/{cycle['id']}/report/versions/1/approve", headers=coordinator
    )
    assert approved.status_code == 200, approved.text
    return int(cycle["id"])


def first_cycle(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """The organization and its approved 2024 audit: «Управління освіти» has not published its
    dataset, «Загальний відділ» publishes XLS only, two units sent no questionnaire."""
    clock.set(at("2024-09-01"))
    org = create_organization(client)
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=org["coordinator"], json=REGISTER
    )
    assert response.status_code == 201, response.text
    record(client, org, 1, "2024-09-01", ["CSV"])
    record(client, org, 3, "2024-09-01", ["XLS"])
    cycle_id = run_cycle(client, clock, org, 2024, ["Загальний відділ"])
    return {"org": org, "cycle_id": cycle_id}
