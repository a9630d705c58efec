"""Spreadsheets: the template filled in and imported back (XLSX round trip), row-level errors in
Ukrainian with the good rows kept, refusals of files that are not spreadsheets or too large,
the upload through the form, and the consolidated inventory exported as XLSX and CSV."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from models.clock import FixedClock
from models.services.spreadsheets import (
    ITEM_COLUMNS,
    ITEMS_SHEET,
    MAX_UPLOAD_BYTES,
    SYSTEM_COLUMNS,
    SYSTEMS_SHEET,
    SpreadsheetRejected,
    import_spreadsheet,
    template_csv,
    template_xlsx,
)
from tests.doubles.html import fields
from tests.factories import UNITS, at, create_organization, launch, login, plan, token_of


def _filled_template(systems: list[list[Any]], items: list[list[Any]]) -> bytes:
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    for row in systems:
        workbook[SYSTEMS_SHEET].append(row)
    for row in items:
        workbook[ITEMS_SHEET].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SYSTEM_ROW = [
    "СЕД «АСКОД»",
    "https://askod.example.gov.ua",
    "вхідна і вихідна кореспонденція",
    "Загальний відділ",
    "Приватна",
    "реєстрація документів",
    "так",
    "PDF, XML",
    "ні",
]
ITEM_ROW = [
    "Розпорядження міського голови",
    "з основної діяльності",
    "СЕД «АСКОД»",
    "ДСК",
    "",
    "так",
    "щотижня",
    1200,
    "ЗУ «Про доступ до публічної інформації»",
    "DOCX",
    "ПІБ заявника",
    "",
]


@pytest.mark.sqlite_only
def test_xlsx_round_trip_from_the_template() -> None:
    template = load_workbook(io.BytesIO(template_xlsx()))
    assert template.sheetnames == ["Пояснення", SYSTEMS_SHEET, ITEMS_SHEET]
    assert [c.value for c in template[SYSTEMS_SHEET][1]] == [c.header for c in SYSTEM_COLUMNS]
    result = import_spreadsheet(_filled_template([SYSTEM_ROW], [ITEM_ROW]), filename="a.xlsx")
    assert result.errors == []
    assert result.systems == [
        {
            "name": "СЕД «АСКОД»",
            "url": "https://askod.example.gov.ua",
            "basis": "вхідна і вихідна кореспонденція",
            "administrator": "Загальний відділ",
            "owner_type": "private",
            "description": "реєстрація документів",
            "holds_personal_data": True,
            "export_formats": "PDF, XML",
            "has_api": False,
        }
    ]
    item = result.items[0]
    assert item["access_category"] == "official_use"
    assert item["approx_records"] == 1200
    assert item["is_dataset_candidate"] is True
    assert result.summary().startswith(
        "З таблиці взято інформаційних систем: 1, видів інформації: 1"
    )


@pytest.mark.sqlite_only
def test_bad_rows_are_named_by_row_and_column_and_good_rows_kept() -> None:
    bad_system = ["", "https://x.example.org"] + [""] * 7
    bad_url = ["Портал", "portal kalush"] + [""] * 7
    bad_item = ["Журнал", "", "", "цілком таємно", "", "може", "", "багато"] + [""] * 4
    secret = ["Мобплан", "", "", "таємна"] + [""] * 8
    content = _filled_template([SYSTEM_ROW, bad_system, bad_url], [bad_item, ITEM_ROW, secret])
    result = import_spreadsheet(content, filename="a.xlsx")
    assert len(result.systems) == 1
    assert len(result.items) == 1
    assert result.rejected_rows == 4
    messages = [str(e) for e in result.errors]
    assert "Аркуш «Системи», рядок 3, стовпець «Назва системи або сервісу»: обов’язкове поле" in (
        messages
    )
    assert any(
        m.startswith("Аркуш «Системи», рядок 4, стовпець «Публічне посилання»") for m in messages
    )
    assert any("рядок 2, стовпець «Категорія доступу»: невідома категорія" in m for m in messages)
    assert any("рядок 2, стовпець «Кандидат у набір відкритих даних»" in m for m in messages)
    assert any("рядок 2, стовпець «Приблизна кількість записів»" in m for m in messages)
    assert any("рядок 4, стовпець «Пояснення для таємної інформації»" in m for m in messages)
    assert "Не взято рядків з помилками: 4" in result.summary()


@pytest.mark.sqlite_only
def test_files_that_are_not_spreadsheets_or_too_large_are_refused() -> None:
    with pytest.raises(SpreadsheetRejected, match="завеликий"):
        import_spreadsheet(b"x" * (MAX_UPLOAD_BYTES + 1), filename="a.csv")
    with pytest.raises(SpreadsheetRejected, match="не є таблицею"):
        import_spreadsheet(b"%PDF-1.7 \x00\x01", filename="a.pdf")
    with pytest.raises(SpreadsheetRejected, match="XLSX"):
        import_spreadsheet(b"PK\x03\x04 broken zip", filename="a.xlsx")
    with pytest.raises(SpreadsheetRejected, match="XLS не підтримується"):
        import_spreadsheet(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, filename="a.xls")
    other = Workbook()
    buffer = io.BytesIO()
    other.save(buffer)
    with pytest.raises(SpreadsheetRejected, match="немає аркушів"):
        import_spreadsheet(buffer.getvalue(), filename="a.xlsx")
    with pytest.raises(SpreadsheetRejected, match="назви стовпців"):
        import_spreadsheet(b"a;b\n1;2\n", filename="a.csv")


@pytest.mark.sqlite_only
def test_csv_in_windows_1251_with_semicolons() -> None:
    header = template_csv("items").decode("utf-8-sig").strip()
    assert header.split(";")[0] == ITEM_COLUMNS[0].header
    text = header + "\nРішення сесії;рішення ради;паперово;відкрита;;ні;щомісячно;25\n"
    result = import_spreadsheet(text.encode("cp1251"), filename="info.csv")
    assert result.errors == []
    assert result.items[0]["kept_in"] == "паперово"
    assert result.items[0]["approx_records"] == 25


def test_upload_through_the_form_keeps_typed_rows_and_reports_errors(
    client: TestClient, clock: FixedClock
) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    token = token_of(cycle["links"][0]["url"])
    template = client.get(f"/q/{token}/template.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).sheetnames[1] == SYSTEMS_SHEET
    assert client.get(f"/q/{token}/template-items.csv").status_code == 200

    page = client.get(f"/q/{token}")
    data = {
        **fields(page.text),
        "respondent-full_name": "Петренко Іван",
        "systems-0-name": "Введено вручну",
        "action": "import",
    }
    content = _filled_template([SYSTEM_ROW, ["", "https://x.example.org"]], [ITEM_ROW])
    uploaded = client.post(
        f"/q/{token}", data=data, files={"spreadsheet": ("inventory.xlsx", content)}
    )
    assert uploaded.status_code == 422  # some rows were not taken
    assert "З таблиці взято інформаційних систем: 1, видів інформації: 1" in uploaded.text
    assert "рядок 3, стовпець «Назва системи або сервісу»: обов’язкове поле" in uploaded.text
    values = fields(uploaded.text)
    assert values["systems-0-name"] == "Введено вручну"
    assert values["systems-1-name"] == "СЕД «АСКОД»"
    assert values["systems-1-owner_type"] == "private"
    assert values["items-0-access_category"] == "official_use"
    assert values["respondent-full_name"] == "Петренко Іван"

    too_big = client.post(
        f"/q/{token}",
        data=values | {"action": "import"},
        files={"spreadsheet": ("big.csv", b"x" * (MAX_UPLOAD_BYTES + 10))},
    )
    assert too_big.status_code == 422
    assert "Файл завеликий" in too_big.text
    assert fields(too_big.text)["systems-1-name"] == "СЕД «АСКОД»"
    not_sheet = client.post(
        f"/q/{token}",
        data=values | {"action": "import"},
        files={"spreadsheet": ("photo.jpg", b"\xff\xd8\xff\xe0 jpeg")},
    )
    assert not_sheet.status_code == 422
    assert "Файл не є таблицею" in not_sheet.text

    submitted = client.post(
        f"/q/{token}", data=values | {"action": "submit"}, follow_redirects=False
    )
    assert submitted.status_code == 303, submitted.text


def test_consolidated_inventory_exports(client: TestClient, clock: FixedClock) -> None:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 11))
    for link, name in zip(cycle["links"][:2], ["СЕД", "«сед»"], strict=True):
        body = {
            "respondent": {"full_name": "Петренко Іван"},
            "systems": [{"name": name, "owner_type": "communal", "has_api": True}],
            "items": [{"name": '=HYPERLINK("x")', "update_frequency": "щомісячно"}],
        }
        assert (
            client.post(f"/api/questionnaire/{token_of(link['url'])}", json=body).status_code == 201
        )
    headers = login(client, org["coordinator_email"])
    workbook = client.get(f"/api/cycles/{cycle['id']}/inventory.xlsx", headers=headers)
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    systems = list(book[SYSTEMS_SHEET].iter_rows(values_only=True))
    assert systems[1][:3] == (1, "СЕД", f"{UNITS[0]}; {UNITS[1]}")
    assert systems[1][6] == "комунальна"
    assert systems[1][10] == "так"
    items = list(book[ITEMS_SHEET].iter_rows(values_only=True))
    assert items[0][1] == "Назва (title)"
    assert items[1][1] == '\'=HYPERLINK("x")'  # never a formula
    assert items[1][6] == "щомісячно"
    table = client.get(f"/api/cycles/{cycle['id']}/inventory/items.csv", headers=headers)
    assert table.status_code == 200
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["№", "Назва (title)", "Тип (type)"]
    assert rows[1][9] == f"{UNITS[0]}; {UNITS[1]}"
    assert client.get(f"/api/cycles/{cycle['id']}/inventory/items.csv").status_code == 401
