"""Issue 15 in real headless Chromium: five people through one audit month. The coordinator
corrects a survey question before launching, a unit is late and its stage is reopened, an
interview is moved, the working group edits two report sections together, and the mayor's
office downloads the signed PDF. Checked: every confirmation, the field errors beside their
fields, and that nothing typed is lost."""

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.demo.pki import TestPki
from flows.audit_cycle import audit_cycle
from flows.report import render_version
from models.clock import KYIV, FixedClock
from models.db import session_scope
from models.interview import Interview
from models.questionnaire import InformationItem, QuestionnaireSubmission, SubmissionStatus
from models.report import ReportSection
from tests.console_pages import add_login, browser_login
from tests.factories import at, create_organization

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
QUESTION = "Які набори даних міська рада має оприлюднити насамперед?"
unsaved_warnings: list[str] = []  # pages whose "leave with unsaved changes?" was asked
STAGE_DATES = "Дата має бути в межах етапу «Інтерв’ю»: 30.09.2024–02.10.2024."


def _person(browser: Any, **options: Any) -> Any:
    context = browser.new_context(locale="uk-UA", accept_downloads=True, **options)
    context.set_default_timeout(30_000)
    page = context.new_page()

    def answer(dialog: Any) -> None:
        # data-confirm: the person says yes; "leave with unsaved changes?": the person stays.
        if dialog.type == "beforeunload":
            unsaved_warnings.append(page.url)
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    return page


def _confirmation(page: Any) -> str:
    text: str = page.locator("p.notice-done[role=status]").inner_text()
    return text


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_month_of_the_audit_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any, pki: TestPki
) -> None:
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    member_email = add_login(client, org, "working_group")
    base = live_server
    coordinator = _person(browser)

    # --- 20.09, the coordinator launches; a question is corrected before the survey opens.
    browser_login(coordinator, base, org["coordinator_email"])
    coordinator.goto(f"{base}/console/cycles/new")
    coordinator.fill("#order_number", "212-р")
    coordinator.fill("#order_date", "2024-09-23")
    for unit in ("Загальний відділ", "Управління освіти", "Управління комунальної власності"):
        coordinator.check(f"input[name=units][value='{unit}']")
    coordinator.fill("#auditors", "Аудиторенко Оксана; головний спеціаліст")
    coordinator.fill("#start", "2024-09-23")
    coordinator.get_by_role("button", name="Розрахувати типовий графік").click()
    coordinator.wait_for_load_state()
    assert coordinator.input_value("#reporting_starts_on") == "2024-10-07"
    coordinator.fill("#interviews_due_on", "2024-10-02")  # three days for interviews
    coordinator.fill("#q6_text", QUESTION)
    coordinator.fill("#q1_options", "Так")  # a slip: one option only
    coordinator.get_by_role("button", name="Запустити цикл").click()
    coordinator.wait_for_load_state()
    summary = coordinator.locator(".error-summary").inner_text()
    assert "Питання 1" in summary
    assert "щонайменше два варіанти" in summary
    # Nothing typed is lost: the order, the schedule and both edited questions come back.
    assert coordinator.input_value("#order_number") == "212-р"
    assert coordinator.input_value("#interviews_due_on") == "2024-10-02"
    assert coordinator.input_value("#q6_text") == QUESTION
    assert coordinator.input_value("#q1_options") == "Так"
    coordinator.fill("#q1_options", "Так\nНі")
    coordinator.get_by_role("button", name="Запустити цикл").click()
    coordinator.wait_for_url(re.compile(r".*/console/cycles/\d+$"))
    assert _confirmation(coordinator) == "Цикл запущено."
    cycle_id = int(coordinator.url.rsplit("/", 1)[1])
    links = coordinator.locator("code.link", has_text="/q/").all_inner_texts()
    tokens = [link.rsplit("/", 1)[1] for link in links]
    survey = coordinator.locator("code.link", has_text="/survey/").inner_text()
    slug = survey.rsplit("/", 1)[1]
    assert len(tokens) == 3

    # --- 24.09, a resident answers on a phone and sees the corrected question.
    clock.set(at("2024-09-24", 12))
    resident = _person(browser, **PHONE)
    resident.goto(f"{base}/survey/{slug}")
    _no_sideways_scroll(resident)
    assert resident.get_by_text("Яку інформацію чи які набори даних").count() == 0
    resident.get_by_label(QUESTION).fill("Реєстр договорів оренди")
    resident.get_by_role("button", name="Надіслати відповідь").last.click()
    resident.wait_for_url(re.compile(r".*/thanks$"))
    assert resident.get_by_role("heading", name="Дякуємо за участь в опитуванні!").is_visible()
    resident.context.close()

    # A staff member at a desk submits the first unit's questionnaire on time.
    desk = _person(browser)
    desk.goto(f"{base}/q/{tokens[0]}")
    desk.get_by_label("Прізвище, ім’я").fill("Петренко Іван")
    desk.locator("#systems-0-name").fill("СЕД «АСКОД»")
    desk.locator("#items-0-name").fill("Розпорядження міського голови")
    desk.get_by_role("button", name="Подати анкету").click()
    assert "Анкету подано" in desk.locator("#notice").inner_text()
    desk.context.close()

    # A staff member on a phone saves the second unit's draft and does not submit in time.
    phone = _person(browser, **PHONE)
    phone.goto(f"{base}/q/{tokens[1]}")
    _no_sideways_scroll(phone)
    phone.get_by_label("Прізвище, ім’я").fill("Коваль Олена")
    phone.locator("#systems-0-name").fill("Електронний журнал")
    phone.get_by_role("button", name="Зберегти чернетку").click()
    assert "Чернетку збережено" in phone.locator("#notice").inner_text()
    draft_url = phone.url  # the link with the resume code

    # --- 28.09: the remote audit closed yesterday; the late answer is refused, typing kept.
    clock.set(at("2024-09-28", 9))
    audit_cycle(cycle_id, clock.now())
    phone.locator("#items-0-name").fill("Накази начальника управління")
    with phone.expect_response(lambda r: r.request.method == "POST") as posted:
        phone.get_by_role("button", name="Подати анкету").click()
    assert posted.value.status == 409
    assert "Відповідь не прийнято" in phone.inner_text("main")
    # What was typed stays on the page, read only, to be copied.
    late_item = phone.locator(".read-only #items-0-name")
    assert late_item.input_value() == "Накази начальника управління"
    assert late_item.is_disabled()
    assert phone.locator(".read-only #systems-0-name").input_value() == "Електронний журнал"
    _no_sideways_scroll(phone)

    # The coordinator reopens the stage: a date past the reporting's start is refused beside
    # its field with the reason kept; a good date reopens it.
    browser_login(coordinator, base, org["coordinator_email"])
    coordinator.goto(f"{base}/console/cycles/{cycle_id}")
    stage = coordinator.locator("#stage-remote_audit")
    stage.locator("summary").click()
    stage.locator("input[name=reason]").fill("Управління освіти не встигло подати анкету")
    stage.locator("input[name=due_on]").fill("2024-10-08")
    stage.get_by_role("button", name="Відкрити повторно").click()
    coordinator.wait_for_load_state()
    stage = coordinator.locator("#stage-remote_audit")
    error = stage.locator("#stage-error-remote_audit").inner_text()
    assert "після початку підготовки звіту (07.10.2024)" in error, error
    reason = stage.locator("input[name=reason]")
    assert reason.input_value() == "Управління освіти не встигло подати анкету"
    due = stage.locator("input[name=due_on]")
    assert due.input_value() == "2024-10-08"
    assert due.get_attribute("aria-invalid") == "true"
    due.fill("2024-10-02")
    stage.get_by_role("button", name="Відкрити повторно").click()
    coordinator.wait_for_url(re.compile(r".*#stage-remote_audit$"))
    assert _confirmation(coordinator) == "Етап відкрито повторно."

    # Back on the draft's link the saved draft is there; the late item goes in and is taken.
    phone.goto(draft_url)
    assert phone.locator("#systems-0-name").input_value() == "Електронний журнал"
    phone.locator("#items-0-name").fill("Накази начальника управління")
    phone.get_by_role("button", name="Подати анкету").click()
    assert "Анкету подано" in phone.locator("#notice").inner_text()
    phone.context.close()
    with session_scope() as session:
        submitted = session.scalars(
            select(InformationItem.name)
            .join(QuestionnaireSubmission)
            .where(QuestionnaireSubmission.status == SubmissionStatus.SUBMITTED)
        ).all()
    assert sorted(submitted) == ["Накази начальника управління", "Розпорядження міського голови"]
    coordinator.reload()
    assert "Анкети подали 2 з 3 підрозділів" in coordinator.inner_text("#progress + ul")

    # The interview is planned, approved, then moved to the next day and approved again.
    coordinator.goto(f"{base}/console/cycles/{cycle_id}/interviews")
    coordinator.select_option("#unit_id", label="Управління освіти")
    coordinator.fill("#officials", "Коваль Олена, начальниця управління")
    coordinator.fill("#day", "2024-09-30")
    coordinator.fill("#at_time", "11:00")
    coordinator.get_by_role("button", name="Додати до графіка").click()
    coordinator.wait_for_url(re.compile(r".*/interviews#schedule$"))
    assert _confirmation(coordinator) == "Інтерв’ю додано."
    coordinator.get_by_role("button", name="Затвердити графік").click()
    coordinator.wait_for_url(re.compile(r".*/interviews#schedule$"))
    assert _confirmation(coordinator) == "Графік затверджено."
    with session_scope() as session:
        interview_id = session.scalars(select(Interview.id)).one()
    coordinator.get_by_text("Змінити або видалити інтерв’ю").click()
    coordinator.fill(f"#edit-day-{interview_id}", "2024-10-01")
    coordinator.fill(f"#edit-time-{interview_id}", "14:00")
    coordinator.fill(f"#edit-place-{interview_id}", "Кабінет 12")
    coordinator.get_by_role("button", name="Зберегти зміни").click()
    coordinator.wait_for_url(re.compile(r".*/interviews#schedule$"))
    assert _confirmation(coordinator) == "Інтерв’ю змінено."
    schedule = coordinator.inner_text("#schedule ~ .table-scroll")
    assert "01.10.2024 14:00" in schedule
    assert "30.09.2024 11:00" not in schedule
    assert "запропоновано" in schedule  # a moved interview is approved again
    coordinator.get_by_role("button", name="Затвердити графік").click()
    coordinator.wait_for_url(re.compile(r".*/interviews#schedule$"))
    assert _confirmation(coordinator) == "Графік затверджено."

    # --- 02.10: notes with a held day outside the stage come back beside the date, kept.
    clock.set(at("2024-10-02", 10))
    browser_login(coordinator, base, org["coordinator_email"])
    coordinator.goto(f"{base}/console/cycles/{cycle_id}/interviews")
    assert coordinator.input_value(f"#held-on-{interview_id}") == "2024-10-01"
    coordinator.fill(f"#notes-{interview_id}", "Обговорили реєстр наказів.")
    coordinator.fill(f"#findings-{interview_id}", "Накази не оприлюднюються.")
    coordinator.fill(f"#held-on-{interview_id}", "2024-09-29")
    coordinator.get_by_role("button", name="Зберегти нотатки").click()
    coordinator.wait_for_load_state()
    assert STAGE_DATES in coordinator.inner_text(f"#record-error-{interview_id}")
    held = coordinator.locator(f"#held-on-{interview_id}")
    assert held.get_attribute("aria-invalid") == "true"
    assert held.input_value() == "2024-09-29"
    assert coordinator.input_value(f"#notes-{interview_id}") == "Обговорили реєстр наказів."
    assert coordinator.input_value(f"#findings-{interview_id}") == "Накази не оприлюднюються."
    held.fill("2024-10-01")
    coordinator.get_by_role("button", name="Зберегти нотатки").click()
    coordinator.wait_for_url(re.compile(rf".*#interview-{interview_id}$"))
    assert _confirmation(coordinator) == "Збережено."
    with session_scope() as session:
        interview = session.get(Interview, interview_id)
        assert interview is not None
        assert interview.held_at is not None
        assert interview.held_at.astimezone(KYIV) == at("2024-10-01", 14)
        assert interview.findings == "Накази не оприлюднюються."

    # --- 07.10: reporting opens; a working-group member edits two sections, saved together.
    clock.set(at("2024-10-07", 10))
    audit_cycle(cycle_id, clock.now())
    member = _person(browser)
    browser_login(member, base, member_email)
    member.goto(f"{base}/console/cycles/{cycle_id}/report/text")
    member.fill("#markdown-services", "Сервіси ради **працюють** без перебоїв.")
    member.fill("#markdown-conclusions", "Робоча група рекомендує оприлюднювати накази.")
    # A click away before saving is asked about, and the person stays with the text.
    unsaved_warnings.clear()
    member.get_by_role("link", name="Формування, версії та затвердження звіту").click()
    member.wait_for_timeout(300)
    assert unsaved_warnings == [f"{base}/console/cycles/{cycle_id}/report/text"]
    assert member.url.endswith("/report/text")
    assert member.input_value("#markdown-conclusions") == (
        "Робоча група рекомендує оприлюднювати накази."
    )
    member.get_by_role("button", name="Зберегти текст розділів").click()
    member.wait_for_url(re.compile(r".*/report/text#sections$"))
    assert _confirmation(member) == "Збережено."
    assert member.input_value("#markdown-services") == "Сервіси ради **працюють** без перебоїв."
    with session_scope() as session:
        stored = {s.key.value: s.markdown for s in session.scalars(select(ReportSection))}
    assert stored == {
        "services": "Сервіси ради **працюють** без перебоїв.",
        "conclusions": "Робоча група рекомендує оприлюднювати накази.",
    }
    member.context.close()

    # The coordinator has the report rendered again, approves and signs that version.
    browser_login(coordinator, base, org["coordinator_email"])
    coordinator.goto(f"{base}/console/cycles/{cycle_id}/report")
    coordinator.get_by_role("button", name="Сформувати звіт повторно").click()
    coordinator.wait_for_url(re.compile(r".*/report#render$"))
    assert _confirmation(coordinator).startswith("Нову версію замовлено")
    number = render_version(cycle_id, clock.now())
    assert number == 2
    coordinator.reload()
    coordinator.get_by_role("button", name=f"Затвердити версію {number}").click()
    coordinator.wait_for_url(re.compile(rf".*#version-{number}$"))
    assert _confirmation(coordinator) == f"Версію {number} затверджено."
    coordinator.get_by_text(f"Підписати версію {number}").click()
    coordinator.set_input_files(
        f"#pkcs12-{number}",
        files=[{"name": "org.p12", "mimeType": "application/x-pkcs12", "buffer": pki.pkcs12}],
    )
    coordinator.fill(f"#password-{number}", pki.password)
    coordinator.get_by_role("button", name="Підписати", exact=True).click()
    coordinator.wait_for_url(re.compile(rf".*#version-{number}$"))
    assert _confirmation(coordinator) == f"Версію {number} підписано."
    coordinator.context.close()

    # --- The mayor's office downloads the signed PDF; its SHA-256 is the one the page shows.
    mayor = _person(browser)
    browser_login(mayor, base, org["mayor_email"])
    mayor.goto(f"{base}/console/cycles/{cycle_id}")
    link = mayor.locator("p.download a")
    assert re.fullmatch(
        rf"Звіт, версія {number}, підписаний КЕП \(PDF, \d+ КБ\)", link.inner_text()
    )
    shown = mayor.locator("p.download code").inner_text()
    with mayor.expect_download() as download_info:
        link.click()
    path = download_info.value.path()
    assert path is not None
    content = Path(path).read_bytes()
    mayor.context.close()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == shown
    from pypdf import PdfReader

    fields = PdfReader(io.BytesIO(content)).get_fields() or {}
    assert any(field.get("/FT") == "/Sig" and field.get("/V") for field in fields.values())
