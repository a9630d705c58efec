"""The console's report page: asking for a new version (rendered by the sweep, never in the
request) and its state, approval, PAdES and .p7s sign-off, the text frozen after approval; the
mayor's office only reads."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.demo.pki import TestPki
from flows.audit_cycle import audit_cycle
from flows.report import render_version
from models.clock import FixedClock
from models.db import session_scope
from models.event import AuditEvent
from models.report import Report, ReportSection, ReportStatus, ReportVersion, Signature
from models.services.report.versions import load_pdf
from report_templates.environment import RenderError
from tests.console_pages import console_login, launched_cycle
from tests.doubles.html import csrf_of
from tests.doubles.pki import detached_p7s
from tests.factories import at, second_organization


def _report() -> Report:
    with session_scope() as session:
        return session.scalars(select(Report)).one()


def _versions() -> dict[int, ReportStatus]:
    with session_scope() as session:
        return {v.number: v.status for v in session.scalars(select(ReportVersion))}


@pytest.mark.slow
def test_regenerate_state_approve_sign_and_edit_after_approval(
    client: TestClient, clock: FixedClock, pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    url = f"/console/cycles/{cycle_id}/report"
    console_login(client, org["coordinator_email"])
    page = client.get(url)
    assert page.status_code == 200
    assert "коли розпочнеться етап підготовки звіту (07.10.2024)" in page.text

    clock.set(at("2024-10-07"))
    audit_cycle(cycle_id, clock.now())  # the sweep opens reporting and renders version 1
    console_login(client, org["coordinator_email"])  # the clock moved past the session
    page = client.get(url)
    assert "Звіт сформовано: версія 1" in page.text
    token = csrf_of(page.text)

    # Asking again: CSRF first; then only the request is recorded, nothing renders here.
    assert client.post(f"{url}/render", data={"csrf_token": "forged"}).status_code == 403
    assert _report().render_requested_at is None
    asked = client.post(f"{url}/render", data={"csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303
    assert _report().render_requested_at == clock.now()
    assert _versions() == {1: ReportStatus.DRAFT}
    with session_scope() as session:
        actor = session.scalar(
            select(AuditEvent.actor).where(AuditEvent.action == "report.render_requested")
        )
    assert actor is not None
    assert actor.startswith("account:")
    assert "Формується…" in client.get(url).text

    # A render that fails (the workers' memory cap) is shown with its Ukrainian message.
    monkeypatch.setenv("INFOAUDIT_RENDER_MEMORY_MB", "64")
    with pytest.raises(RenderError):
        render_version(cycle_id, clock.now())
    monkeypatch.delenv("INFOAUDIT_RENDER_MEMORY_MB")
    page = client.get(url).text
    assert "Не вдалося сформувати звіт" in page
    assert "пам" in page
    assert render_version(cycle_id, clock.now()) == 2
    page = client.get(url).text
    assert "Звіт сформовано: версія 2" in page
    assert "Не вдалося" not in page
    # What approval really does: the PDF is frozen, the text stays editable into a new draft.
    assert "Текст звіту можна й далі редагувати" in page
    assert "лише для читання" not in page

    # Approval: only the newest draft.
    old = client.post(f"{url}/versions/1/approve", data={"csrf_token": token})
    assert old.status_code == 409
    assert "Затвердити можна лише найновішу версію (2)" in old.text
    approved = client.post(
        f"{url}/versions/2/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert approved.status_code == 303
    assert _versions() == {1: ReportStatus.DRAFT, 2: ReportStatus.APPROVED}

    # PAdES: a refusal is said beside the form; a good key signs.
    files = {"pkcs12": ("org.p12", pki.pkcs12, "application/x-pkcs12")}
    form = {"csrf_token": token, "password": "wrong"}
    wrong = client.post(f"{url}/versions/2/sign", data=form, files=files)
    assert wrong.status_code == 422
    assert "Не вдалося відкрити файл PKCS#12" in wrong.text
    no_file = client.post(f"{url}/versions/2/sign", data={**form, "password": pki.password})
    assert no_file.status_code == 422
    assert "Оберіть файл PKCS#12" in no_file.text
    signed = client.post(
        f"{url}/versions/2/sign",
        data={**form, "password": pki.password},
        files=files,
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    with session_scope() as session:
        version = session.scalars(select(ReportVersion).where(ReportVersion.number == 2)).one()
        assert version.status == ReportStatus.SIGNED
        pdf = load_pdf(session, version_id=version.id)
    bad_p7s = client.post(
        f"{url}/versions/2/p7s",
        data={"csrf_token": token},
        files={"p7s": ("x.p7s", b"not a signature", "application/pkcs7-signature")},
    )
    assert bad_p7s.status_code == 422
    assert "не є підписом" in bad_p7s.text
    good_p7s = client.post(
        f"{url}/versions/2/p7s",
        data={"csrf_token": token},
        files={"p7s": ("r.p7s", detached_p7s(pki, pdf), "application/pkcs7-signature")},
        follow_redirects=False,
    )
    assert good_p7s.status_code == 303
    with session_scope() as session:
        kinds = sorted(s.kind.value for s in session.scalars(select(Signature)))
    assert kinds == ["cades_detached", "pades"]

    # The approved text never changes: an edit is kept for a new draft version, as the page
    # says before anything is saved.
    text_url = f"/console/cycles/{cycle_id}/report/text"
    page = client.get(text_url).text
    assert "Версію 2 звіту затверджено 07.10.2024; вона не зміниться." in page
    assert "Зберегти текст розділів" in page
    saved = client.post(
        f"/console/cycles/{cycle_id}/report/sections",
        data={"csrf_token": token, "markdown_services": "Нова оцінка."},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with session_scope() as session:
        assert [s.markdown for s in session.scalars(select(ReportSection))] == ["Нова оцінка."]
        versions = session.scalars(select(ReportVersion).order_by(ReportVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]  # version 2 stays as it was signed
        assert versions[1].status.value == "signed"
    assert "Формується…" in client.get(url).text  # the next sweep renders version 3
    requested = _report().render_requested_at

    # The mayor's office reads and downloads; it changes nothing.
    console_login(client, org["mayor_email"])
    page = client.get(url)
    assert page.status_code == 200
    assert "Версія 2: підписано" in page.text
    assert "Версія 1" not in page.text  # drafts are not the mayor's office's
    assert "Сформувати звіт повторно" not in page.text
    token = csrf_of(page.text)
    assert client.post(f"{url}/render", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{url}/versions/1/approve", data={"csrf_token": token}).status_code == 403
    assert client.get(text_url).status_code == 403

    second_organization(client)
    console_login(client, "second@example.org")
    token = csrf_of(client.get("/console").text)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/render", data={"csrf_token": token}).status_code == 404
    assert _report().render_requested_at == requested
