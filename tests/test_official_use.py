"""Items "for official use" (ДСК) are protected (issue 16): Annex 4 of the PDF, its attached
CSV/JSON and the publication package count them and never list them, and the report's text
says why."""

import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from flows.report import render_version
from models.clock import FixedClock
from models.db import session_scope
from models.services.publication_package import build_package
from models.services.report.versions import latest_version, load_pdf
from tests.factories import at, create_organization, launch, login, plan, token_of
from tests.pdftext import pdftotext_lines, unhyphenate

SECRET_NAMES = ("Мобілізаційний план", "Схема охорони водозабору", "Перелік захисних споруд")


def _items(*names: str, category: str) -> list[dict[str, Any]]:
    return [{"name": name, "access_category": category, "description": "опис"} for name in names]


def _report_with_official_use(client: TestClient, clock: FixedClock) -> tuple[int, bytes]:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 10))
    tokens = [token_of(link["url"]) for link in cycle["links"]]
    first = {
        "respondent": {"full_name": "Петренко Іван"},
        "items": _items("Розпорядження міського голови", category="public")
        + _items(*SECRET_NAMES[:2], category="official_use"),
    }
    # Another unit names a ДСК item too, one unit marks it public: it stays protected.
    second = {
        "respondent": {"full_name": "Коваль Олена"},
        "items": _items("Рішення виконавчого комітету", category="public")
        + _items(SECRET_NAMES[2], category="official_use")
        + _items(SECRET_NAMES[0], category="public"),
    }
    for token, body in zip(tokens, (first, second), strict=False):
        assert client.post(f"/api/questionnaire/{token}", json=body).status_code == 201
    clock.set(at("2024-10-07"))
    assert render_version(cycle["id"], clock.now()) == 1
    with session_scope() as session:
        version = latest_version(session, cycle_id=cycle["id"])
        assert version is not None
        pdf = load_pdf(session, version_id=version.id)
    coordinator = login(client, org["coordinator_email"])
    approved = client.post(
        f"/api/cycles/{cycle['id']}/report/versions/1/approve", headers=coordinator
    )
    assert approved.status_code == 200, approved.text
    return cycle["id"], pdf


def test_official_use_items_are_counted_never_listed(
    client: TestClient, clock: FixedClock, tmp_path: Path
) -> None:
    cycle_id, pdf = _report_with_official_use(client, clock)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = unhyphenate(" ".join(pdftotext_lines(path)))
    annex4 = text[text.rindex("Додаток 4. Перелік публічної інформації") :]
    assert "Розпорядження міського голови" in annex4
    assert "Рішення виконавчого комітету" in annex4
    assert "Інформація з обмеженим доступом (ДСК): 3 позиції." in annex4
    assert "зазначено лише їх кількість" in annex4
    for name in SECRET_NAMES:
        assert name not in text, name
    # The report's text says so where it counts the items.
    assert "3 позиції інформації з обмеженим доступом" in text

    attachments = PdfReader(io.BytesIO(pdf)).attachments
    csv_text = attachments["annex4.csv"][0].decode("utf-8-sig")
    records = json.loads(attachments["annex4.json"][0].decode("utf-8-sig"))
    assert [r["name"] for r in records] == [
        "Розпорядження міського голови",
        "Рішення виконавчого комітету",
        "інформація з обмеженим доступом (ДСК): 3 позиції",
    ]
    assert records[-1]["units"] == ""  # not even which units hold them
    for name in SECRET_NAMES:
        assert name not in csv_text

    with session_scope() as session:
        package = build_package(session, cycle_id=cycle_id, now=clock.now())
    assert "інформація з обмеженим доступом (ДСК): 3 позиції" in package.notes
    for file in package.files:
        if file.media_type == "application/pdf":
            continue
        body = file.data.decode("utf-8-sig")
        for name in SECRET_NAMES:
            assert name not in body, (file.name, name)
    audit_results = next(f for f in package.files if f.name == "audit-results.json")
    titles = [row["title"] for row in json.loads(audit_results.data)]
    assert titles == ["Розпорядження міського голови", "Рішення виконавчого комітету"]
