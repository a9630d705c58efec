"""Tables: reading uploads (CSV or XLSX) into rows of text, one way for every upload, and
writing CSV/XLSX that no spreadsheet runs as formulas."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook import Workbook

from models.errors import TooLarge


class TableError(ValueError):
    """The upload is not a readable table; the message is Ukrainian."""


def cell_text(value: Any) -> str:
    """A cell as text (empty for nothing)."""
    return "" if value is None else str(value).strip()


def table_format(content: bytes, filename: str = "") -> str:
    """'xlsx' or 'csv' by the content (not the name); refuses old XLS and other binaries."""
    if not content:
        raise TableError("Файл порожній.")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError("Старий формат XLS не підтримується: збережіть таблицю як XLSX або CSV.")
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if b"\x00" in content[:4096] or (filename and not filename.lower().endswith((".csv", ".txt"))):
        raise TableError("Файл не є таблицею: завантажте XLSX або CSV.")
    return "csv"


def read_csv(content: bytes) -> list[list[str]]:
    """CSV in UTF-8 (with or without BOM) or Windows-1251, separated by `,` `;` or tab."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1251")
        except UnicodeDecodeError:
            raise TableError("Файл CSV не в кодуванні UTF-8 чи Windows-1251.") from None
    # The header line decides: csv.Sniffer guesses wrong on short Cyrillic headers.
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    too_long = TableError(
        "Таблицю CSV не вдалося прочитати: клітинка довша за 131 072 символи або лапки не закрито."
    )
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows = [[unescape_formula(c) for c in row] for row in islice(reader, MAX_TABLE_ROWS + 1)]
    except csv.Error:
        raise too_long from None
    # Checked here too: the csv module's own limit is process-wide, and a library may lift it.
    if any(len(cell) > MAX_CELL for row in rows for cell in row):
        raise too_long
    return check_row_count(rows)


# What an uploaded workbook may unpack to: a real register or questionnaire is far smaller, and
# a "zip bomb" of a few hundred kilobytes would otherwise unpack to gigabytes in memory.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
MAX_PARTS = 500
MAX_TABLE_ROWS = 20_000
MAX_CELL = 131_072  # the csv module's default field limit


def check_xlsx_container(content: bytes) -> None:
    """Refuse a workbook before parsing it when its parts would unpack too far, or use an
    unusual compression (LZMA, bzip2: slow to unpack, never written by spreadsheet programs).

    zipfile never reads past a part's declared size (a part that lies fails its CRC check),
    so the declared sizes bound what parsing can unpack."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableError("Файл не вдалося прочитати як таблицю XLSX.") from None
    if len(parts) > MAX_PARTS:
        raise TableError(f"Таблиця XLSX має забагато частин (понад {MAX_PARTS}).")
    if any(p.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for p in parts):
        raise TableError("Таблицю XLSX стиснуто незвичним способом: збережіть її ще раз.")
    if sum(p.file_size for p in parts) > MAX_INFLATED_BYTES:
        raise TableError(
            f"Таблиця XLSX після розпакування завелика: понад {MAX_INFLATED_BYTES // 2**20} МБ."
        )


def open_xlsx(content: bytes) -> Workbook:
    """An XLSX workbook, read-only; a damaged or oversized file is a TableError. Its XML is
    parsed without entity expansion (openpyxl uses defusedxml when it is installed)."""
    check_xlsx_container(content)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TableError("Файл не вдалося прочитати як таблицю XLSX.") from None


def read_table(content: bytes, filename: str = "") -> list[list[str]]:
    """The rows of a CSV, or of an XLSX's first sheet, as text."""
    if table_format(content, filename) == "csv":
        return read_csv(content)
    workbook = open_xlsx(content)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True, max_row=MAX_TABLE_ROWS + 1)
        table = [[unescape_formula(cell_text(value)) for value in row] for row in rows]
    except (ValueError, KeyError, zipfile.BadZipFile, SyntaxError):
        # defusedxml's refusals are ValueErrors; broken XML is a SyntaxError (ParseError)
        raise TableError("Файл не вдалося прочитати як таблицю XLSX.") from None
    finally:
        workbook.close()
    return check_row_count(table)


def check_row_count(table: list[list[str]]) -> list[list[str]]:
    """A table within MAX_TABLE_ROWS rows (an import is all or nothing, so it is bounded)."""
    if len(table) > MAX_TABLE_ROWS:
        raise TableError(
            f"У таблиці забагато рядків: не більше {MAX_TABLE_ROWS:_}.".replace("_", " ")
        )
    return table


def check_import_rows(count: int) -> None:
    """An import of any origin (a file, a JSON list) within MAX_TABLE_ROWS rows: it is taken
    in one transaction, all or nothing, so it is bounded; over it, a 413 naming the limit."""
    if count > MAX_TABLE_ROWS:
        raise TooLarge(
            f"Забагато рядків для одного імпорту ({count:_}): не більше {MAX_TABLE_ROWS:_}. "
            "Розділіть дані на кілька частин.".replace("_", " ")
        )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is kept as text (CSV formula injection)."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


# A signed number or a phone (+380 …): a spreadsheet only computes it, never runs it.
_PLAIN_NUMBER = re.compile(r"[+-][\d\s().,-]*")


def open_data_safe(value: Any) -> Any:
    """As spreadsheet_safe, for the machine-readable files (the PDF's attachments, the
    publication package), except that a number or a `+380…` phone stays as it is: the
    official structures require it verbatim."""
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return value
    return spreadsheet_safe(value)


def data_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> bytes:
    """A machine-readable CSV: commas, UTF-8 (a BOM lets spreadsheet programs detect it),
    no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else open_data_safe(value) for value in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def unescape_formula(text: str) -> str:
    """What spreadsheet_safe wrote, read back: an export imports unchanged."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS and text[1:2]:
        return text[1:]
    return text


def style_header_row(sheet: Any, widths: Sequence[int]) -> None:
    """A bold, wrapped, frozen header row and these column widths."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "A2"


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as CSV for Excel: semicolons, UTF-8 with BOM, formulas kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in rows:
        writer.writerow(["" if v is None else spreadsheet_safe(v) for v in row])
    # A BOM so that Excel opens the Cyrillic text correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
