"""A whole cycle through the API and the real `audit_cycle` flow, with the injectable clock."""

import io
import re

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from flows import audit_cycle as audit_cycle_module
from flows.audit_cycle import audit_cycle
from models.clock import FixedClock
from models.cycle import AuditCycle, CycleStatus, Stage, StageStatus
from models.db import session_scope
from models.event import AuditEvent
from models.questionnaire import InformationItem, InformationSystem, QuestionnaireSubmission
from models.report import ReportVersion
from models.survey import Response
from tests.factories import at, create_organization, launch, login, plan, questionnaire, token_of
from tests.pdftext import page_text

REGISTER = [
    {
        "number": 1,
        "name": "Перелік об’єктів комунальної власності",
        "units": ["Управління комунальної власності"],
        "official": {"full_name": "Іваненко Ірина", "position": "спеціаліст"},
        "periodicity": "щороку та в міру потреби",
    },
    {
        "number": 2,
        "name": "Мережа закладів освіти",
        "units": ["Управління освіти"],
        "periodicity": "щоквартально протягом 35 днів після закінчення звітного кварталу",
    },
]


def _stages(cycle_id: int) -> dict[str, StageStatus]:
    with session_scope() as session:
        return {
            s.kind.value: s.status
            for s in session.scalars(select(Stage).where(Stage.cycle_id == cycle_id))
        }


def _advance(clock: FixedClock, cycle_id: int, day: str) -> dict[str, str]:
    clock.set(at(day))
    return audit_cycle(cycle_id, clock.now())


def _pdf_text(pdf: bytes) -> str:
    text = "\n".join(page_text(page) for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def _answer_survey(client: TestClient, slug: str, key: str, *, use_info: bool) -> int:
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    first = questions[0]  # "Do you use the council's information professionally?" yes/no
    proposals = next(q for q in questions if q["kind"] == "text")
    answers = [
        {"question_id": first["id"], "option_ids": [first["options"][0 if use_info else 1]["id"]]},
        {"question_id": proposals["id"], "text": f"Оприлюднити бюджет ({key})"},
    ]
    response = client.post(
        f"/api/survey/{slug}/responses", json={"answers": answers, "idempotency_key": key}
    )
    return response.status_code


def test_whole_cycle_through_api_and_flow(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    coordinator = org["coordinator"]
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=coordinator, json=REGISTER
    )
    assert response.status_code == 201, response.text
    cycle = launch(client, coordinator, plan())
    cycle_id = cycle["id"]
    # Launched on the stages' start day: those starting today open at once, not at the sweep.
    assert [s["status"] for s in cycle["stages"]] == ["open"] * 3 + ["planned"] * 2
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    assert len(links) == 3
    slug = cycle["survey_url"].rsplit("/", 1)[1]

    statuses = _advance(clock, cycle_id, "2024-09-23")
    assert statuses["preparation"] == "open"
    assert statuses["remote_audit"] == "open"
    assert statuses["reporting"] == "planned"

    ok = client.post(
        f"/api/questionnaire/{links['Загальний відділ']}", json=questionnaire(systems=3, items=2)
    )
    assert ok.status_code == 201, ok.text
    ok = client.post(
        f"/api/questionnaire/{links['Управління освіти']}",
        json=questionnaire(systems=1, items=1, person="Сидоренко Олег"),
    )
    assert ok.status_code == 201, ok.text
    assert _answer_survey(client, slug, "resident-0001", use_info=True) == 201
    assert _answer_survey(client, slug, "resident-0002", use_info=True) == 201
    assert _answer_survey(client, slug, "resident-0003", use_info=False) == 201
    assert _answer_survey(client, slug, "resident-0003", use_info=False) == 200  # resent

    statuses = _advance(clock, cycle_id, "2024-09-28")
    assert statuses["remote_audit"] == "closed"
    late = client.post(f"/api/questionnaire/{links['Управління освіти']}", json=questionnaire())
    assert late.status_code == 409
    assert "27.09.2024" in late.json()["detail"]

    # Sessions last hours, not days: the coordinator logs in again five days later.
    coordinator = login(client, org["coordinator_email"])
    skip = client.post(
        f"/api/cycles/{cycle_id}/interviews/skip",
        headers=coordinator,
        json={"reason": "Пілотний етап: інтерв’ю не проводилися."},
    )
    assert skip.status_code == 200, skip.text
    assert skip.json()["status"] == "skipped"

    statuses = _advance(clock, cycle_id, "2024-10-07")
    assert statuses["consultation"] == "closed"
    assert statuses["reporting"] == "open"
    assert statuses["cycle"] == "active"
    statuses = _advance(clock, cycle_id, "2024-10-15")
    assert statuses["reporting"] == "closed"
    assert statuses["cycle"] == "completed"

    # A draft is the working group's: the mayor's office gets approved or signed reports only.
    mayor = login(client, org["mayor_email"])
    refused = client.get(f"/api/cycles/{cycle_id}/report.pdf", headers=mayor)
    assert refused.status_code == 404
    assert "затверджено" in refused.json()["detail"]
    coordinator = login(client, org["coordinator_email"])
    download = client.get(f"/api/cycles/{cycle_id}/report.pdf", headers=coordinator)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    text = _pdf_text(download.content)

    with session_scope() as session:
        questionnaires = session.scalar(select(func.count(QuestionnaireSubmission.id)))
        systems = session.scalar(select(func.count(InformationSystem.id)))
        items = session.scalar(select(func.count(InformationItem.id)))
        participants = session.scalar(select(func.count(Response.id)))
        stored = session.scalar(select(ReportVersion.sha256))
    assert (questionnaires, systems, items, participants) == (2, 4, 3, 3)
    assert stored is not None

    for day in ("23.09.2024", "27.09.2024", "06.10.2024", "30.09.2024", "07.10.2024", "14.10.2024"):
        assert day in text
    assert "№212-р" in text
    assert "Пілотний етап: інтерв’ю не проводилися." in text
    assert f"В опитуванні взяли участь {participants} особи" in text
    assert "анкети подали працівники 2 з них" in text
    assert f"подали {questionnaires} анкети" in text
    assert f"отримано {systems} записи щодо інформаційних систем" in text
    for annex in ("Додаток 1", "Додаток 2", "Додаток 3", "Додаток 4"):
        assert annex in text
    assert "Перелік об’єктів комунальної власності" in text
    # Annex 1's narrow periodicity column wraps the phrase (its rendering is tested exactly in
    # test_foundation); its distinctive part still reads back.
    assert "35 днів" in text
    assert "66,7 %" in text  # 2 of the 3 who answered question 1 use the information


def test_advance_twice_at_same_instant_is_idempotent(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    cycle_id = launch(client, org["coordinator"], plan())["id"]
    _advance(clock, cycle_id, "2024-09-28")
    with session_scope() as session:
        events_before = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    state_before = _stages(cycle_id)
    _advance(clock, cycle_id, "2024-09-28")
    with session_scope() as session:
        events_after = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        transitions = session.execute(
            select(AuditEvent.dedup_key, func.count(AuditEvent.id))
            .where(AuditEvent.action.like("stage.%"))
            .group_by(AuditEvent.dedup_key)
        ).all()
    assert _stages(cycle_id) == state_before
    assert events_after == events_before
    assert state_before["preparation"] == StageStatus.CLOSED
    # preparation and remote audit opened and closed, consultation opened: one event each.
    assert len(transitions) == 5
    assert all(count == 1 for _key, count in transitions)


def test_crash_in_a_stage_task_then_rerun_finishes(
    client: TestClient, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = create_organization(client)
    cycle_id = launch(client, org["coordinator"], plan())["id"]
    _advance(clock, cycle_id, "2024-09-23")
    client.post(
        f"/api/cycles/{cycle_id}/interviews/skip",
        headers=org["coordinator"],
        json={"reason": "Не потрібні"},
    )

    real_render = audit_cycle_module.render

    def crash(_context: object) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(audit_cycle_module, "render", crash)
    clock.set(at("2024-10-15"))
    with pytest.raises(RuntimeError, match="renderer crashed"):
        audit_cycle(cycle_id, clock.now())
    state = _stages(cycle_id)
    assert state["reporting"] == StageStatus.OPEN  # opened, but no report: not closed
    with session_scope() as session:
        assert session.scalar(select(func.count(ReportVersion.id))) == 0

    monkeypatch.setattr(audit_cycle_module, "render", real_render)
    statuses = audit_cycle(cycle_id, clock.now())
    assert statuses["reporting"] == "closed"
    assert statuses["cycle"] == "completed"
    with session_scope() as session:
        assert session.scalar(select(func.count(ReportVersion.id))) == 1
        cycle = session.get(AuditCycle, cycle_id)
        assert cycle is not None
        assert cycle.status == CycleStatus.COMPLETED
        opened = session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "stage.open")
        )
    assert opened == 4  # every stage but the skipped interviews opened exactly once


def test_reporting_waits_for_the_stages_it_needs(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    stages = plan()["stages"]
    stages["consultation"]["due_on"] = "2024-10-06"
    cycle_id = launch(client, org["coordinator"], plan(stages=stages))["id"]
    # Interviews are due 30.09 and not skipped: at 07.10 they closed by date, so reporting opens.
    statuses = _advance(clock, cycle_id, "2024-10-07")
    assert statuses["interviews"] == "closed"
    assert statuses["reporting"] == "open"
