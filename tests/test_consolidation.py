"""Consolidation across units: automatic grouping by normalised name, auditors' merges and
splits through the API (never losing the original rows), and the report's Annexes 2 and 4."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.questionnaire import InformationSystem
from models.services.consolidation import Row, group_rows, normalize_name
from models.services.report.context import build_report_context
from tests.factories import UNITS, at, create_organization, launch, login, plan, token_of


@pytest.mark.sqlite_only
def test_normalised_names_ignore_case_quotes_punctuation_and_whitespace() -> None:
    assert normalize_name("  «СЕД»  ") == normalize_name("сед") == "сед"
    assert normalize_name("Офіційний   вебпортал.") == normalize_name("офіційний ВЕБПОРТАЛ")
    assert normalize_name("Facebook — сторінка") == normalize_name("facebook: сторінка")
    assert normalize_name("Портал «Відкрите місто»") != normalize_name("Портал відкритих даних")


@pytest.mark.sqlite_only
def test_group_rows_applies_splits_then_merges() -> None:
    rows = [
        Row(1, "СЕД", "A"),
        Row(2, "«сед»", "B"),
        Row(3, "АСКОД", "C"),
        Row(4, "СЕД", "C"),
    ]
    groups = group_rows(rows, merges={}, splits=set())
    assert [(g.key, g.units) for g in groups] == [("сед", ["A", "B", "C"]), ("аскод", ["C"])]
    groups = group_rows(rows, merges={"аскод": "сед"}, splits={4})
    assert [(g.key, [r.id for r in g.rows]) for g in groups] == [("сед", [1, 2, 3]), ("#4", [4])]
    # A cycle of merges cannot loop forever.
    assert len(group_rows(rows, merges={"сед": "аскод", "аскод": "сед"}, splits=set())) == 1


def _submit(client: TestClient, token: str, systems: list[str], items: list[Any]) -> None:
    body = {
        "respondent": {"full_name": "Петренко Іван"},
        "systems": [{"name": name, "url": None} for name in systems],
        "items": items,
    }
    response = client.post(f"/api/questionnaire/{token}", json=body)
    assert response.status_code == 201, response.text


def test_consolidation_across_units_with_merge_split_and_undo(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    tokens = [token_of(link["url"]) for link in cycle["links"]]
    clock.set(at("2024-09-24", 11))
    _submit(
        client,
        tokens[0],
        ["СЕД", "Офіційний вебпортал", "Facebook"],
        [{"name": "Розпорядження міського голови"}],
    )
    _submit(
        client,
        tokens[1],
        ["«СЕД»", "Офіційний веб-портал міської ради"],
        [
            {"name": "розпорядження міського голови."},
            {
                "name": "Мобілізаційний план",
                "access_category": "secret",
                "secret_explanation": "державна таємниця",
            },
        ],
    )
    _submit(client, tokens[2], ["FACEBOOK.", "АСКОД", "сед"], [])
    headers = login(client, org["coordinator_email"])  # the clock moved past the old session
    url = f"/api/cycles/{cycle['id']}/consolidation"
    listing = client.get(f"{url}/systems", headers=headers)
    assert listing.status_code == 200, listing.text

    groups = {g["key"]: g for g in client.get(f"{url}/systems", headers=headers).json()}
    assert groups["сед"]["units"] == UNITS
    assert len(groups["сед"]["rows"]) == 3
    assert groups["facebook"]["units"] == [UNITS[0], UNITS[2]]
    assert groups["facebook"]["name"] == "Facebook"
    assert "офіційний веб портал міської ради" in groups
    assert "аскод" in groups

    merged = client.post(
        f"{url}/systems/merge",
        headers=headers,
        json={"keys": ["офіційний веб портал міської ради"], "into": "офіційний вебпортал"},
    )
    assert merged.status_code == 201, merged.text
    aliased = client.post(
        f"{url}/systems/merge", headers=headers, json={"keys": ["аскод"], "into": "сед"}
    )
    assert aliased.status_code == 201
    unit_c_sed = next(r for r in groups["сед"]["rows"] if r["unit"] == UNITS[2])
    split = client.post(f"{url}/systems/split", headers=headers, json={"row_id": unit_c_sed["id"]})
    assert split.status_code == 201
    unknown = client.post(
        f"{url}/systems/merge", headers=headers, json={"keys": ["x"], "into": "y"}
    )
    assert unknown.status_code == 404

    groups = {g["key"]: g for g in client.get(f"{url}/systems", headers=headers).json()}
    assert groups["офіційний вебпортал"]["units"] == [UNITS[0], UNITS[1]]
    # The ASKOD row of unit C stays with SED; unit C's own "сед" row stands alone.
    assert [r["name"] for r in groups["сед"]["rows"]] == ["СЕД", "«СЕД»", "АСКОД"]
    assert groups[f"#{unit_c_sed['id']}"]["units"] == [UNITS[2]]

    with session_scope() as session:
        # The original rows are untouched: 8 systems as the units wrote them.
        assert session.scalar(select(func.count(InformationSystem.id))) == 8
        context = build_report_context(
            session, cycle_id=cycle["id"], now=at("2024-10-07"), version=1
        )
    annex2 = {s["name"]: s["units"] for s in context["annex2"]}
    assert annex2["Офіційний вебпортал"] == [UNITS[0], UNITS[1]]
    assert annex2["СЕД"] == [UNITS[0], UNITS[1], UNITS[2]]
    assert annex2["Facebook"] == [UNITS[0], UNITS[2]]
    annex4 = context["annex4"]
    assert [(i["name"], i["units"]) for i in annex4] == [
        ("Розпорядження міського голови", [UNITS[0], UNITS[1]])
    ]  # the secret item is not in the audit's annex

    decisions = client.get(f"{url}/systems/decisions", headers=headers).json()
    assert [d["action"] for d in decisions] == ["merge", "merge", "split"]
    for decision in decisions:
        undone = client.delete(f"{url}/decisions/{decision['id']}", headers=headers)
        assert undone.status_code == 204
    keys = {g["key"] for g in client.get(f"{url}/systems", headers=headers).json()}
    assert keys == {
        "сед",
        "офіційний вебпортал",
        "facebook",
        "офіційний веб портал міської ради",
        "аскод",
    }
    events = client.get(f"/api/cycles/{cycle['id']}/events", headers=headers).json()
    actions = [e["action"] for e in events]
    assert actions.count("consolidation.merged") == 2
    assert actions.count("consolidation.undone") == 3
    assert client.get(f"{url}/systems").status_code == 401
    mayor = login(client, org["mayor_email"])
    assert client.get(f"{url}/systems", headers=mayor).status_code == 403
