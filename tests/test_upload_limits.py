"""Uploads within bounds: sizes named in a 413, workbooks that would unpack too far, unusual
compression and XML entities refused before they cost memory or time."""

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.deps import MAX_BODY
from tests.factories import create_organization
from tests.test_register_io import HEADER

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


def _workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["1.", "Перелік рішень", "Загальний відділ", "", "щороку"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(
    data: bytes, *, method: int = zipfile.ZIP_DEFLATED, replace: dict[str, bytes] | None = None
) -> bytes:
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
    return out.getvalue()


@pytest.fixture
def org(client: TestClient) -> dict[str, Any]:
    return create_organization(client)


def _import(client: TestClient, org: dict[str, Any], data: bytes) -> Any:
    return client.post(
        f"/api/organizations/{org['id']}/register/import?format=xlsx",
        headers=org["coordinator"],
        content=data,
    )


SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda wb: _rezip(wb, replace={SHEET: b"<a>" + b" " * (40 * 2**20) + b"</a>"}), "32 МБ"),
        (lambda wb: _rezip(wb, method=zipfile.ZIP_LZMA), "незвичним способом"),
        (lambda wb: _rezip(wb, replace={SHEET: BILLION_LAUGHS}), "не вдалося прочитати"),
    ],
    ids=["inflates past the limit", "LZMA", "XML entities"],
)
def test_a_hostile_workbook_is_refused_plainly(
    client: TestClient, org: dict[str, Any], build: Any, message: str
) -> None:
    assert _import(client, org, _workbook()).status_code == 201  # the honest one is taken

    response = _import(client, org, build(_workbook()))

    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_a_body_over_the_limit_is_413_naming_it(client: TestClient, org: dict[str, Any]) -> None:
    response = _import(client, org, b"x" * (MAX_BODY + 1))

    assert response.status_code == 413
    assert response.json()["detail"] == "Запит завеликий: більше 5 МБ."
