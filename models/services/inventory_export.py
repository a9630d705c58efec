"""The consolidated inventory as CSV and XLSX (the console's and the API's downloads)."""

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from models.questionnaire import (
    ACCESS_CATEGORY_LABELS,
    OWNER_TYPE_LABELS,
    AccessCategory,
    OwnerType,
)
from models.services.consolidation import Group, normalize_name
from models.services.spreadsheets import ITEMS_SHEET, SYSTEMS_SHEET
from models.tabular import csv_bytes, spreadsheet_safe, style_header_row


def _yes(value: Any) -> str:
    return "так" if value else "ні"


SYSTEM_EXPORT_HEADER = (
    "№",
    "Назва",
    "Підрозділи",
    "Посилання",
    "На основі якої інформації створено",
    "Адміністратор",
    "Власність",
    "Опис",
    "Містить персональні дані",
    "Формати експорту",
    "Має API",
    "Записів в анкетах",
)
# The portal's "results of the information audit" structure first, then the audit's own columns.
ITEM_EXPORT_HEADER = (
    "№",
    "Назва (title)",
    "Тип (type)",
    "Опис (description)",
    "Мета / правова підстава (purpose)",
    "Формат (format)",
    "Частота оновлення (updating frequency)",
    "Поля з обмеженим доступом (restricted fields)",
    "Посилання (url)",
    "Підрозділи",
    "Категорія доступу",
    "Кандидат у набір відкритих даних",
    "Приблизна кількість записів",
    "Записів в анкетах",
)


def system_rows(groups: Sequence[Group]) -> list[list[Any]]:
    """Consolidated systems as export rows."""
    rows = []
    for number, group in enumerate(groups, start=1):
        owner = group.first("owner_type")
        rows.append(
            [
                number,
                group.name,
                "; ".join(group.units),
                group.first("url") or "",
                group.first("basis") or "",
                group.first("administrator") or "",
                OWNER_TYPE_LABELS[OwnerType(owner)] if owner else "",
                group.first("description") or "",
                _yes(group.first("holds_personal_data")),
                group.first("export_formats") or "",
                _yes(group.first("has_api")),
                len(group.rows),
            ]
        )
    return rows


def item_rows(groups: Sequence[Group]) -> list[list[Any]]:
    """Consolidated items as export rows, portal columns first."""
    rows = []
    for number, group in enumerate(groups, start=1):
        kept_in = group.first("kept_in") or ""
        paper = normalize_name(kept_in).startswith("папер")
        kind = "паперовий документ" if paper else "електронна інформація" if kept_in else ""
        access = group.first("access_category")
        rows.append(
            [
                number,
                group.name,
                kind,
                group.first("description") or "",
                group.first("legal_basis") or "",
                group.first("format") or "",
                group.first("update_frequency") or "",
                group.first("restricted_fields") or "",
                group.first("url") or "",
                "; ".join(group.units),
                ACCESS_CATEGORY_LABELS[AccessCategory(access)] if access else "",
                _yes(group.first("is_dataset_candidate")),
                group.first("approx_records") or "",
                len(group.rows),
            ]
        )
    return rows


def inventory_csv(kind: str, groups: Sequence[Group]) -> bytes:
    """The consolidated systems or items as CSV (semicolons, UTF-8 with BOM for Excel)."""
    if kind == "systems":
        return csv_bytes([SYSTEM_EXPORT_HEADER, *system_rows(groups)])
    return csv_bytes([ITEM_EXPORT_HEADER, *item_rows(groups)])


def inventory_xlsx(systems: Sequence[Group], items: Sequence[Group]) -> bytes:
    """The consolidated inventory as one workbook: systems and items."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = SYSTEMS_SHEET
    for sheet, header, rows in (
        (first, SYSTEM_EXPORT_HEADER, system_rows(systems)),
        (workbook.create_sheet(ITEMS_SHEET), ITEM_EXPORT_HEADER, item_rows(items)),
    ):
        sheet.append(list(header))
        for row in rows:
            sheet.append([spreadsheet_safe(v) for v in row])
        style_header_row(sheet, [6] + [28] * (len(header) - 1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
