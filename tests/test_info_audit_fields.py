"""The questionnaire's infoAudit fields (stored, normalised, refused with a Ukrainian message)
and the repository's Table Schemas of the Ministry's structures."""

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from frictionless import Resource, Schema
from sqlalchemy import select

from models.clock import FixedClock
from models.db import session_scope
from models.questionnaire import InformationItem, QuestionnaireSubmission
from models.standards import INFO_AUDIT, REGISTER, field_names, load_schema, normalize_phone
from tests.factories import at, create_organization, launch, plan, questionnaire, token_of


def test_questionnaire_stores_the_info_audit_fields(client: TestClient, clock: FixedClock) -> None:
    from flows.audit_cycle import audit_cycle

    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    token = token_of(cycle["links"][0]["url"])
    clock.set(at("2024-09-23"))
    audit_cycle(cycle["id"], clock.now())
    body = questionnaire(systems=0, items=0) | {
        "respondent": {"full_name": "Петренко Іван", "phone": "050 123 45 67, 380441234567"},
        "items": [
            {
                "name": "Звернення громадян",
                "date_created": "2016-01-01",
                "public_interest": "раз на рік",
                "developer_id": "12345678",
                "resource_url": "https://dashboard.example.gov.ua",
            }
        ],
    }
    bad = client.post(
        f"/api/questionnaire/{token}",
        json=body | {"respondent": {"full_name": "Петренко Іван", "phone": "123"}},
    )
    assert bad.status_code == 422
    assert "+380" in bad.text
    saved = client.post(f"/api/questionnaire/{token}", json=body)
    assert saved.status_code == 201, saved.text
    with session_scope() as session:
        submission = session.scalars(select(QuestionnaireSubmission)).one()
        item = session.scalars(select(InformationItem)).one()
        assert submission.respondent_phone == "+380501234567,+380441234567"
        assert item.date_created is not None
        assert item.date_created.isoformat() == "2016-01-01"
        assert (item.public_interest, item.developer_id) == ("раз на рік", "12345678")
        assert item.resource_url == "https://dashboard.example.gov.ua"


def test_schemas_hold_the_official_field_lists() -> None:
    assert len(field_names(INFO_AUDIT)) == 29
    assert field_names(INFO_AUDIT)[:3] == ["uid", "title", "type"]
    assert field_names(INFO_AUDIT)[-2:] == ["resource", "url"]
    assert field_names(REGISTER) == [
        "uid", "title", "description", "accrualPeriodicity", "keywords", "purpose", "url",
        "distributionFormat", "publisherName", "publisherId", "contactPointName",
        "contactPointEmail",
    ]  # fmt: skip
    periodicity = next(
        f for f in load_schema(REGISTER)["fields"] if f["name"] == "accrualPeriodicity"
    )
    assert len(periodicity["constraints"]["enum"]) == 7
    assert normalize_phone("+380 (12) 345-67-89") == "+380123456789"
    with pytest.raises(ValueError, match=r"\+380"):
        normalize_phone("12345")


def _register_csv(path: Path, periodicity: str, email: str) -> None:
    row = {name: "x" for name in field_names(REGISTER)}
    row |= {"accrualPeriodicity": periodicity, "contactPointEmail": email, "url": ""}
    row |= {"publisherId": "01234567", "distributionFormat": "CSV, XLSX"}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=field_names(REGISTER), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_register_schema_refuses_what_the_structure_refuses(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    _register_csv(path, "Щороку", "contact@example.gov.ua")
    good = Resource(
        "register.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(load_schema(REGISTER))
    ).validate()
    assert good.valid, good.flatten(["fieldName", "note"])
    _register_csv(path, "Щоденно", "not an e-mail")
    bad = Resource(
        "register.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(load_schema(REGISTER))
    ).validate()
    assert {name for name, _ in bad.flatten(["fieldName", "type"])} == {
        "accrualPeriodicity",
        "contactPointEmail",
    }
