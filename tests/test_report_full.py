"""The complete report: interviews, the working group's text, recommendations, versions,
the mayor's office's download, and the PDF/A-3 read back (text, TOC, numbers, attachments)."""

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from flows.audit_cycle import audit_cycle
from flows.report import render_version
from models.clock import FixedClock
from models.db import session_scope
from models.questionnaire import InformationItem, InformationSystem, QuestionnaireSubmission
from models.report import ReportVersion
from models.survey import Response
from report_templates.chunking import parse, split_document
from report_templates.environment import RenderError
from tests.factories import (
    at,
    create_organization,
    launch,
    login,
    plan,
    questionnaire,
    second_organization,
    token_of,
)
from tests.pdftext import page_text

REGISTER = [
    {
        "number": 1,
        "name": "Перелік об’єктів комунальної власності",
        "units": ["Управління комунальної власності"],
        "periodicity": "щороку та в міру потреби",
    },
    {
        "number": 2,
        "name": "Мережа закладів освіти",
        "units": ["Управління освіти"],
        "officials": [  # two, as real registers name them
            {"full_name": "Коваль Олена", "position": "начальниця"},
            {"full_name": "Бойко Марта", "position": "спеціаліст"},
        ],
        "periodicity": "щоквартально",
    },
]
LEGAL_BASE = (
    "Право на доступ до інформації гарантує **стаття 34 Конституції України**.\n\n"
    "- Закон «Про доступ до публічної інформації»;\n"
    "- постанова КМУ № 835.\n\n"
    "<script>alert(1)</script> ![герб](file:///etc/passwd) [посилання](javascript:alert(1))"
)


def _pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page_text(p)) for p in PdfReader(io.BytesIO(pdf)).pages]


def _advance(clock: FixedClock, cycle_id: int, day: str) -> dict[str, str]:
    clock.set(at(day))
    return audit_cycle(cycle_id, clock.now())


def _cycle_with_data(client: TestClient, clock: FixedClock) -> dict[str, Any]:
    """A cycle up to the interviews, with questionnaires, survey answers and a register."""
    org = create_organization(client)
    coordinator = org["coordinator"]
    response = client.post(
        f"/api/organizations/{org['id']}/register", headers=coordinator, json=REGISTER
    )
    assert response.status_code == 201, response.text
    cycle = launch(client, coordinator, plan())
    links = {link["unit"]: token_of(link["url"]) for link in cycle["links"]}
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    _advance(clock, cycle["id"], "2024-09-23")
    body = questionnaire(systems=2, items=2)
    body["systems"][0]["holds_personal_data"] = True
    body["systems"][0]["name"] = "Реєстр мешканців громади"
    assert (
        client.post(f"/api/questionnaire/{links['Загальний відділ']}", json=body).status_code == 201
    )
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    proposals = next(q for q in questions if q["kind"] == "text")
    for n in range(3):
        answers = [
            {"question_id": questions[0]["id"], "option_ids": [questions[0]["options"][0]["id"]]},
            {"question_id": proposals["id"], "text": f"Оприлюднити розклад автобусів {n}"},
        ]
        response = client.post(
            f"/api/survey/{slug}/responses",
            json={"answers": answers, "idempotency_key": f"resident-{n:04d}"},
        )
        assert response.status_code == 201, response.text
    _advance(clock, cycle["id"], "2024-09-28")
    return {"org": org, "cycle": cycle, "coordinator": login(client, org["coordinator_email"])}


def _write_text_and_interviews(
    client: TestClient, cycle_id: int, org: dict[str, Any], headers: dict[str, str]
) -> None:
    base = f"/api/cycles/{cycle_id}"
    unit_id = next(u["id"] for u in org["units"] if u["name"] == "Загальний відділ")
    proposed = client.post(
        f"{base}/interviews",
        headers=headers,
        json={
            "unit_id": unit_id,
            "officials": "Коваль Олена, начальник відділу",
            "scheduled_at": "2024-09-30T10:00:00+03:00",
            "place": "каб. 12",
        },
    )
    assert proposed.status_code == 201, proposed.text
    early = client.put(
        f"{base}/interviews/{proposed.json()['id']}", headers=headers, json={"notes": "x"}
    )
    assert early.status_code == 409  # notes only for an approved schedule
    approved = client.post(f"{base}/interviews/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()[0]["approved_at"] is not None
    recorded = client.put(
        f"{base}/interviews/{proposed.json()['id']}",
        headers=headers,
        json={
            "notes": "Обговорено облік звернень.",
            "findings": "Журнал звернень ведеться на папері, потрібна електронна форма.",
        },
    )
    assert recorded.status_code == 200, recorded.text

    section = client.put(
        f"{base}/report/sections/legal_base", headers=headers, json={"markdown": LEGAL_BASE}
    )
    assert section.status_code == 200, section.text
    html = section.json()["html"]
    assert "<strong>стаття 34 Конституції України</strong>" in html
    assert "<script>" not in html
    assert "<img" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;" in html  # typed HTML is shown as text, never run
    client.put(
        f"{base}/report/sections/conclusions",
        headers=headers,
        json={"markdown": "Система оприлюднення потребує **оновлення** порядку."},
    )
    # The recommendations come from the findings once the context is built.
    listed = client.get(f"{base}/report/recommendations", headers=headers).json()
    assert listed == [] or all(r["status"] == "proposed" for r in listed)


@pytest.mark.slow
def test_full_report_versions_and_mayor_download(
    client: TestClient, clock: FixedClock, tmp_path: Path
) -> None:
    state = _cycle_with_data(client, clock)
    org, cycle_id, coordinator = state["org"], state["cycle"]["id"], state["coordinator"]
    base = f"/api/cycles/{cycle_id}"
    mayor = login(client, org["mayor_email"])
    clock.set(at("2024-10-01"))  # the interview (30.09) is recorded once held
    coordinator = login(client, org["coordinator_email"])
    _write_text_and_interviews(client, cycle_id, org, coordinator)

    # Reporting opens: version 1 is rendered by the flow.
    statuses = _advance(clock, cycle_id, "2024-10-07")
    assert statuses["reporting"] == "open"
    coordinator = login(client, org["coordinator_email"])  # sessions last hours, not days
    mayor = login(client, org["mayor_email"])
    listed = client.get(f"{base}/report/recommendations", headers=coordinator)
    assert listed.status_code == 200, listed.text
    recommendations = listed.json()
    keys = {r["key"]: r for r in recommendations}
    assert {"units_without_questionnaire", "personal_data_systems", "top_proposals"} <= set(keys)
    assert "Реєстр мешканців громади" in keys["personal_data_systems"]["text"]

    # The mayor's office sees no draft and cannot edit anything.
    assert client.get(f"{base}/report/download", headers=mayor).status_code == 404
    assert client.get(f"{base}/report", headers=mayor).json()["versions"] == []
    for method, url, kwargs in [
        ("put", f"{base}/report/sections/legal_base", {"json": {"markdown": "x"}}),
        ("post", f"{base}/report/versions/1/approve", {}),
        ("post", f"{base}/report/recommendations", {"json": {"text": "своя рекомендація"}}),
        ("post", f"{base}/interviews/approve", {}),
        ("post", f"{base}/report/render", {}),
    ]:
        assert getattr(client, method)(url, headers=mayor, **kwargs).status_code == 403, url

    # The working group keeps, edits, drops and adds recommendations: version 2.
    edited = client.patch(
        f"{base}/report/recommendations/{keys['top_proposals']['id']}",
        headers=coordinator,
        json={"status": "edited", "text": "Оприлюднити розклад руху громадського транспорту"},
    )
    assert edited.status_code == 200, edited.text
    dropped = client.patch(
        f"{base}/report/recommendations/{keys['next_audit']['id']}",
        headers=coordinator,
        json={"status": "dropped"},
    )
    assert dropped.status_code == 200
    added = client.post(
        f"{base}/report/recommendations",
        headers=coordinator,
        json={"text": "Затвердити порядок електронного обліку публічної інформації"},
    )
    assert added.status_code == 201
    # Approving the stale version 1 is refused: its text changed.
    assert client.post(f"{base}/report/versions/1/approve", headers=coordinator).status_code == 409
    assert client.get(f"{base}/report", headers=coordinator).json()["render_pending"] is True
    assert render_version(cycle_id, at("2024-10-08")) == 2
    assert render_version(cycle_id, at("2024-10-08")) is None  # nothing changed since

    approved = client.post(f"{base}/report/versions/2/approve", headers=coordinator)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    # The mayor's office gets a signed report only, and is told so while there is none.
    waiting = client.get(f"{base}/report/download", headers=mayor)
    assert waiting.status_code == 404
    assert "Підписаного звіту ще немає: звіт затверджено" in waiting.json()["detail"]
    download = client.get(f"{base}/report/download?version=2", headers=coordinator)
    assert download.status_code == 200
    pdf = download.content
    with session_scope() as session:
        stored = session.scalar(select(ReportVersion.pdf).where(ReportVersion.number == 2))
        systems = session.scalar(select(func.count(InformationSystem.id)))
        items = session.scalar(select(func.count(InformationItem.id)))
        questionnaires = session.scalar(select(func.count(QuestionnaireSubmission.id)))
        participants = session.scalar(select(func.count(Response.id)))
    assert pdf == stored

    pages = _pages(pdf)
    text = " ".join(pages)
    for expected in [
        "Тестова міська рада",
        "ЗВІТ",
        "Зміст",
        "Вступ",
        "№212-р",
        "Основна частина",
        "Аналіз нормативно-правової бази",
        "стаття 34 Конституції України",
        "<script>alert(1)</script>",  # shown as text
        "Аналіз результатів консультацій з громадськістю",
        "Аналіз результатів віддаленого інформаційного аудиту",
        "Аналіз інформаційних сервісів",
        "Аналіз стану оприлюднення відкритих даних",
        "Інтерв’ю з посадовими особами",
        "Графік проведення інтерв’ю затверджено",
        "Журнал звернень ведеться на папері",
        "Висновки",
        "потребує оновлення порядку",
        "Рекомендації",
        "Оприлюднити розклад руху громадського транспорту",
        "Затвердити порядок електронного обліку публічної інформації",
        "Реєстр мешканців громади",
        "Додаток 1",
        "Додаток 2",
        "Додаток 3",
        "Додаток 4",
        "Перелік об’єктів комунальної власності",
    ]:
        assert expected in text, expected
    assert "провести наступний інформаційний аудит" not in text  # dropped
    assert "file:///etc/passwd" not in text or "![герб]" not in text
    # Figures equal the database's.
    assert f"В опитуванні взяли участь {participants} особи" in text
    assert f"подали {questionnaires} анкет" in text
    assert f"отримано {systems} записи щодо інформаційних систем" in text
    assert f"та {items} записи щодо публічної інформації" in text

    # Continuous page numbers at the foot of every page but the title page.
    for number, page in enumerate(pages[1:], start=2):
        assert page.rstrip().endswith(str(number)), (number, page[-80:])
    # The TOC's page numbers point at the pages where the headings are.
    toc = pages[1]
    for heading in ("Вступ", "Висновки", "Рекомендації", "Інтерв’ю з посадовими особами"):
        match = re.search(re.escape(heading) + r" (\d+)", toc)
        assert match, heading
        assert heading in pages[int(match.group(1)) - 1], heading

    # PDF/A-3u with the annexes' data attached.
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', metadata)
    assert re.search(r'pdfaid:conformance(="|>)U', metadata)
    attachments = reader.attachments
    assert {"annex1.csv", "annex1.json", "annex2.csv", "annex3.json", "annex4.csv"} <= set(
        attachments
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    listed = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for name in ("annex1.csv", "annex1.json", "annex2.csv", "annex3.json", "annex4.csv"):
        assert name in listed
    annex1 = attachments["annex1.csv"][0].decode("utf-8-sig")
    assert "Перелік об’єктів комунальної власності" in annex1
    assert len(annex1.strip().splitlines()) == len(REGISTER) + 1
    # Every responsible official of an entry, in the register's order.
    assert "Коваль Олена – начальниця; Бойко Марта – спеціаліст" in annex1
    annex_page = next(p for p in pages if "Мережа закладів освіти" in p and "Додаток 1" in p)
    assert 0 < annex_page.index("Коваль Олена") < annex_page.index("Бойко Марта")


@pytest.mark.slow
def test_approved_version_is_frozen_and_other_organizations_see_nothing(
    client: TestClient, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = _cycle_with_data(client, clock)
    cycle_id, coordinator = state["cycle"]["id"], state["coordinator"]
    base = f"/api/cycles/{cycle_id}"
    skip = client.post(
        f"{base}/interviews/skip", headers=coordinator, json={"reason": "Пілотний етап аудиту."}
    )
    assert skip.status_code == 200
    _advance(clock, cycle_id, "2024-10-07")
    coordinator = login(client, state["org"]["coordinator_email"])
    assert client.post(f"{base}/report/versions/1/approve", headers=coordinator).status_code == 200
    assert client.post(f"{base}/report/versions/1/approve", headers=coordinator).status_code == 409
    with session_scope() as session:
        frozen = session.scalar(select(ReportVersion.sha256).where(ReportVersion.number == 1))
    text = " ".join(_pages(client.get(f"{base}/report/download", headers=coordinator).content))
    assert (
        "Робоча група вирішила не проводити інтерв’ю посадових осіб: пілотний етап аудиту." in text
    )
    assert (
        client.post(
            f"{base}/interviews",
            headers=coordinator,
            json={
                "unit_id": state["org"]["units"][0]["id"],
                "officials": "Хтось",
                "scheduled_at": "2024-09-30T10:00:00+03:00",
            },
        ).status_code
        == 409
    )

    client.put(
        f"{base}/report/sections/services", headers=coordinator, json={"markdown": "Нова оцінка."}
    )
    assert render_version(cycle_id, at("2024-10-09")) == 2
    with session_scope() as session:
        versions = {v.number: v for v in session.scalars(select(ReportVersion))}
        assert versions[1].sha256 == frozen
        assert versions[1].status == "approved"
        assert versions[2].status == "draft"
    # The renderer's workers run under a memory cap: one too small fails cleanly, stores nothing.
    client.put(
        f"{base}/report/sections/services", headers=coordinator, json={"markdown": "Ще раз."}
    )
    monkeypatch.setenv("INFOAUDIT_RENDER_MEMORY_MB", "64")
    with pytest.raises(RenderError, match="пам"):
        render_version(cycle_id, at("2024-10-10"))
    monkeypatch.delenv("INFOAUDIT_RENDER_MEMORY_MB")
    with session_scope() as session:
        assert session.scalar(select(func.count(ReportVersion.id))) == 2
    # The mayor's office sees the approved version 1, not the newer draft; unsigned, it is
    # not theirs to download yet.
    mayor = login(client, state["org"]["mayor_email"])
    assert [
        v["number"] for v in client.get(f"{base}/report", headers=mayor).json()["versions"]
    ] == [1]
    assert client.get(f"{base}/report/download", headers=mayor).status_code == 404

    stranger = second_organization(client)
    for url in (f"{base}/report", f"{base}/report/download", f"{base}/interviews"):
        assert client.get(url, headers=stranger).status_code == 404
    assert client.post(f"{base}/report/versions/1/approve", headers=stranger).status_code == 404
    assert client.get(f"{base}/report/download").status_code == 401


@pytest.mark.sqlite_only
def test_chunking_keeps_every_row_once_and_repeats_headers() -> None:
    html = (
        "<html><head><title>t</title></head><body><div class='running-header'>h</div>"
        "<section class='title-page'>T</section><section class='chapter'><h2>Вступ</h2>"
        "<p>a</p></section><section class='annex'><h2 class='annex-title'>Додаток</h2>"
        "<table><thead><tr><th>№</th></tr></thead><tbody>"
        + "".join(f"<tr><td>{n}</td></tr>" for n in range(500))
        + "</tbody></table></section></body></html>"
    )
    split = split_document(html, parts=6, multiple=4)
    assert len(split.parts) == 8  # rounded up to a multiple of the workers
    rows = [int(m) for part in split.parts for m in re.findall(r"<td>(\d+)</td>", part)]
    assert rows == list(range(500))
    annex_parts = [p for p in split.parts if "<td>" in p]
    assert len(annex_parts) > 2
    # One table per part, with its header repeated.
    assert all(p.count("<table>") == 1 for p in annex_parts)
    assert all("<thead><tr><th>№</th></tr></thead>" in p for p in annex_parts)
    assert "continued" in annex_parts[1]
    assert "Додаток" not in annex_parts[1]
    # Balanced by text length (row numbers grow from one digit to three).
    assert max(split.weights) - min(split.weights) <= max(split.weights) // 10, split.weights
    assert [h.text for h in split.headings] == ["Вступ", "Додаток"]
    assert [h.anchor for h in split.headings] == ["toc-1", "toc-2"]
    assert 'id="toc-2"' in "".join(split.parts)
    # The sliced parts still parse as a balanced tree.
    assert all(parse(p).children for p in split.parts)
    # The part limits: fewer when parts would be tiny, more when they would be too heavy.
    assert len(split_document(html, parts=6, min_weight=10**6).parts) == 1
    heavy = split_document(html, max_weight=300)
    assert len(heavy.parts) >= 5
    assert max(heavy.weights) <= 2 * 300
