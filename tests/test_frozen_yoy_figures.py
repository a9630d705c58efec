"""An earlier cycle's figures are frozen when its report is approved: the register changed
afterwards (entries added, one retired) does not change what the next year's report says of
that year, while the current year is counted with the register as it now stands."""

import io
import json
import re
from datetime import date

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from models.clock import FixedClock
from models.db import session_scope
from models.register import RegisterEntry
from models.report import Report, ReportVersion
from models.services.cycles import get_cycle
from models.services.report.context import full_report_context
from models.services.report.frozen_figures import (
    CycleFigures,
    approved_figures,
    cycle_figures,
    figures_from_json,
    figures_to_json,
)
from models.services.report.previous_audit import previous_audit_context
from report_templates.environment import render_html
from tests.action_plan_cycles import first_cycle, record, run_cycle
from tests.factories import at, login
from tests.pdftext import page_text

ALL_UNITS = ["Загальний відділ", "Управління освіти", "Управління комунальної власності"]


def _version(session: object, cycle_id: int, number: int = 1) -> ReportVersion:
    version = session.scalar(  # type: ignore[attr-defined]
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.cycle_id == cycle_id, ReportVersion.number == number)
    )
    assert version is not None
    return version  # type: ignore[no-any-return]


def _yoy_cells(html: str, year: int) -> list[str]:
    row = re.search(rf"<tr[^>]*>\s*<td>{year}(?: \(цей аудит\))?<div.*?</tr>", html, re.S)
    assert row is not None
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(0))


def test_earlier_year_keeps_its_approved_figures(client: TestClient, clock: FixedClock) -> None:
    state = first_cycle(client, clock)  # register of 3; «Управління освіти» has not published
    org, cycle_2024 = state["org"], state["cycle_id"]
    with session_scope() as session:
        stored = _version(session, cycle_2024).frozen_figures
        assert stored is not None
        assert (stored["year"], stored["required"], stored["published"]) == (2024, 3, 2)
        assert stored["unit_problems"]["Управління освіти"] == 1
    coordinator = login(client, org["coordinator_email"])
    made = client.post(
        f"/api/cycles/{cycle_2024}/action-plan", headers=coordinator, json={"due_on": "2025-03-31"}
    )
    assert made.status_code == 201, made.text
    education = next(i for i in made.json()["items"] if i["task"].startswith("Управління освіти: "))

    # After approval the register changes: three entries added, «Мережа закладів освіти» retired.
    clock.set(at("2024-11-15"))
    coordinator = login(client, org["coordinator_email"])
    units = {u["name"]: u["id"] for u in org["units"]}
    for name in ("Бюджет громади", "Перелік рішень ради", "Реєстр договорів оренди"):
        added = client.post(
            f"/api/cycles/{cycle_2024}/register/entries",
            headers=coordinator,
            json={"name": name, "periodicity": "щороку", "unit_ids": [units["Загальний відділ"]]},
        )
        assert added.status_code == 201, added.text
    with session_scope() as session:
        retired = session.scalar(
            select(RegisterEntry.id).where(
                RegisterEntry.organization_id == org["id"], RegisterEntry.number == 2
            )
        )
    gone = client.post(
        f"/api/cycles/{cycle_2024}/register/entries/{retired}/retire", headers=coordinator
    )
    assert gone.status_code == 200, gone.text
    record(client, org, 4, "2025-09-01", ["CSV"])

    cycle_2025 = run_cycle(client, clock, org, 2025, ALL_UNITS)
    coordinator = login(client, org["coordinator_email"])
    with session_scope() as session:
        # A recount today would give 2024 the new register: what the fix must not show.
        recount = cycle_figures(session, cycle=get_cycle(session, cycle_id=cycle_2024))
        assert recount.required == 5
        section = previous_audit_context(session, cycle_id=cycle_2025, today=date(2025, 10, 7))
        assert section is not None
        then, now = section["yoy"]
        assert (then["year"], then["required"], then["published"]) == (2024, 3, 2)
        assert (then["machine_readable"], then["questionnaires"]) == (1, 1)
        assert (now["year"], now["required"], now["published"]) == (2025, 5, 3)
        assert now["questionnaires"] == 3
        assert section["plan"] is not None
        row = next(r for r in section["plan"]["rows"] if r["number"] == education["position"])
        assert row["value_then"] == "невиконаних вимог: 1"  # as in 2024, though entry 2 is gone
        html = render_html(
            full_report_context(session, cycle_id=cycle_2025, now=at("2025-10-07"), version=2)
        )
    assert _yoy_cells(html, 2024)[5] == "2 з 3"
    assert _yoy_cells(html, 2025)[5] == "3 з 5"

    # The 2025 report as rendered by the flow and downloaded: the same 2024 row.
    report = client.get(f"/api/cycles/{cycle_2025}/report/download", headers=coordinator)
    assert report.status_code == 200
    text = " ".join(page_text(p) for p in PdfReader(io.BytesIO(report.content)).pages)
    yoy = re.sub(r"\s+", " ", text).split("Порівняння з попередніми аудитами")[-1]
    assert re.search(r"2024 станом на \d\d\.\d\d\.2024 [\d ]*?2 з 3", yoy), yoy[:400]
    assert re.search(r"2025 \(цей аудит\) станом на \d\d\.\d\d\.2025 [\d ]*?3 з 5", yoy)

    # A version approved before figures were stored (NULL): 2024 is recounted, as before.
    with session_scope() as session:
        _version(session, cycle_2024).frozen_figures = None
    with session_scope() as session:
        assert approved_figures(session, cycle_id=cycle_2024) is None
        section = previous_audit_context(session, cycle_id=cycle_2025, today=date(2025, 10, 7))
        assert section is not None
        assert section["yoy"][0]["required"] == 5


def test_stored_figures_round_trip() -> None:
    figures = CycleFigures(
        year=2024,
        as_of=date(2024, 9, 23),
        units=4,
        questionnaires=1,
        information_systems=2,
        information_items=1,
        survey_participants=38,
        required=3,
        published=2,
        on_time=2,
        machine_readable=1,
        meeting_all=1,
        share_meeting_all=33.3,
        private=0,
        units_without_questionnaire=3,
        unit_problems={"Управління освіти": 1, "Загальний відділ": 1},
    )
    stored = json.loads(json.dumps(figures_to_json(figures)))  # as a JSON column holds it
    assert stored["as_of"] == "2024-09-23"
    assert figures_from_json(stored) == figures
    # Stored by a release that counted fewer figures: recounted instead of guessed.
    assert figures_from_json({k: v for k, v in stored.items() if k != "required"}) is None
