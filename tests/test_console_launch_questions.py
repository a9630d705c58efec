"""The consultation's questions are reviewed as part of launching: the launch form shows them (the
default set, or the previous cycle's) and launches with them as edited."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.cycle import AuditCycle
from models.db import session_scope
from models.services.surveys.questions import default_questions, list_questions
from tests.console_pages import console_login
from tests.doubles.html import fields
from tests.factories import at, create_organization

UNITS = ["Загальний відділ", "Управління освіти"]


def _form(client: TestClient, year: str) -> tuple[str, dict[str, Any]]:
    page = client.get("/console/cycles/new")
    assert page.status_code == 200
    data: dict[str, Any] = {k: v for k, v in fields(page.text).items() if k != "units"}
    data.update(
        action="launch",
        order_number="212-р",
        year=year,
        units=UNITS,
        auditors="Аудиторенко Оксана; головний спеціаліст; o@example.org",
    )
    return page.text, data


def _cycles() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(AuditCycle.id))) or 0


def _questions(cycle_id: int) -> list[tuple[str, str, list[str]]]:
    with session_scope() as session:
        return [
            (q.text, q.kind.value, [o.label for o in q.options])
            for q in list_questions(session, cycle_id=cycle_id)
        ]


def test_questions_are_reviewed_and_edited_on_the_launch_form(
    client: TestClient, clock: FixedClock
) -> None:
    clock.set(at("2024-09-20", 9))
    org = create_organization(client)
    console_login(client, org["coordinator_email"])
    page, data = _form(client, "2024")
    assert "Питання опитування мешканців" in page
    defaults = default_questions(UNITS)
    assert [data[f"q{n}_text"] for n in range(1, len(defaults) + 1)] == [q.text for q in defaults]
    # The priority question lists the units, and follows the ones chosen at launch.
    assert set(UNITS) < set(data["q5_options"].splitlines())
    assert data["q5_units"] == "1"
    assert "q4_units" not in data
    assert data["q2_other"] == "1"
    assert data[f"q{len(defaults) + 1}_text"] == ""  # a blank row adds a question

    # A question that cannot be asked is refused beside the others; nothing is launched.
    bad = {**data, "q1_options": "Так"}
    refused = client.post("/console/cycles/new", data=bad)
    assert refused.status_code == 422
    assert "Питання 1 («Чи використовуєте Ви інформацію" in refused.text
    assert "щонайменше два варіанти" in refused.text
    assert fields(refused.text)["q1_options"] == "Так"  # what was typed comes back
    assert _cycles() == 0

    # Text, options and kind are edited before the consultation can show them to anyone.
    data["q6_text"] = "Яку інформацію, на Вашу думку, варто оприлюднювати міській раді?"
    data["q4_options"] = "Так, регулярно\nІноді\nНі"
    data["q7_kind"], data["q7_options"] = "text", ""
    data["q7_text"] = "Звідки Ви дізналися про опитування?"
    data["q9_remove"] = "1"
    launched = client.post("/console/cycles/new", data=data, follow_redirects=False)
    assert launched.status_code == 303, launched.text
    cycle_id = int(launched.headers["location"].rsplit("/", 1)[1])
    stored = _questions(cycle_id)
    assert len(stored) == len(defaults) - 1
    assert stored[5] == (
        "Яку інформацію, на Вашу думку, варто оприлюднювати міській раді?",
        "text",
        [],
    )
    assert stored[3] == (defaults[3].text, "single", ["Так, регулярно", "Іноді", "Ні"])
    assert stored[6] == ("Звідки Ви дізналися про опитування?", "text", [])
    assert stored[1][2][-1] == "Інше (вкажіть)"
    assert stored[4] == (defaults[4].text, "multiple", UNITS)

    # The next cycle's launch form offers this cycle's questions as they were asked.
    _page, again = _form(client, "2025")
    assert again["q6_text"] == "Яку інформацію, на Вашу думку, варто оприлюднювати міській раді?"
    assert again["q7_kind"] == "text"
    assert again["q4_options"].splitlines() == ["Так, регулярно", "Іноді", "Ні"]
    assert again[f"q{len(defaults)}_text"] == ""  # the removed question is not offered again


def test_default_questions_read_as_ukrainian() -> None:
    texts = " ".join(
        [q.text for q in default_questions(UNITS)]
        + [o for q in default_questions(["Відділ"]) for o in q.options]
    )
    assert "Які інформацію" not in texts
    assert "міська рада варто" not in texts  # the holder's name is never the wrong case
    assert "Яку інформацію чи які набори даних, на Вашу думку, варто оприлюднити?" in texts
