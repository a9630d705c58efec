"""The report linter: another council's name or site (a copied paragraph), figures that disagree
with the data, empty sections and placeholders — as a pure check, in the console beside the
editor and through the JSON API. The organization here is not Kalush."""

from fastapi.testclient import TestClient

from models.clock import FixedClock
from models.report import SectionKey
from models.services.report.linter import LintFacts, lint_texts
from tests.console_pages import add_login, console_login, launched_cycle
from tests.doubles.html import csrf_of

FACTS = LintFacts(
    organization_name="Тестова міська рада",
    website="https://www.testcity.gov.ua",
    units=3,
    units_with_questionnaire=2,
    questionnaires=2,
    information_systems=5,
    survey_participants=12,
    register_entries=4,
)
FILLED = {key: "Текст розділу." for key in SectionKey}


def _kinds(findings: list) -> list[tuple[SectionKey | None, str]]:  # type: ignore[type-arg]
    return [(f.section, f.kind) for f in findings]


def test_a_clean_text_has_no_findings() -> None:
    texts = {
        **FILLED,
        SectionKey.SERVICES: (
            "Офіційний вебпортал Тестової міської ради (https://www.testcity.gov.ua, "
            "мапа на map.testcity.gov.ua) і набори на https://data.gov.ua/organization/x; "
            "закон на zakon.rada.gov.ua."
        ),
        SectionKey.REMOTE_AUDIT: "Отримано 5 записів про інформаційні системи; 2 анкети.",
        SectionKey.CONSULTATION: "В опитуванні взяли участь 12 учасників.",
        SectionKey.INTRO: "Аудит проведено у 3 підрозділах Тестової міської ради.",
    }
    assert lint_texts(texts, FACTS) == []


def test_what_a_careful_reader_flags() -> None:
    texts = {
        **FILLED,
        SectionKey.INTRO: "Аудит проведено у 17 підрозділах.",  # the data says 3
        SectionKey.SERVICES: (
            "Портал створено за рішенням Вінницької міської ради; мапа коштів — "
            "https://map.vmr.gov.ua/default.aspx."
        ),
        SectionKey.REMOTE_AUDIT: "Отримано 42 записи про інформаційні системи.",  # 5
        SectionKey.CONSULTATION: "Опитування тривало до [вкажіть дату]; TODO: відсотки.",
        SectionKey.CONCLUSIONS: "   ",
    }
    findings = lint_texts(texts, FACTS)
    assert sorted(_kinds(findings), key=str) == sorted(
        [
            (SectionKey.INTRO, "figure"),
            (SectionKey.SERVICES, "other_holder"),
            (SectionKey.SERVICES, "other_site"),
            (SectionKey.REMOTE_AUDIT, "figure"),
            (SectionKey.CONSULTATION, "placeholder"),
            (SectionKey.CONSULTATION, "placeholder"),
            (SectionKey.CONCLUSIONS, "empty"),
        ],
        key=str,
    )
    messages = " ".join(f.message for f in findings)
    assert "«Вінницької міської ради»" in messages
    assert "map.vmr.gov.ua" in messages
    assert "У тексті 17 підрозділів, а за даними циклу — 3 або 2." in messages
    assert "У тексті 42 записів про інформаційні системи, а за даними циклу — 5." in messages
    assert "«[вкажіть дату]»" in messages


def test_annex2_services_copied_from_another_council_are_flagged() -> None:
    services = [
        {"name": "Вебпортал", "url": "https://www.testcity.gov.ua", "description": "Наш сайт."},
        {
            "name": "Мапа коштів Вінницької громади",
            "url": "https://map.vmr.gov.ua/default.aspx?db=rsc",
            "basis": "Виконавчий комітет Вінницької міської ради",
            "description": "",
        },
    ]
    findings = lint_texts(FILLED, FACTS, services)
    assert [(f.section_label, f.kind) for f in findings] == [
        ("Додаток 2, сервіс «Мапа коштів Вінницької громади»", "other_holder"),
        ("Додаток 2, сервіс «Мапа коштів Вінницької громади»", "other_site"),
    ]


def test_the_console_and_the_api_list_the_findings(client: TestClient, clock: FixedClock) -> None:
    state = launched_cycle(client, clock)
    org, cycle_id = state["org"], state["cycle_id"]
    console_login(client, add_login(client, org, "working_group"))
    url = f"/console/cycles/{cycle_id}/report/text"
    token = csrf_of(client.get(url).text)
    saved = client.post(
        f"/console/cycles/{cycle_id}/report/sections",
        data={
            "csrf_token": token,
            "markdown_services": "Сервіс створено за рішенням Вінницької міської ради; ____.",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(url).text
    assert "Перевірка тексту перед затвердженням" in page
    assert "Згадано «Вінницької міської ради»" in page
    assert "Незаповнене місце «____»" in page
    assert 'href="#section-services"' in page

    answer = client.get(f"/api/cycles/{cycle_id}/report/lint", headers=org["coordinator"])
    assert answer.status_code == 200
    services = [f for f in answer.json() if f["section"] == "services"]
    assert {f["kind"] for f in services} == {"other_holder", "placeholder"}
    assert services[0]["where"] == "Аналіз інформаційних сервісів"
    assert (
        client.get(f"/api/cycles/{cycle_id}/report/lint", headers=org["mayor"]).status_code == 403
    )
