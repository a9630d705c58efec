"""Spreadsheets: the questionnaire's template and its import (XLSX or CSV).

The template has one sheet per kind of row ("Системи", "Інформація") plus an explanation; a
CSV holds one kind, recognised by its header. Every bad row is reported with its row number
and column in Ukrainian, and the good rows are still taken.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from pydantic import ValidationError

from models.questionnaire import (
    ACCESS_CATEGORY_LABELS,
    OWNER_TYPE_LABELS,
    AccessCategory,
    OwnerType,
)
from models.schemas import InformationItemCreate, InformationSystemCreate
from models.services.consolidation import normalize_name
from models.services.questionnaires import url_problem
from models.tabular import (
    TableError,
    csv_bytes,
    open_xlsx,
    read_csv,
    style_header_row,
    table_format,
)
from models.validation import error_message

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
SYSTEMS_SHEET = "Системи"
ITEMS_SHEET = "Інформація"
HELP_SHEET = "Пояснення"


@dataclass(frozen=True)
class Column:
    """One column of the template: the field, its Ukrainian header and a hint."""

    field: str
    header: str
    hint: str
    kind: str = "text"  # text / bool / owner / access / int / date
    required: bool = False


SYSTEM_COLUMNS = (
    Column("name", "Назва системи або сервісу", "обов’язково", required=True),
    Column("url", "Публічне посилання", "повна адреса https://…; порожньо, якщо немає"),
    Column("basis", "На основі якої інформації створено", ""),
    Column("administrator", "Адміністратор", "хто адмініструє систему"),
    Column("owner_type", "Власність", "комунальна / державна / приватна", kind="owner"),
    Column("description", "Опис: яку інформацію містить або що робить", ""),
    Column("holds_personal_data", "Містить персональні дані", "так / ні", kind="bool"),
    Column("export_formats", "Формати експорту", "напр. CSV, XLSX, JSON"),
    Column("has_api", "Має API", "так / ні", kind="bool"),
)

ITEM_COLUMNS = (
    Column("name", "Назва виду інформації", "обов’язково", required=True),
    Column("description", "Короткий опис", ""),
    Column("kept_in", "Де зберігається", "назва системи або «паперово»"),
    Column(
        "access_category",
        "Категорія доступу",
        "відкрита / ДСК / таємна / персональні дані",
        kind="access",
    ),
    Column("secret_explanation", "Пояснення для таємної інформації", "обов’язково для таємної"),
    Column("is_dataset_candidate", "Кандидат у набір відкритих даних", "так / ні", kind="bool"),
    Column("update_frequency", "Частота оновлення", "напр. щомісячно"),
    Column("approx_records", "Приблизна кількість записів", "ціле число", kind="int"),
    Column("legal_basis", "Мета або правова підстава", ""),
    Column("format", "Формат", "напр. XLSX, PDF, паперовий журнал"),
    Column("restricted_fields", "Поля з обмеженим доступом", ""),
    Column("url", "Посилання", "повна адреса https://…"),
    # The rest of the Ministry's "results of the information audit" structure (infoAudit).
    Column(
        "data_type",
        "Тип даних",
        "база даних, реєстр документів, набір файлів…; паперовий чи електронний",
    ),
    Column("data_creator", "Підрозділ, який створює дані", "якщо не ваш підрозділ"),
    Column(
        "data_transfer", "Кому передається інформація", "підрозділ або орган; порожньо, якщо нікому"
    ),
    Column("date_created", "Дата створення набору", "рррр-мм-дд, напр. 2016-01-01", kind="date"),
    Column("source", "Джерело інформації", "напр. звернення громадян, дані кадастру"),
    Column("usage_frequency", "Частота використання", "напр. щодня"),
    Column("public_interest", "Як часто запитує громадськість", "напр. раз на рік"),
    Column("government_interest", "Як часто запитують інші органи влади", "напр. раз на місяць"),
    Column("relation", "Зв’язки з іншими наборами або базами даних", "напр. ні"),
    Column("structure", "Перелік полів", "через кому, напр. ПІБ заявника, тема, дата"),
    Column("documentation", "Документація", "напр. інструкція користувача; посилання, якщо є"),
    Column("developer_name", "Розробник програмного забезпечення", "назва, напр. ТОВ «…»"),
    Column("developer_id", "Код ЄДРПОУ розробника", "8 цифр"),
    Column("dictionary", "Довідники (словники) набору", "які є, або «немає»"),
    Column("size", "Розмір набору даних", "напр. 3 ГБ"),
    Column("resource_url", "Аналітичні ресурси на основі даних", "посилання https://…, якщо є"),
)

_TRUE = {"так", "т", "yes", "y", "true", "1", "+", "є", "наявне", "має"}
_FALSE = {"ні", "н", "no", "n", "false", "0", "-", "немає", "нема", "відсутнє"}
_OWNER = {
    "комунальна": OwnerType.COMMUNAL,
    "комунальний": OwnerType.COMMUNAL,
    "державна": OwnerType.STATE,
    "державний": OwnerType.STATE,
    "приватна": OwnerType.PRIVATE,
    "приватного постачальника": OwnerType.PRIVATE,
    "приватний постачальник": OwnerType.PRIVATE,
    **{normalize_name(label): kind for kind, label in OWNER_TYPE_LABELS.items()},
    **{kind.value: kind for kind in OwnerType},
}
_ACCESS = {
    "відкрита": AccessCategory.PUBLIC,
    "публічна": AccessCategory.PUBLIC,
    "дск": AccessCategory.OFFICIAL_USE,
    "для службового користування": AccessCategory.OFFICIAL_USE,
    "службова": AccessCategory.OFFICIAL_USE,
    "таємна": AccessCategory.SECRET,
    "секретна": AccessCategory.SECRET,
    "персональні дані": AccessCategory.PERSONAL_DATA,
    "містить персональні дані": AccessCategory.PERSONAL_DATA,
    **{normalize_name(label): kind for kind, label in ACCESS_CATEGORY_LABELS.items()},
    **{kind.value: kind for kind in AccessCategory},
}


class SpreadsheetRejected(Exception):
    """The whole file was refused (not a spreadsheet, too large, no known header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """Why one row was not taken."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}, рядок {self.row}, стовпець «{self.column}»: {self.message}"


@dataclass
class ImportResult:
    """Rows taken (as Create-schema dicts) and rows refused, with the reasons."""

    systems: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What was and was not taken, in Ukrainian."""
        text = (
            f"З таблиці взято інформаційних систем: {len(self.systems)}, "
            f"видів інформації: {len(self.items)}."
        )
        if self.rejected_rows:
            text += f" Не взято рядків з помилками: {self.rejected_rows} (див. нижче)."
        if self.ignored_columns:
            text += " Пропущено невідомі стовпці: " + ", ".join(
                f"«{c}»" for c in self.ignored_columns
            )
            text += "."
        return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):  # a date cell of a workbook: ISO, as the schema wants
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _convert(column: Column, raw: str) -> tuple[Any, str | None]:
    """A cell's value for the schema, or an error message."""
    key = normalize_name(raw)
    if column.kind == "bool":
        if not key or key in _FALSE:
            return False, None
        if key in _TRUE:
            return True, None
        return None, f"«{raw}» — очікується «так» або «ні»"
    if column.kind == "owner":
        if not key:
            return None, None
        if key in _OWNER:
            return _OWNER[key].value, None
        return None, f"невідомий тип власності «{raw}»; можливі: комунальна, державна, приватна"
    if column.kind == "access":
        if not key:
            return AccessCategory.PUBLIC.value, None
        if key in _ACCESS:
            return _ACCESS[key].value, None
        return None, (
            f"невідома категорія доступу «{raw}»; можливі: відкрита, ДСК, таємна, персональні дані"
        )
    if column.kind == "int":
        if not raw:
            return None, None
        digits = raw.replace(" ", "").replace("\u00a0", "")
        if not digits.isdigit():
            return None, f"«{raw}» — має бути цілим невід’ємним числом"
        return int(digits), None
    if column.kind == "date":
        if not raw:
            return None, None
        day, month, year = (raw.split(".") + ["", ""])[:3]
        if year.isdigit() and len(year) == 4:  # 01.01.2016, as Ukrainian spreadsheets write it
            raw = f"{year}-{month.zfill(2)}-{day.zfill(2)}"
        return raw, None
    if column.field in ("url", "secret_explanation", "resource_url"):
        return (raw or None), None
    return raw, None


def _header_map(header: Sequence[str], columns: Sequence[Column]) -> dict[int, Column]:
    known = {normalize_name(c.header): c for c in columns} | {c.field: c for c in columns}
    return {i: known[normalize_name(h)] for i, h in enumerate(header) if normalize_name(h) in known}


def _parse_rows(
    sheet: str,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[Column],
    result: ImportResult,
) -> list[dict[str, Any]]:
    iterator = iter(rows)
    header = [_text(v) for v in next(iterator, ())]
    mapping = _header_map(header, columns)
    if not any(c.required for c in mapping.values()):
        raise SpreadsheetRejected(
            f"{sheet}: у першому рядку немає стовпця «{columns[0].header}». "
            "Скористайтеся шаблоном з форми анкети."
        )
    result.ignored_columns += [h for i, h in enumerate(header) if h and i not in mapping]
    model: Any = InformationSystemCreate if columns is SYSTEM_COLUMNS else InformationItemCreate
    taken: list[dict[str, Any]] = []
    for number, cells in enumerate(iterator, start=2):
        values = [_text(v) for v in cells]
        if not any(values):
            continue
        if len(taken) >= MAX_ROWS:
            raise SpreadsheetRejected(f"{sheet}: забагато рядків (не більше {MAX_ROWS}).")
        data: dict[str, Any] = {}
        errors: list[RowError] = []
        for index, column in mapping.items():
            raw = values[index] if index < len(values) else ""
            value, problem = _convert(column, raw)
            if problem:
                errors.append(RowError(sheet, number, column.header, problem))
            elif value is not None:
                data[column.field] = value
        if not errors:
            errors = _validate(sheet, number, model, data, columns)
        if errors:
            result.errors += errors
            result.rejected_rows += 1
        else:
            taken.append(data)
    return taken


def _validate(
    sheet: str, number: int, model: Any, data: dict[str, Any], columns: Sequence[Column]
) -> list[RowError]:
    headers = {c.field: c.header for c in columns}
    try:
        model.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "name"
            found.append(RowError(sheet, number, headers.get(name, name), error_message(error)))
        return found
    found = []
    if problem := url_problem(data.get("url")):
        found.append(RowError(sheet, number, headers["url"], problem))
    if data.get("access_category") == AccessCategory.SECRET and not data.get("secret_explanation"):
        found.append(
            RowError(
                sheet,
                number,
                headers["secret_explanation"],
                "для таємної інформації потрібне пояснення",
            )
        )
    return found


def import_spreadsheet(content: bytes, *, filename: str = "") -> ImportResult:
    """Read the questionnaire's rows from an XLSX or CSV in the template's layout."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise SpreadsheetRejected(
            f"Файл завеликий: {len(content) // 1024} КБ; не більше {MAX_UPLOAD_BYTES // 1024} КБ."
        )
    if not content:
        raise SpreadsheetRejected("Файл порожній.")
    result = ImportResult()
    try:
        kind = table_format(content, filename)
        workbook = open_xlsx(content) if kind == "xlsx" else None
    except TableError as exc:
        raise SpreadsheetRejected(str(exc)) from None
    if workbook is not None:
        try:
            sheets = {normalize_name(name): name for name in workbook.sheetnames}
            found = False
            for sheet_name, columns, target in (
                (SYSTEMS_SHEET, SYSTEM_COLUMNS, result.systems),
                (ITEMS_SHEET, ITEM_COLUMNS, result.items),
            ):
                actual = sheets.get(normalize_name(sheet_name))
                if actual is None:
                    continue
                found = True
                rows = workbook[actual].iter_rows(values_only=True, max_row=MAX_ROWS + 50)
                target += _parse_rows(f"Аркуш «{sheet_name}»", rows, columns, result)
            if not found:
                raise SpreadsheetRejected(
                    f"У файлі немає аркушів «{SYSTEMS_SHEET}» чи «{ITEMS_SHEET}». "
                    "Скористайтеся шаблоном з форми анкети."
                )
        except (ValueError, KeyError, SyntaxError):
            # defusedxml's refusals are ValueErrors; broken XML is a SyntaxError (ParseError)
            raise SpreadsheetRejected("Файл не вдалося прочитати як таблицю XLSX.") from None
        finally:
            workbook.close()
        return result
    try:
        rows = read_csv(content)
    except TableError as exc:
        raise SpreadsheetRejected(str(exc)) from None
    if not rows:
        raise SpreadsheetRejected("Файл порожній.")
    header = {normalize_name(_text(h)) for h in rows[0]}
    if normalize_name(ITEM_COLUMNS[0].header) in header:
        result.items += _parse_rows("CSV", rows, ITEM_COLUMNS, result)
    elif normalize_name(SYSTEM_COLUMNS[0].header) in header:
        result.systems += _parse_rows("CSV", rows, SYSTEM_COLUMNS, result)
    else:
        raise SpreadsheetRejected(
            "Файл не є таблицею за шаблоном: у першому рядку мають бути назви стовпців "
            "із шаблону анкети."
        )
    return result


_SYSTEM_EXAMPLE = (
    "Система електронного документообігу",
    "",
    "вхідна і вихідна кореспонденція",
    "Загальний відділ",
    "приватна",
    "реєстрація та рух документів",
    "так",
    "PDF",
    "ні",
)
_ITEM_EXAMPLE = (
    "Розпорядження міського голови",
    "тексти розпоряджень з основної діяльності",
    "Система електронного документообігу",
    "відкрита",
    "",
    "так",
    "щотижня",
    "600",
    "Закон України «Про доступ до публічної інформації»",
    "DOCX, PDF",
    "",
    "",
    "реєстр документів у системі документообігу, електронний",
    "",
    "Відділ зв’язків із громадськістю",
    "2016-01-01",
    "проєкти розпоряджень підрозділів",
    "щодня",
    "кілька разів на рік",
    "раз на місяць",
    "ні",
    "номер, дата, назва, текст",
    "інструкція користувача",
    "ТОВ «Діловод солюшенс»",
    "12345678",
    "номенклатура справ",
    "2 ГБ",
    "",
)


def template_xlsx() -> bytes:
    """The questionnaire template: an explanation with examples, then an empty sheet per kind."""
    workbook = Workbook()
    help_sheet = workbook.active
    assert help_sheet is not None
    help_sheet.title = HELP_SHEET
    help_sheet.append(["Шаблон анкети інформаційного аудиту"])
    help_sheet.append([])
    help_sheet.append(
        [
            f"Заповніть аркуші «{SYSTEMS_SHEET}» та «{ITEMS_SHEET}»: один рядок — одна система "
            "або один вид інформації, починаючи з другого рядка. Не змінюйте назви стовпців у "
            f"першому рядку. Розмір файлу — до {MAX_UPLOAD_BYTES // 1024 // 1024} МБ."
        ]
    )
    for title, columns, example in (
        (SYSTEMS_SHEET, SYSTEM_COLUMNS, _SYSTEM_EXAMPLE),
        (ITEMS_SHEET, ITEM_COLUMNS, _ITEM_EXAMPLE),
    ):
        help_sheet.append([])
        help_sheet.append([f"Аркуш «{title}»: стовпець", "Що вписати", "Приклад"])
        for column, value in zip(columns, example, strict=True):
            help_sheet.append([column.header, column.hint or "довільний текст", value])
    for letter, width in (("A", 45), ("B", 45), ("C", 45)):
        help_sheet.column_dimensions[letter].width = width
    for title, columns in ((SYSTEMS_SHEET, SYSTEM_COLUMNS), (ITEMS_SHEET, ITEM_COLUMNS)):
        sheet = workbook.create_sheet(title)
        sheet.append([c.header for c in columns])
        style_header_row(sheet, [30] * len(columns))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(kind: str) -> bytes:
    """A CSV template for one kind of row ("systems" or "items")."""
    columns = SYSTEM_COLUMNS if kind == "systems" else ITEM_COLUMNS
    return csv_bytes([[c.header for c in columns]])
