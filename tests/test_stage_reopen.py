"""Issue 15: a closed stage reopened or extended with a reason within the later stages' rules,
a unit's late questionnaire accepted, the overdue letter's contact, progress as people count it,
and stages opening at launch."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import FixedClock
from models.cycle import AuditedUnit, StageKind
from models.db import session_scope
from models.event import AuditEvent
from models.outbox import OutboxMessage
from models.questionnaire import QuestionnaireSubmission, SubmissionStatus
from models.report import Report, ReportStatus, ReportVersion
from models.services.mail import enqueue_reminders
from models.services.stages import advance_stage
from models.settings import get_settings
from tests.console_pages import console_login
from tests.doubles.html import csrf_of
from tests.factories import at, create_organization, launch, login, plan, questionnaire, token_of

CONTACT = {"full_name": "Коваленко Марія", "email": "koval@example.org", "phone": "+380441234567"}


def _closed_remote_audit(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """The seed's cycle with a draft from the first unit; the remote audit closed on 28.09."""
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan(contact=CONTACT))
    token = token_of(cycle["links"][0]["url"])
    clock.set(at("2024-09-25"))
    draft = client.post(f"/api/questionnaire/{token}/drafts", json=questionnaire())
    assert draft.status_code == 201, draft.text
    clock.set(at("2024-09-28"))
    with session_scope() as session:
        advance_stage(session, cycle_id=cycle["id"], kind=StageKind.REMOTE_AUDIT, now=clock.now())
    org["coordinator"] = login(client, org["coordinator_email"])  # the first login has expired
    return {"org": org, "cycle": cycle, "token": token}


def _actions(cycle_id: int) -> list[tuple[str, dict[str, object]]]:
    with session_scope() as session:
        return [
            (e.action, e.details)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.cycle_id == cycle_id))
        ]


def test_launch_opens_todays_stages_and_a_closed_stage_reopens_within_the_rules(
    client: TestClient, clock: FixedClock
) -> None:
    setup = _closed_remote_audit(client, clock)
    cycle, headers, token = setup["cycle"], setup["org"]["coordinator"], setup["token"]
    # Launched on 23.09 (the stages' start): open at once, not at the next sweep.
    launched = {s["kind"]: s["status"] for s in cycle["stages"]}
    assert launched["remote_audit"] == "open"
    assert launched["interviews"] == "planned"
    url = f"/api/cycles/{cycle['id']}/stages/remote_audit"
    late = client.post(f"/api/questionnaire/{token}", json=questionnaire())
    assert late.status_code == 409
    after_reporting = client.post(
        f"{url}/reopen", headers=headers, json={"due_on": "2024-10-07", "reason": "п’ять анкет"}
    )
    assert after_reporting.status_code == 422
    assert "після початку підготовки звіту (07.10.2024)" in after_reporting.json()["detail"]
    # Extending a closed stage reopens it (the same rules), with the reason in the trail.
    reopened = client.post(
        f"{url}/extend", headers=headers, json={"due_on": "2024-10-02", "reason": "5 з 8 немає"}
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"
    assert reopened.json()["due_on"] == "2024-10-02"
    assert (
        "stage.reopened",
        {
            "stage": "remote_audit",
            "reason": "5 з 8 немає",
            "from": "2024-09-27",
            "to": "2024-10-02",
            "was": "closed",
        },
    ) in _actions(cycle["id"])
    assert client.post(f"/api/questionnaire/{token}", json=questionnaire()).status_code == 201
    with session_scope() as session:  # the sweep closes it after the new date, recorded again
        advance_stage(
            session, cycle_id=cycle["id"], kind=StageKind.REMOTE_AUDIT, now=at("2024-10-03")
        )
    closes = [a for a, _ in _actions(cycle["id"]) if a == "stage.closed"]
    assert len(closes) == 2
    # Once the report is approved, the remote audit stays closed, and the refusal says why.
    with session_scope() as session:
        report = Report(cycle_id=cycle["id"])
        session.add(report)
        session.flush()
        session.add(
            ReportVersion(
                report_id=report.id,
                number=1,
                status=ReportStatus.APPROVED,
                approved_at=at("2024-10-03"),
                sha256="0" * 64,
                size=1,
                pdf=b"%PDF",
            )
        )
    refused = client.post(
        f"{url}/reopen", headers=headers, json={"due_on": "2024-10-04", "reason": "ще одна"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Звіт за результатами аудиту затверджено 03.10.2024")


def test_a_late_unit_is_accepted_its_draft_counts_and_the_letter_names_the_coordinator(
    client: TestClient, clock: FixedClock
) -> None:
    setup = _closed_remote_audit(client, clock)
    cycle, org = setup["cycle"], setup["org"]
    cycle_id = cycle["id"]
    with session_scope() as session:
        enqueue_reminders(session, cycle_id=cycle_id, now=clock.now(), settings=get_settings())
        bodies = [m.body for m in session.scalars(select(OutboxMessage))]
        first_unit = session.scalar(
            select(AuditedUnit.unit_id).where(
                AuditedUnit.cycle_id == cycle_id, AuditedUnit.position == 0
            )
        )
    overdue = [b for b in bodies if "минув 27.09.2024" in b]
    assert overdue
    assert (
        "звернутися до координатора робочої групи: Коваленко Марія, ел. пошта koval@example.org, "
        "тел. +380441234567." in overdue[0]
    )
    console_login(client, org["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}")
    assert "Анкети подали 0 з 3 підрозділів" in page.text
    assert "із запізненням: 3" in page.text
    short = client.post(
        f"/console/cycles/{cycle_id}/units/{first_unit}/accept-late",
        data={"reason": "x", "csrf_token": csrf_of(page.text)},
    )
    assert short.status_code == 422  # beside its field, typed text kept, inside the layout
    assert "Вкажіть причину (щонайменше 3 символи)." in short.text
    assert 'id="late-error-' in short.text
    assert "Хід аудиту" in short.text
    accepted = client.post(
        f"/console/cycles/{cycle_id}/units/{first_unit}/accept-late",
        data={"reason": "хворів виконавець", "csrf_token": csrf_of(page.text)},
    )
    assert accepted.status_code == 200  # followed to the page with its confirmation
    assert "Анкету підрозділу прийнято із запізненням." in accepted.text
    assert "Анкети подали 1 з 3 підрозділів" in accepted.text
    assert "прийнято із запізненням" in accepted.text
    with session_scope() as session:
        statuses = list(session.scalars(select(QuestionnaireSubmission.status)))
    assert statuses == [SubmissionStatus.SUBMITTED]
    assert (
        "questionnaire.late_accepted",
        {
            "unit": "Загальний відділ",
            "reason": "хворів виконавець",
            "drafts_counted": 1,
        },
    ) in _actions(cycle_id)
    # The unit's link takes its late answers; the API refuses a second acceptance.
    late = client.post(f"/api/questionnaire/{setup['token']}", json=questionnaire())
    assert late.status_code == 201
    again = client.post(
        f"/api/cycles/{cycle_id}/units/{first_unit}/accept-late",
        headers=org["coordinator"],
        json={"reason": "ще раз"},
    )
    assert again.status_code == 409
    index = client.get("/console")
    assert "анкети не подали: 2 з 3 підрозділів" in index.text


def test_console_reopen_refusal_keeps_input_and_success_confirms(
    client: TestClient, clock: FixedClock
) -> None:
    setup = _closed_remote_audit(client, clock)
    cycle_id = setup["cycle"]["id"]
    console_login(client, setup["org"]["coordinator_email"])
    page = client.get(f"/console/cycles/{cycle_id}")
    assert 'value="reopen"' in page.text
    assert "data-confirm=" in page.text
    form = {"action": "reopen", "reason": "пізні анкети", "csrf_token": csrf_of(page.text)}
    bad = client.post(
        f"/console/cycles/{cycle_id}/stages/remote_audit", data={**form, "due_on": "2024-09-01"}
    )
    assert bad.status_code == 422
    assert "Нова дата завершення 01.09.2024 вже минула" in bad.text
    assert 'value="пізні анкети"' in bad.text
    assert 'id="stage-error-remote_audit"' in bad.text
    good = client.post(
        f"/console/cycles/{cycle_id}/stages/remote_audit", data={**form, "due_on": "2024-10-01"}
    )
    assert good.status_code == 200
    assert "Етап відкрито повторно." in good.text
