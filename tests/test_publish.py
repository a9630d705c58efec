"""The publication package (validated with frictionless) and `infoaudit publish` against a real
HTTP server on loopback speaking CKAN's action API (package_show/create/update,
resource_create/update with an API token), including retries that never duplicate."""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from flows.publish import PublishError, prepare_package, publish_package
from models.clock import FixedClock
from tests.doubles.ckan import PUBLISH_TOKEN, PublishPortal
from tests.doubles.loopback import loopback_server
from tests.factories import at, create_organization, launch, login, plan, questionnaire, token_of

OWNER = "test-rada"
TOKEN = PUBLISH_TOKEN


@pytest.fixture
def portal() -> Iterator[tuple[str, PublishPortal]]:
    """A CKAN-speaking server on a loopback port."""
    state = PublishPortal()
    with loopback_server(state.handler()) as url:
        yield url, state


def _approved_cycle(client: TestClient, clock: FixedClock) -> int:
    from flows.report import render_version

    org = create_organization(client)
    coordinator = org["coordinator"]
    client.post(
        f"/api/organizations/{org['id']}/register",
        headers=coordinator,
        json=[
            {
                "number": 1,
                "name": "Бюджет громади",
                "units": ["Загальний відділ"],
                "periodicity": "щороку",
            }
        ],
    )
    cycle = launch(client, coordinator, plan())
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    clock.set(at("2024-09-23"))
    from flows.audit_cycle import audit_cycle

    audit_cycle(cycle["id"], clock.now())
    assert (
        client.post(
            f"/api/questionnaire/{links['Загальний відділ']}",
            json=questionnaire(systems=2, items=2),
        ).status_code
        == 201
    )
    clock.set(at("2024-10-07"))
    render_version(cycle["id"], clock.now())
    coordinator = login(client, org["coordinator_email"])
    approve = client.post(
        f"/api/cycles/{cycle['id']}/report/versions/1/approve", headers=coordinator
    )
    assert approve.status_code == 200, approve.text
    return int(cycle["id"])


@pytest.mark.slow
def test_package_is_valid_and_publish_never_duplicates(
    client: TestClient,
    clock: FixedClock,
    portal: tuple[str, PublishPortal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, state = portal
    cycle_id = _approved_cycle(client, clock)
    out = tmp_path / "package"
    package = prepare_package(cycle_id, out, clock.now())
    names = sorted(f.name for f in package.files)
    assert names == sorted(
        [
            "audit-results.csv", "audit-results.json", "register.csv", "register.json",
            "inventory-systems.csv", "inventory-systems.json", "survey-aggregates.csv",
            "survey-aggregates.json", "report.pdf", "datapackage.json",
        ]
    )  # fmt: skip
    descriptor = json.loads((out / "datapackage.json").read_text())
    assert {r["path"] for r in descriptor["resources"]} == set(names) - {"datapackage.json"}
    register = (out / "register.csv").read_text().splitlines()
    assert register[0].startswith("number,name,units")
    assert "Бюджет громади" in register[1]
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    systems = json.loads((out / "inventory-systems.json").read_text())
    assert [s["name"] for s in systems] == ["Система 1", "Система 2"]

    # A broken package is caught by frictionless.
    from models.services.publication_package import validate_package

    (out / "register.csv").write_text("number,name\nnot-a-number,x\n")
    assert validate_package(out)

    # The CLI: first run creates the dataset and uploads every file.
    monkeypatch.setenv("INFOAUDIT_PORTAL_TOKEN", TOKEN)
    args = [
        "publish",
        str(cycle_id),
        "--out",
        str(tmp_path / "p1"),
        "--portal",
        url,
        "--organization",
        OWNER,
        "--now",
        "2024-10-15",
    ]
    assert cli_main(args) == 0
    assert list(state.packages) == [package.name]
    resources = state.packages[package.name]["resources"]
    assert sorted(r["name"] for r in resources) == names
    pdf = next(r for r in resources if r["name"] == "report.pdf")
    assert state.uploads[pdf["id"]] == (tmp_path / "p1" / "report.pdf").read_bytes()
    assert pdf["hash"] == hashlib.sha256(state.uploads[pdf["id"]]).hexdigest()

    # A second run changes nothing: update the dataset, skip every unchanged file.
    state.calls.clear()
    assert cli_main(args) == 0
    assert "package_create" not in state.calls
    assert "package_update" in state.calls
    assert "resource_create" not in state.calls
    assert "resource_update" not in state.calls
    assert len(state.packages[package.name]["resources"]) == len(names)

    # Wrong token: a clear refusal, exit code 3.
    monkeypatch.setenv("INFOAUDIT_PORTAL_TOKEN", "wrong")
    assert cli_main(args) == 3


@pytest.mark.slow
def test_retries_after_timeouts_and_5xx_create_nothing_twice(
    client: TestClient, clock: FixedClock, portal: tuple[str, PublishPortal], tmp_path: Path
) -> None:
    url, state = portal
    cycle_id = _approved_cycle(client, clock)
    package = prepare_package(cycle_id, tmp_path / "package", clock.now())
    # The portal creates the dataset and the first resource but answers too late, and fails
    # an update with HTTP 500 once: each retry re-reads the portal first.
    state.fail = {"package_create": "slow-after-work", "resource_create": "slow-after-work"}
    result = publish_package(
        package, portal_url=url, token=TOKEN, owner_org=OWNER, attempts=3, delay=0.1, timeout=0.5
    )
    assert list(state.packages) == [package.name]
    resources = state.packages[package.name]["resources"]
    assert sorted(r["name"] for r in resources) == sorted(f.name for f in package.files)
    assert len(resources) == len(package.files)
    assert state.calls.count("package_create") == 1
    assert len(result.uploaded) + len(result.unchanged) == len(package.files)

    state.fail = {"package_update": "500-before-work"}
    again = publish_package(package, portal_url=url, token=TOKEN, owner_org=OWNER, delay=0.1)
    assert again.unchanged == [f.name for f in package.files]
    assert len(state.packages[package.name]["resources"]) == len(package.files)

    with pytest.raises(PublishError, match="ключ API"):
        publish_package(package, portal_url=url, token="nope", owner_org=OWNER, delay=0.1)
    with pytest.raises(PublishError, match="ключ API"):
        publish_package(package, portal_url=url, token="", owner_org=OWNER)
