"""The questionnaire form as people know it from online forms (issue 15): a draft is kept even
with invalid fields (marked, nothing lost), the person resuming it is told it is theirs, a
corrected spreadsheet uploaded again replaces its rows, and a closed questionnaire says so once
and shows no live form."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.clock import FixedClock
from models.db import session_scope
from models.questionnaire import InformationItem, QuestionnaireSubmission, SubmissionStatus
from tests.accessibility import axe_context, serious_violations
from tests.doubles.html import fields
from tests.factories import at
from tests.test_questionnaire_form import GOOD, _form, _unit_link


def _submission() -> QuestionnaireSubmission:
    with session_scope() as session:
        submission = session.scalars(select(QuestionnaireSubmission)).one()
        session.expunge(submission)
        return submission


def test_a_draft_with_invalid_fields_is_kept_marked_and_told_to_be_theirs(
    client: TestClient, clock: FixedClock
) -> None:
    _, token, _ = _unit_link(client)
    clock.set(at("2024-09-24", 10))
    bad = {**GOOD, "respondent-email": "not-an-email", "items-0-approx_records": "багато"}
    saved = client.post(
        f"/q/{token}", data=_form(client, token, action="save", **bad), follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    stored = _submission()
    assert stored.status == SubmissionStatus.DRAFT
    assert stored.draft_form is not None
    assert stored.draft_form["items"][0]["approx_records"] == "багато"
    assert stored.draft_form["respondent"]["email"] == "not-an-email"

    page = client.get(saved.headers["location"])
    assert page.status_code == 200
    assert "Позначені поля ще треба виправити" in page.text
    assert "Ці поля ще треба виправити перед поданням анкети" in page.text
    assert 'id="items-0-approx_records" name="items-0-approx_records" value="багато"' in page.text
    assert page.text.count('aria-invalid="true"') == 2  # the e-mail and the number, marked
    values = fields(page.text)
    assert values["systems-1-url"] == GOOD["systems-1-url"]

    # Submitting still refuses it and changes nothing; corrected, the rows hold everything.
    refused = client.post(f"/q/{token}", data={**values, "action": "submit"})
    assert refused.status_code == 422
    assert _submission().status == SubmissionStatus.DRAFT
    code = values["code"]
    values.update({"items-0-approx_records": "600", "respondent-email": "p@example.org"})
    clock.set(at("2024-09-25", 16))
    fixed = client.post(f"/q/{token}", data={**values, "action": "save"}, follow_redirects=False)
    assert fixed.status_code == 303
    assert _submission().draft_form is None
    with session_scope() as session:
        assert session.scalars(select(InformationItem.approx_records)).all() == [600]

    # Opened again by its code, without the "saved" note: the person is told it is their draft.
    resumed = client.get(f"/q/{token}", params={"code": code})
    assert "Це Ваша чернетка (Петренко Іван), востаннє збережена 25.09.2024" in resumed.text
    assert 'aria-invalid="true"' not in resumed.text


HEADER = "Назва виду інформації,Категорія доступу,Приблизна кількість записів\n"


def _upload(client: TestClient, token: str, values: dict[str, Any], csv: str) -> Any:
    return client.post(
        f"/q/{token}",
        data={**values, "action": "import"},
        files={"spreadsheet": ("items.csv", (HEADER + csv).encode(), "text/csv")},
    )


def test_a_corrected_spreadsheet_uploaded_again_replaces_its_rows(
    client: TestClient, clock: FixedClock
) -> None:
    _, token, _ = _unit_link(client)
    values = _form(client, token, **{"respondent-full_name": "Петренко Іван"})
    first = _upload(client, token, values, "Реєстр звернень,відкрита,100\nЖурнал,ДСК,5\n")
    assert first.status_code == 200, first.text
    assert "Додано нових рядків: 2" in first.text
    corrected = "реєстр  ЗВЕРНЕНЬ,відкрита,120\nЖурнал,ДСК,6\nРішення сесії,відкрита,40\n"
    second = _upload(client, token, fields(first.text), corrected)
    assert "Додано нових рядків: 1; замінено рядків з такими самими назвами: 2" in second.text
    values = fields(second.text)
    assert "items-3-name" not in values  # three rows, not five
    assert [values[f"items-{i}-approx_records"] for i in range(3)] == ["120", "6", "40"]
    saved = client.post(f"/q/{token}", data={**values, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303
    with session_scope() as session:
        rows = session.scalars(select(InformationItem).order_by(InformationItem.position)).all()
        assert [(r.name, r.approx_records) for r in rows] == [
            ("реєстр  ЗВЕРНЕНЬ", 120),
            ("Журнал", 6),
            ("Рішення сесії", 40),
        ]


def test_a_closed_questionnaire_says_so_once_and_shows_no_live_form(
    client: TestClient, clock: FixedClock
) -> None:
    _, token, _ = _unit_link(client)
    clock.set(at("2024-09-24", 10))
    values = _form(client, token, action="save", **GOOD)
    added = client.post(f"/q/{token}", data={**values, "action": "add_system"})
    # The new row is the address's fragment: the page opens at it, not at the top.
    assert f'formaction="/q/{token}#system-3"' in added.text
    assert 'id="system-2"' in added.text
    clock.set(at("2024-09-28", 9))  # after the due date (27.09.2024)
    for page in (client.get(f"/q/{token}"), client.post(f"/q/{token}", data=values)):
        assert page.text.count("Анкетування завершено 27.09.2024") == 1, page.text
        assert '<form method="post"' not in page.text
        assert "<button" not in page.text.split('id="main"')[1]
    late = client.post(f"/q/{token}", data=values)
    assert late.status_code == 409
    # What was typed stays readable, in a disabled fieldset.
    assert '<fieldset disabled class="plain">' in late.text
    assert fields(late.text)["systems-0-name"] == GOOD["systems-0-name"]
    assert client.get(f"/q/{token}").text.count("<fieldset") == 0
    with session_scope() as session:
        assert session.scalars(select(QuestionnaireSubmission)).all() == []


_IN_VIEW = """selector => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.bottom <= innerHeight;
}"""


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_on_a_phone_a_new_row_and_an_error_link_keep_the_person_at_the_field_in_chromium(
    client: TestClient, clock: FixedClock, live_server: str, browser: Any
) -> None:
    """Adding a row opens the page at the new row, its first field focused; an error's link
    focuses the field with its label on screen; axe-core finds nothing serious."""
    _, token, _ = _unit_link(client)
    context = axe_context(
        browser, viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server}/q/{token}")
    page.locator("#respondent-full_name").fill("Петренко Іван")
    page.locator("#systems-0-name").fill("СЕД «АСКОД»")
    page.get_by_role("button", name="+ Додати систему").click()
    page.wait_for_url("**#system-1")
    page.wait_for_function("document.activeElement.id === 'systems-1-name'")
    assert page.evaluate(_IN_VIEW, "#system-1 legend")
    assert page.locator("#systems-0-name").input_value() == "СЕД «АСКОД»"

    page.locator("#respondent-email").fill("not-an-email")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Подати анкету").click()
    assert posted.value.status == 422
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.get_by_role("link", name="E-mail").click()
    assert page.evaluate("document.activeElement.id") == "respondent-email"
    assert page.evaluate(_IN_VIEW, "label[for=respondent-email]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
    context.close()
