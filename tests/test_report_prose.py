"""The report's prose is drafted from the cycle's data: a small invented council (not Kalush)
gets its own units and figures, findings that name units and datasets, recommendations that
hide no name, and figures frozen on the day they describe."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.report import render_version
from models.clock import FixedClock
from models.db import session_scope
from models.report import ReportVersion, SectionKey
from models.services.report.context import full_report_context
from models.services.report.drafts import draft_sections
from models.services.report.findings import finding_sentence, unit_actions, unit_findings
from tests.factories import at, create_organization, launch, login, plan, questionnaire, token_of

KALUSH_FACTS = ("Калуш", "kalushcity", "182-р", "212-р", "17 підрозділ", "38 осіб", "42 запис")
CULTURE = "Відділ культури і туризму"
SOCIAL = "Управління соціального захисту населення"
WATER = "КП «Тестоводоканал»"


def _entry(number: int, name: str, unit: str, code: str, **state: Any) -> dict[str, Any]:
    return {
        "number": number,
        "name": name,
        "units": [unit],
        "official": "",
        "periodicity": "щоквартально",
        "state": {
            "code": code,
            "label": code,
            "timeliness": state.get("timeliness", "on_time" if code != "missing" else "n/a"),
            "overdue_days": state.get("days", 0),
            "working_days": False,
            "last_updated": None,
            "machine_readable": state.get("machine_readable", code != "missing"),
            "meets_all": False,
        },
    }


def _row(name: str, required: int, published: int, private: int, overdue: int) -> dict[str, Any]:
    return {
        "name": name,
        "rank": 1,
        "required": required,
        "published": published,
        "private": private,
        "overdue": overdue,
        "not_machine_readable": 0,
        "meeting_all": published - overdue,
        "percent_published": 100 * published / required,
        "share_meeting_all": 100 * (published - overdue) / required,
        "score": 50.0,
    }


def small_council() -> dict[str, Any]:
    """A context of an invented council: three units, six register entries, nine records."""
    annex1 = [
        _entry(1, "Реєстр закладів культури", CULTURE, "published", timeliness="overdue", days=634),
        _entry(2, "Афіша культурних подій", CULTURE, "published", timeliness="overdue", days=45),
        _entry(3, "Перелік пам’яток", CULTURE, "published", timeliness="overdue", days=3),
        _entry(4, "Мережа бібліотек", CULTURE, "published"),
        _entry(5, "Отримувачі допомоги (знеособлено)", SOCIAL, "private"),
        _entry(6, "Тарифи на водопостачання", WATER, "missing"),
    ]
    stage = {"status_label": "завершено", "skipped_reason": None, "extended": False}
    return {
        "organization": {"name": "Тестова міська рада", "place": "м. Тестове", "website": ""},
        "cycle": {
            "year": 2025,
            "order_number": "77-р",
            "order_date": date(2025, 3, 3),
            "order_title": "Про проведення інформаційного аудиту",
            "interview_schedule_on": None,
            "open_data_order": "рішення виконавчого комітету від 12.01.2023 № 5",
            "survey_unit": CULTURE,
            "auditors": [{"full_name": "Вигадана Ольга Іванівна", "position": "спеціаліст"}],
            "involved": 2,
        },
        "figures_as_of": date(2025, 3, 10),
        "units": [{"name": n, "kind_label": ""} for n in (CULTURE, SOCIAL, WATER)],
        "stages": [
            {
                **stage,
                "kind": "consultation",
                "label": "консультації",
                "starts_on": date(2025, 3, 10),
                "due_on": date(2025, 3, 21),
                "planned_due_on": date(2025, 3, 21),
            },
            {
                **stage,
                "kind": "remote_audit",
                "label": "анкетування",
                "starts_on": date(2025, 3, 10),
                "due_on": date(2025, 3, 20),
                "planned_due_on": date(2025, 3, 14),
                "extended": True,
                "extension_reason": "Підрозділи просили більше часу",
            },
        ],
        "counts": {
            "units": 3,
            "questionnaires": 4,
            "units_with_questionnaire": 2,
            "information_systems": 9,
            "information_items": 5,
            "survey_participants": 21,
            "proposals": 2,
            "register_entries": 6,
        },
        "remote_audit": {
            "first_on": date(2025, 3, 11),
            "last_on": date(2025, 3, 19),
            "units": [CULTURE, SOCIAL],
            "missing": [WATER],
        },
        "annex1": annex1,
        "publication": {
            "as_of": date(2025, 3, 10),
            "snapshot_taken_at": None,
            "units": [_row(CULTURE, 4, 4, 0, 3), _row(SOCIAL, 1, 1, 1, 0), _row(WATER, 1, 0, 0, 0)],
            "totals": _row("Усього", 6, 5, 1, 3),
            "target": 85.0,
            "meets_target": False,
            "previous": None,
        },
        "annex2": [
            {
                "name": "Тестова CRM",
                "url": "https://crm.test.example.org",
                "basis": "",
                "description": "",
                "units": [CULTURE, SOCIAL],
            },
            {
                "name": "Паперовий журнал",
                "url": None,
                "basis": "",
                "description": "",
                "units": [SOCIAL],
            },
        ],
        "annex3": [
            {
                "number": 1,
                "text": "Чи користуєтеся Ви відкритими даними?",
                "kind": "single",
                "answered": 20,
                "participants": 21,
                "options": [
                    {"label": "Так", "count": 5, "percent": 25.0},
                    {"label": "Ні", "count": 15, "percent": 75.0},
                ],
                "texts": [],
                "denominator": "",
            },
            {
                "number": 2,
                "text": "Ваші пропозиції",
                "kind": "text",
                "answered": 2,
                "participants": 21,
                "options": [],
                "texts": ["Графік вивозу сміття", "Афіша"],
                "denominator": "",
            },
        ],
        "annex4": [{"name": "Журнал звернень", "description": "", "units": [SOCIAL]}],
        "interviews": {
            "skipped": True,
            "skipped_reason": "Досить анкет.",
            "schedule_approved_on": None,
            "items": [],
        },
    }


@pytest.mark.sqlite_only
def test_drafts_come_from_the_councils_own_data() -> None:
    drafts = draft_sections(small_council())
    assert set(drafts) == set(SectionKey)
    text = "\n".join(drafts.values())
    for fact in (
        "Тестова міська рада",
        "від 03.03.2025 №77-р",
        "рішення виконавчого комітету від 12.01.2023 № 5",
        "відділ культури і туризму, управління соціального захисту населення та КП",
        "Вигадана Ольга Іванівна",
        "2 особи",
        "станом на 10.03.2025",
        "з 11.03.2025 по 19.03.2025",
        "продовжено до 20.03.2025",
        "9 записів щодо інформаційних систем",
        "Анкет не подав підрозділ: КП «Тестоводоканал»",
        "Досить анкет.",
        "75,0 % учасників обрали відповідь «Ні»",
        "(відповіли 20 з 21)",
        "Тестова CRM (https://crm.test.example.org)",
    ):
        assert fact in text, fact
    for fact in KALUSH_FACTS:
        assert fact not in text, fact
    # Never claimed: interviews held, a schedule approved.
    assert "Графік проведення інтерв’ю затверджено" not in text
    assert "проведено 0" not in text
    conclusions = drafts[SectionKey.CONCLUSIONS]
    assert (
        "Відділ культури і туризму оприлюднює 4 з 4 наборів даних переліку; не оновлює вчасно "
        "3 з 4 наборів; найдовше прострочення – 634 дні («Реєстр закладів культури»)"
    ) in conclusions
    assert "не проводилися за рішенням робочої групи" in conclusions


@pytest.mark.sqlite_only
def test_findings_worst_first_and_recommendations_name_everything() -> None:
    annex1 = small_council()["annex1"] + [
        _entry(10 + n, f"Набір соціального захисту {n}", SOCIAL, "missing") for n in range(12)
    ]
    findings = unit_findings(annex1)
    assert [f.name for f in findings] == [SOCIAL, CULTURE, WATER]
    social = unit_actions(findings[0])
    assert social.startswith(f"{SOCIAL}: оприлюднити набори даних «Набір соціального захисту 0»")
    assert all(f"«Набір соціального захисту {n}»" in social for n in range(12))
    assert "та ще" not in social
    culture = unit_actions(findings[1])
    assert "«Реєстр закладів культури» (прострочено на 634 дні)" in culture
    assert "«Афіша культурних подій» (прострочено на 45 днів)" in culture
    assert "«Перелік пам’яток» (прострочено на 3 дні)" in culture
    assert "1 – у приватному режимі" in finding_sentence(findings[0])


@pytest.mark.slow
def test_report_prose_figures_date_and_extension(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    coordinator = org["coordinator"]
    register = [
        {
            "number": 1,
            "name": "Мережа закладів освіти",
            "units": ["Управління освіти"],
            "periodicity": "щоквартально",
        },
    ]
    assert (
        client.post(
            f"/api/organizations/{org['id']}/register", headers=coordinator, json=register
        ).status_code
        == 201
    )
    # Published on 20.09; the figures date (the remote audit's start, 23.09) sees it.
    client.post(
        f"/api/organizations/{org['id']}/register/1/publication",
        headers=coordinator,
        json={
            "state": "published",
            "observed_on": "2024-09-20",
            "last_updated_on": "2024-09-20",
            "formats": ["CSV"],
        },
    )
    cycle = launch(
        client,
        coordinator,
        plan(survey_unit="Загальний відділ", order={"number": "9-р", "date": "2024-09-23"}),
    )
    cycle_id = cycle["id"]
    base = f"/api/cycles/{cycle_id}"
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    clock.set(at("2024-09-23"))
    extended = client.post(
        f"{base}/stages/remote_audit/extend",
        headers=coordinator,
        json={"due_on": "2024-10-04", "reason": "На прохання підрозділів."},
    )
    assert extended.status_code == 200, extended.text
    for day, unit in (("2024-09-24", "Загальний відділ"), ("2024-10-03", "Управління освіти")):
        clock.set(at(day))
        body = questionnaire(systems=2, items=1)
        assert client.post(f"/api/questionnaire/{links[unit]}", json=body).status_code == 201
    coordinator = login(client, org["coordinator_email"])
    skipped = client.post(f"{base}/interviews/skip", headers=coordinator, json={"reason": "Пілот."})
    assert skipped.status_code == 200
    # Published again later: a figures date of 23.09 must not see it.
    client.post(
        f"/api/organizations/{org['id']}/register/1/publication",
        headers=coordinator,
        json={"state": "missing", "observed_on": "2024-10-05"},
    )
    clock.set(at("2024-10-08"))
    with session_scope() as session:
        context = full_report_context(session, cycle_id=cycle_id, now=clock.now(), version=1)
    assert context["figures_as_of"] == date(2024, 9, 23)
    assert context["publication"]["totals"]["published"] == 1
    remote = next(s for s in context["stages"] if s["kind"] == "remote_audit")
    assert (remote["planned_due_on"], remote["due_on"]) == (date(2024, 9, 27), date(2024, 10, 4))
    text = " ".join(str(s["html"]) for s in context["narrative"].values())
    for fact in (
        "Тестова міська рада",
        "з 24.09.2024 по 03.10.2024",
        "продовжено до 04.10.2024",
        "станом на 23.09.2024",
        "Пілот.",
        "загальний відділ",
    ):
        assert fact in text, fact
    for fact in KALUSH_FACTS[:4]:
        assert fact not in text, fact
    coordinator = login(client, org["coordinator_email"])
    sections = client.get(f"{base}/report/sections", headers=coordinator).json()
    intro = next(s for s in sections if s["key"] == "intro")
    assert "Тестова міська рада" in intro["markdown"]  # the console offers the draft to edit

    # A version freezes the figures' date; fixing a typo renders the same figures.
    def fake(ctx: Any) -> bytes:
        return f"%PDF {ctx['figures_as_of']} {ctx['publication']['totals']['published']}".encode()

    assert render_version(cycle_id, at("2024-10-08"), renderer=fake) == 1
    client.put(f"{base}/report/sections/services", headers=coordinator, json={"markdown": "Т."})
    assert render_version(cycle_id, at("2024-10-09"), renderer=fake) == 2
    moved = client.put(
        f"{base}/report/figures-date", headers=coordinator, json={"as_of": "2024-10-06"}
    )
    assert moved.status_code == 200, moved.text
    assert render_version(cycle_id, at("2024-10-09"), renderer=fake) == 3
    with session_scope() as session:
        rows = session.execute(
            select(ReportVersion.number, ReportVersion.figures_as_of, ReportVersion.pdf)
        ).all()
    assert {n: (d, pdf) for n, d, pdf in rows} == {
        1: (date(2024, 9, 23), b"%PDF 2024-09-23 1"),
        2: (date(2024, 9, 23), b"%PDF 2024-09-23 1"),
        3: (date(2024, 10, 6), b"%PDF 2024-10-06 0"),
    }
    future = client.put(
        f"{base}/report/figures-date", headers=coordinator, json={"as_of": "2025-01-01"}
    )
    assert future.status_code == 422
