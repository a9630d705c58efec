"""The action plan over two consecutive audits of one organization: made from the approved
2024 report, followed with dated notes, reminded of once per point, shown on the quarterly card
and checked by the 2025 report (its PDF read back, its figures against the database)."""

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from flows.monitoring import plan_rows
from models.action_plan import ActionPlanItem, Metric
from models.clock import FixedClock
from models.cycle import AuditedUnit
from models.db import session_scope
from models.outbox import OutboxMessage
from models.questionnaire import QuestionnaireSubmission, SubmissionStatus
from models.services.action_plan import as_sentence
from models.services.action_plan_reminders import enqueue_plan_reminders
from models.services.report.previous_audit import previous_audit_context
from models.services.trail import SENTENCES
from models.survey import Response
from tests.action_plan_cycles import first_cycle, record, run_cycle
from tests.factories import at, login
from tests.pdftext import page_text


def _pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page_text(p) for p in PdfReader(io.BytesIO(pdf)).pages))


def _items(client: TestClient, cycle_id: int, headers: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    response = client.get(f"/api/cycles/{cycle_id}/action-plan", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _edit(
    client: TestClient, cycle_id: int, headers: dict[str, str], item: dict, **changes: object
) -> dict:  # type: ignore[type-arg]
    body = {
        k: item[k]
        for k in (
            "task",
            "due_on",
            "indicator",
            "responsible_unit_id",
            "responsible_person",
            "responsible_email",
            "metric",
            "baseline",
        )
    }
    body.update(changes)
    response = client.put(
        f"/api/cycles/{cycle_id}/action-plan/items/{item['id']}", headers=headers, json=body
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.slow
def test_plan_carried_into_the_next_report(client: TestClient, clock: FixedClock) -> None:
    state = first_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    coordinator = login(client, org["coordinator_email"])
    base = f"/api/cycles/{cycle_id}/action-plan"
    assert client.get(base, headers=coordinator).status_code == 404
    mayor = login(client, org["mayor_email"])
    assert client.post(base, headers=mayor, json={}).status_code == 403

    made = client.post(base, headers=coordinator, json={"due_on": "2025-03-31"})
    assert made.status_code == 201, made.text
    items = made.json()["items"]
    assert client.post(base, headers=coordinator, json={}).status_code == 409  # once
    units = {u["name"]: u["id"] for u in org["units"]}
    education = next(i for i in items if i["task"].startswith("Управління освіти: "))
    assert education["responsible_unit_id"] == units["Управління освіти"]
    assert education["metric"] == Metric.UNIT_PROBLEMS
    assert "Мережа закладів освіти" in education["task"]
    silent = next(i for i in items if i["metric"] == Metric.UNITS_WITHOUT_QUESTIONNAIRE)
    general = next(i for i in items if i["task"].startswith("Загальний відділ: "))
    assert {i["status"] for i in items} == {"planned"}
    assert all(i["due_on"] == "2025-03-31" for i in items)

    # Errors come back with their field.
    refused = client.put(
        f"{base}/items/{education['id']}",
        headers=coordinator,
        json={
            **{k: education[k] for k in ("task", "due_on", "indicator", "responsible_unit_id")},
            "responsible_email": "ні",
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "responsible_email"

    education = _edit(
        client,
        cycle_id,
        coordinator,
        education,
        responsible_person="Коваль Олена",
        responsible_email="osvita@example.org",
    )
    general = _edit(client, cycle_id, coordinator, general, responsible_email="zv@example.org")
    silent = _edit(
        client,
        cycle_id,
        coordinator,
        silent,
        due_on="2025-06-30",
        responsible_email="wg@example.org",
    )

    # Reminders: 14 and 3 days before, and once overdue; each once whatever the reruns.
    def remind(day: str) -> int:
        with session_scope() as session:
            return enqueue_plan_reminders(session, now=at(day), organization_id=org["id"])

    assert remind("2025-03-10") == 0
    # Measures of the whole holder remind the cycle's contact (here the coordinator).
    holder = next(i for i in items if i["task"].startswith("розробити та затвердити план"))
    assert holder["responsible_email"] == org["coordinator_email"]
    assert remind("2025-03-17") == 3  # education, general, holder (silent is due in June)
    assert remind("2025-03-18") == 0
    clock.set(at("2025-03-20"))
    coordinator = login(client, org["coordinator_email"])
    record(client, org, 2, "2025-03-20", ["CSV"])
    note = client.post(
        f"{base}/items/{education['id']}/notes",
        headers=coordinator,
        json={"noted_on": "2025-03-20", "status": "done", "text": ""},
    )
    assert note.status_code == 422  # the evidence is required
    assert note.json()["errors"][0]["field"] == "text"
    note = client.post(
        f"{base}/items/{education['id']}/notes",
        headers=coordinator,
        json={
            "noted_on": "2025-03-20",
            "status": "done",
            "text": "Набір «Мережа закладів освіти» оприлюднено на порталі у форматі CSV",
        },
    )
    assert note.status_code == 201, note.text
    note = client.post(
        f"{base}/items/{general['id']}/notes",
        headers=coordinator,
        json={"noted_on": "2025-03-20", "status": "in_progress", "text": "Готується CSV"},
    )
    assert note.status_code == 201
    assert remind("2025-03-28") == 2  # general and holder: education is done
    assert remind("2025-04-01") == 2  # both overdue
    assert remind("2025-04-02") == 0
    with session_scope() as session:
        keys = sorted(
            session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.like("plan-reminder:%")
                )
            )
        )
        overdue = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedup_key == f"plan-reminder:{general['id']}:2025-03-31:overdue"
            )
        )
        assert overdue is not None
        assert overdue.recipients == "zv@example.org"
        assert "минув 31.03.2025" in overdue.subject
    assert keys == sorted(
        [
            f"plan-reminder:{education['id']}:2025-03-31:before-14",
            f"plan-reminder:{general['id']}:2025-03-31:before-14",
            f"plan-reminder:{general['id']}:2025-03-31:before-3",
            f"plan-reminder:{general['id']}:2025-03-31:overdue",
            *(
                f"plan-reminder:{holder['id']}:2025-03-31:{p}"
                for p in ("before-14", "before-3", "overdue")
            ),
        ]
    )

    # The quarterly card of Q1 2025 lists the items due in it, with their state on 01.04.
    with session_scope() as session:
        rows = plan_rows(
            session, organization_id=org["id"], quarter=(2025, 1), today=date(2025, 4, 1)
        )
    states = {r["position"]: r["status"] for r in rows}
    assert states[education["position"]] == "виконано"
    assert states[general["position"]] == "прострочено"
    assert silent["position"] not in states

    mayor = login(client, org["mayor_email"])
    plan_pdf = client.get(f"/api/cycles/{cycle_id}/action-plan.pdf", headers=mayor)
    assert plan_pdf.status_code == 200
    annex = _pdf_text(plan_pdf.content)
    for heading in (
        "ПЛАН ДІЙ",
        "Завдання",
        "Строк виконання",
        "Ключові показники виконання",
        "Виконавець",
    ):
        assert heading in annex
    assert "Коваль Олена" in annex
    assert "До 31.03.2025" in annex

    # The 2025 audit: all three units answer; its report checks the plan.
    cycle_2025 = run_cycle(
        client,
        clock,
        org,
        2025,
        ["Загальний відділ", "Управління освіти", "Управління комунальної власності"],
    )
    with session_scope() as session:
        section = previous_audit_context(session, cycle_id=cycle_2025, today=date(2025, 10, 7))
        assert section is not None
        assert section["plan"] is not None
        by_number = {r["number"]: r for r in section["plan"]["rows"]}
        assert by_number[education["position"]]["status"] == "виконано"
        assert by_number[education["position"]]["value_then"] == "невиконаних вимог: 1"
        assert by_number[education["position"]]["value_now"] == "невиконаних вимог: 0"
        assert by_number[general["position"]]["status"] == "прострочено"
        assert by_number[silent["position"]]["value_then"] == "без анкети 2 підрозділи"
        assert by_number[silent["position"]]["value_now"] == "без анкети 0 підрозділів"
        # The year-over-year rows against the database.
        for row, cid in zip(section["yoy"], (cycle_id, cycle_2025), strict=True):
            submitted = session.scalar(
                select(func.count(QuestionnaireSubmission.id))
                .join(AuditedUnit, AuditedUnit.id == QuestionnaireSubmission.audited_unit_id)
                .where(
                    AuditedUnit.cycle_id == cid,
                    QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED,
                )
            )
            assert row["questionnaires"] == submitted
            assert row["units"] == session.scalar(
                select(func.count(AuditedUnit.id)).where(AuditedUnit.cycle_id == cid)
            )
            assert row["survey_participants"] == session.scalar(
                select(func.count(Response.id)).where(Response.cycle_id == cid)
            )
            assert row["information_systems"] == 2 * (submitted or 0)  # two in each
        assert [r["year"] for r in section["yoy"]] == [2024, 2025]
        assert [(r["published"], r["machine_readable"]) for r in section["yoy"]] == [(2, 1), (3, 2)]
    # A recommendation decided after approval: the plan waits for the new approved version.
    coordinator = login(client, org["coordinator_email"])
    recommendation = client.get(
        f"/api/cycles/{cycle_2025}/report/recommendations", headers=coordinator
    ).json()[0]
    kept = client.patch(
        f"/api/cycles/{cycle_2025}/report/recommendations/{recommendation['id']}",
        headers=coordinator,
        json={"status": "kept"},
    )
    assert kept.status_code == 200, kept.text
    waits = client.post(f"/api/cycles/{cycle_2025}/action-plan", headers=coordinator, json={})
    assert waits.status_code == 409
    assert "затвердьте нову версію" in waits.json()["detail"]
    report = client.get(
        f"/api/cycles/{cycle_2025}/report/download", headers=login(client, org["coordinator_email"])
    )
    assert report.status_code == 200
    text = _pdf_text(report.content)
    assert "Стан виконання рекомендацій попереднього аудиту" in text
    assert "Порівняння з попередніми аудитами" in text
    assert "Набір «Мережа закладів освіти» оприлюднено на порталі" in text
    assert "прострочено" in text
    assert "невиконаних вимог: 0" in text
    assert "2025 (цей аудит)" in text


def test_every_action_plan_event_has_a_sentence() -> None:
    for action in (
        "action_plan.created",
        "action_plan.item_updated",
        "action_plan.item_added",
        "action_plan.item_removed",
        "action_plan.note_added",
    ):
        assert action in SENTENCES
    assert ActionPlanItem.__tablename__ == "action_plan_item"


@pytest.mark.slow
def test_items_added_and_removed_by_hand(client: TestClient, clock: FixedClock) -> None:
    state = first_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    coordinator = login(client, org["coordinator_email"])
    base = f"/api/cycles/{cycle_id}/action-plan"
    made = client.post(base, headers=coordinator, json={"due_on": "2025-03-31"})
    assert made.status_code == 201, made.text
    before = made.json()["items"]
    body = {
        "task": "Провести навчання відповідальних за оприлюднення наборів даних",
        "due_on": "2025-03-31",
        "indicator": "навчання проведено, протокол оприлюднено",
        "responsible_person": "Петренко Іван",
        "responsible_email": "petrenko@example.org",
    }

    # Bad input: 422 with the field, nothing stored.
    for field, value in (("task", "x"), ("responsible_email", "ні"), ("indicator", "")):
        refused = client.post(f"{base}/items", headers=coordinator, json={**body, field: value})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    assert len(_items(client, cycle_id, coordinator)) == len(before)
    mayor = login(client, org["mayor_email"])
    assert client.post(f"{base}/items", headers=mayor, json=body).status_code == 403
    assert client.delete(f"{base}/items/{before[0]['id']}", headers=mayor).status_code == 403

    added = client.post(f"{base}/items", headers=coordinator, json=body)
    assert added.status_code == 201, added.text
    item = added.json()
    assert item["position"] == len(before) + 1
    assert item["recommendation_id"] is None
    assert item["status"] == "planned"
    with session_scope() as session:
        stored = session.get(ActionPlanItem, item["id"])
        assert stored is not None
        assert stored.responsible_email == "petrenko@example.org"
    assert [i["id"] for i in _items(client, cycle_id, coordinator)][-1] == item["id"]

    # Removing a recommendation's item: the rest renumbered, gone from annex and reminders.
    gone = before[0]
    removed = client.delete(f"{base}/items/{gone['id']}", headers=coordinator)
    assert removed.status_code == 204, removed.text
    assert client.delete(f"{base}/items/{gone['id']}", headers=coordinator).status_code == 404
    items = _items(client, cycle_id, coordinator)
    assert [i["position"] for i in items] == list(range(1, len(before) + 1))
    assert gone["id"] not in {i["id"] for i in items}
    assert items[-1]["id"] == item["id"]
    assert items[-1]["position"] == len(before)

    # An item with notes is refused: it is closed with a «не виконано» note instead.
    kept = items[0]
    noted = client.post(
        f"{base}/items/{kept['id']}/notes",
        headers=coordinator,
        json={"noted_on": "2024-10-07", "status": "in_progress", "text": "Розпочато"},
    )
    assert noted.status_code == 201, noted.text
    assert client.delete(f"{base}/items/{kept['id']}", headers=coordinator).status_code == 409

    with session_scope() as session:
        enqueue_plan_reminders(session, now=at("2025-03-17"), organization_id=org["id"])
        keys = set(
            session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.like("plan-reminder:%")
                )
            )
        )
        message = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedup_key == f"plan-reminder:{item['id']}:2025-03-31:before-14"
            )
        )
        assert message is not None
        assert message.recipients == "petrenko@example.org"
    assert not any(k.startswith(f"plan-reminder:{gone['id']}:") for k in keys)

    annex = _pdf_text(client.get(f"{base}.pdf", headers=mayor).content)
    assert "Провести навчання відповідальних за оприлюднення наборів даних" in annex
    assert "Петренко Іван" in annex
    assert as_sentence(gone["task"])[:40] not in annex

    trail = client.get(f"/api/cycles/{cycle_id}/trail", headers=coordinator)
    assert trail.status_code == 200, trail.text
    assert f"додано завдання {len(before) + 1} до плану дій" in trail.text
    assert "вилучено завдання 1 з плану дій" in trail.text
