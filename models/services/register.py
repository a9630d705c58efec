"""The dataset register: importing and exporting it in the shape of Annex 1 and the portal's."""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import openpyxl
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from models.errors import Invalid
from models.organization import Official
from models.periodicity import (
    UPDATE_FREQUENCY_LABELS,
    PeriodicityError,
    parse_periodicity,
    split_note,
    to_update_frequency,
)
from models.register import (
    SOURCE_LABELS,
    RegisterEntry,
    RegisterSource,
    register_entry_official,
)
from models.schemas import RegisterEntryCreate
from models.services.organizations import get_or_create_official, units_by_name
from models.tabular import TableError, read_table, spreadsheet_safe, table_format
from models.validation import error_message


def add_register_entries(
    session: Session, *, organization_id: int, rows: list[RegisterEntryCreate]
) -> list[RegisterEntry]:
    """Add register rows; a bad periodicity or unknown unit is a 422 naming the row."""
    numbers = [row.number for row in rows]
    taken = set(
        session.scalars(
            select(RegisterEntry.number).where(
                RegisterEntry.organization_id == organization_id, RegisterEntry.number.in_(numbers)
            )
        )
    )
    repeated = sorted(taken | {n for n, times in Counter(numbers).items() if times > 1})
    if repeated:
        raise Invalid(
            "Номери рядків реєстру вже використано: " + ", ".join(map(str, repeated)) + ".",
            field="number",
        )
    entries: list[tuple[RegisterEntry, list[Official]]] = []
    for row in rows:
        phrase, note = split_note(row.periodicity)
        try:
            periodicity = parse_periodicity(phrase)
            units = units_by_name(session, organization_id=organization_id, names=row.units)
        except PeriodicityError as exc:
            raise Invalid(f"Рядок {row.number}: {exc}", field="periodicity") from exc
        except Invalid as exc:
            raise Invalid(f"Рядок {row.number}: {exc.message}", field="units") from exc
        officials = [
            get_or_create_official(
                session,
                organization_id=organization_id,
                full_name=ref.full_name,
                position=ref.position,
                email=ref.email,
                unit_id=units[0].id,
            )
            for ref in row.officials
        ]
        entry = RegisterEntry(
            organization_id=organization_id,
            number=row.number,
            name=row.name,
            legal_basis=row.legal_basis,
            portal_url=row.portal_url,
            periodicity=periodicity,
            periodicity_note=note,
        )
        entry.units = units
        session.add(entry)
        entries.append((entry, officials))
    session.flush()
    for entry, officials in entries:
        set_officials(session, entry, officials)
    return [entry for entry, _ in entries]


def set_officials(session: Session, entry: RegisterEntry, officials: list[Official]) -> None:
    """Make these the entry's responsible officials, in this order (a repeat counts once)."""
    session.execute(
        delete(register_entry_official).where(register_entry_official.c.entry_id == entry.id)
    )
    unique = list({o.id: o for o in officials}.values())
    if unique:
        session.execute(
            insert(register_entry_official),
            [
                {"entry_id": entry.id, "official_id": o.id, "position": position}
                for position, o in enumerate(unique)
            ],
        )
    set_committed_value(entry, "officials", unique)


def list_register(
    session: Session, *, organization_id: int, include_retired: bool = False
) -> list[RegisterEntry]:
    """The register in its order, with units and officials loaded; retired entries (no longer
    in Annex 1 nor analysed) only when asked for."""
    query = select(RegisterEntry).where(RegisterEntry.organization_id == organization_id)
    if not include_retired:
        query = query.where(RegisterEntry.retired_at.is_(None))
    return list(
        session.scalars(
            query.options(
                selectinload(RegisterEntry.units), selectinload(RegisterEntry.officials)
            ).order_by(RegisterEntry.number)
        )
    )


def count_register(session: Session, *, organization_id: int) -> int:
    """How many rows the register has (retired ones not counted)."""
    return (
        session.scalar(
            select(func.count(RegisterEntry.id)).where(
                RegisterEntry.organization_id == organization_id,
                RegisterEntry.retired_at.is_(None),
            )
        )
        or 0
    )


# --- Import from CSV/XLSX in the shape of Annex 1 -----------------------------------------------

# Header keywords (casefolded substrings) of Annex 1's columns and the optional extras.
_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("number", ("№", "номер")),
    ("email", ("e-mail", "email", "електронн", "пошт")),
    ("periodicity", ("періодичн",)),
    ("official", ("посад", "відповідальн", "прізвище")),
    ("units", ("підрозділ", "розпорядник")),
    ("name", ("найменування", "назва")),
    ("legal_basis", ("підстава",)),
    ("portal_url", ("посилання", "url", "портал")),
    ("source", ("джерело",)),
)
_SOURCE_WORDS = {
    "all_holders": RegisterSource.ALL_HOLDERS,
    "для всіх": RegisterSource.ALL_HOLDERS,
    "local_government": RegisterSource.LOCAL_GOVERNMENT,
    "самоврядування": RegisterSource.LOCAL_GOVERNMENT,
    "local": RegisterSource.LOCAL,
    "місцев": RegisterSource.LOCAL,
}
_DASH = re.compile(r"\s+[–—-]\s+")
_DASHES = "–—-"


def _people(officials: str, emails: str) -> list[tuple[str, str | None]]:
    """The officials cell as its people, each «ПІБ – посада», with the e-mails in order.

    People are separated by «;» or new lines; a line that starts in lower case or with a
    dash, or follows one ending with a dash, continues the person above (a wrapped cell).
    """
    people: list[str] = []
    for part in officials.split(";"):
        lines: list[str] = []
        for line in (" ".join(x.split()) for x in part.splitlines()):
            if not line:
                continue
            continues = lines and (
                line[0] in _DASHES or line[0].islower() or lines[-1][-1] in _DASHES
            )
            if continues:
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        people.extend(lines)
    addresses = [e for e in re.split(r"[;,\s]+", emails) if e]
    return [
        (person, addresses[i] if i < len(addresses) else None) for i, person in enumerate(people)
    ]


@dataclass(frozen=True)
class ImportedRow:
    """A register row read from a file, with its source of obligation."""

    row: RegisterEntryCreate
    source: RegisterSource


def _known_columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        text = " ".join(title.casefold().split())
        for key, words in _COLUMNS:
            if key not in found and any(word in text for word in words):
                found[key] = index
                break
    return found


def _column_map(header: list[str]) -> dict[str, int]:
    found = _known_columns(header)
    missing = [k for k in ("number", "name", "units", "periodicity") if k not in found]
    if missing:
        labels = {
            "number": "№ з/п",
            "name": "найменування набору даних",
            "units": "структурний підрозділ",
            "periodicity": "періодичність",
        }
        raise Invalid(
            "У файлі немає стовпців: " + ", ".join(labels[k] for k in missing) + ".", field="file"
        )
    return found


def _source(text: str, line: int) -> RegisterSource:
    key = text.casefold().strip()
    if not key:
        return RegisterSource.LOCAL
    for word, source in _SOURCE_WORDS.items():
        if word in key:
            return source
    raise Invalid(f"Рядок {line}: невідоме джерело «{text.strip()}».", field="source")


def rows_to_entries(table: list[list[str]]) -> list[ImportedRow]:
    """Annex 1 rows (header first) into register rows; a bad row is a 422 naming it."""
    header_at = next((i for i, row in enumerate(table) if len(_known_columns(row)) >= 2), None)
    if header_at is None:
        raise Invalid("Файл порожній або не має рядка заголовків.", field="file")
    columns = _column_map(table[header_at])
    imported: list[ImportedRow] = []
    for offset, cells in enumerate(table[header_at + 1 :], start=header_at + 2):

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if not any(c.strip() for c in cells):
            continue
        number_text = cell("number").rstrip(".")
        line = f"{offset} (№ {number_text})" if number_text else str(offset)
        if not number_text.isdigit():
            raise Invalid(f"Рядок {line}: номер має бути цілим числом.", field="number")
        officials = [
            {
                "full_name": parts[0],
                "position": parts[1] if len(parts) > 1 else "",
                "email": email,
            }
            for person, email in _people(cell("official"), cell("email"))
            for parts in [_DASH.split(person, maxsplit=1)]
        ]
        try:
            row = RegisterEntryCreate(
                number=int(number_text),
                name=" ".join(cell("name").split()),
                units=[u.strip() for u in re.split(r"[;\n]", cell("units")) if u.strip()],
                officials=officials,  # type: ignore[arg-type]
                periodicity=" ".join(cell("periodicity").split()),
                legal_basis=cell("legal_basis"),
                portal_url=cell("portal_url") or None,
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise Invalid(
                f"Рядок {line}: поле «{where}»: {error_message(error)}.", field=where
            ) from exc
        imported.append(ImportedRow(row=row, source=_source(cell("source"), offset)))
    if not imported:
        raise Invalid("У файлі немає рядків реєстру.", field="file")
    return imported


def read_register_table(data: bytes, *, file_format: str) -> list[list[str]]:
    """The uploaded register as rows; a file that is not a table is a 422."""
    try:
        if table_format(data) != file_format:
            raise TableError(f"Файл не є таблицею {file_format.upper()}.")
        return read_table(data)
    except TableError as exc:
        raise Invalid(str(exc), field="file") from exc


def import_register(
    session: Session,
    *,
    organization_id: int,
    rows: list[ImportedRow],
    replace: bool = False,
) -> list[RegisterEntry]:
    """Add (or, with replace, replace the register by) the imported rows, all or nothing."""
    if replace:
        for entry in session.scalars(
            select(RegisterEntry).where(RegisterEntry.organization_id == organization_id)
        ):
            session.delete(entry)
        session.flush()
    entries = add_register_entries(
        session, organization_id=organization_id, rows=[r.row for r in rows]
    )
    for entry, imported in zip(entries, rows, strict=True):
        entry.source = imported.source
    session.flush()
    return entries


# --- Export -------------------------------------------------------------------------------------

ANNEX1_HEADER = (
    "№ з/п",
    "Найменування набору даних",
    "Структурний підрозділ – розпорядник відповідної інформації",
    "Прізвище, ім’я та по батькові, посада відповідальної посадової особи",
    "Періодичність оприлюднення",
    "Джерело",  # not in the report's Annex 1: kept so that an exported file re-imports whole
)
PORTAL_REGISTER_FIELDS = (
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
)
SOURCE_PURPOSES = {
    RegisterSource.ALL_HOLDERS: "Постанова КМУ № 835, перелік для всіх розпорядників",
    RegisterSource.LOCAL_GOVERNMENT: "Постанова КМУ № 835, розділ органів місцевого самоврядування",
    RegisterSource.LOCAL: "Рішення розпорядника інформації",
}


def official_label(official: Official) -> str:
    """An official as Annex 1 names them: «name – position»."""
    return " – ".join(p for p in (official.full_name, official.position) if p)


def _periodicity_text(entry: RegisterEntry) -> str:
    text = entry.periodicity.to_ukrainian()
    return f"{text}; {entry.periodicity_note}" if entry.periodicity_note else text


def annex1_rows(entries: list[RegisterEntry]) -> list[dict[str, Any]]:
    """The register in the shape of Annex 1 (JSON-friendly keys)."""
    return [
        {
            "number": entry.number,
            "name": entry.name,
            "units": [u.name for u in entry.units],
            "officials": [
                {"full_name": o.full_name, "position": o.position, "email": o.email}
                for o in entry.officials
            ],
            "periodicity": _periodicity_text(entry),
            "update_frequency": to_update_frequency(entry.periodicity).value,
            "source": entry.source.value,
            "legal_basis": entry.legal_basis,
            "portal_url": entry.portal_url,
        }
        for entry in entries
    ]


def annex1_table(entries: list[RegisterEntry]) -> list[list[Any]]:
    """Annex 1 as a table with its Ukrainian header (CSV/XLSX; re-importable)."""
    return [list(ANNEX1_HEADER)] + [
        [
            entry.number,
            entry.name,
            "; ".join(u.name for u in entry.units),
            "; ".join(official_label(o) for o in entry.officials),
            _periodicity_text(entry),
            SOURCE_LABELS[entry.source],
        ]
        for entry in entries
    ]


def portal_register_rows(
    entries: list[RegisterEntry],
    *,
    publisher_name: str,
    publisher_id: str,
    formats: dict[int, str] | None = None,
) -> list[dict[str, str]]:
    """The register in the structure of the portal's "register of datasets" dataset."""
    formats = formats or {}
    return [
        {
            "title": entry.name,
            "description": entry.name
            + (f". Підстава: {entry.legal_basis}" if entry.legal_basis else ""),
            "keywords": ", ".join(u.name for u in entry.units),
            "purpose": entry.legal_basis or SOURCE_PURPOSES[entry.source],
            "url": entry.portal_url or "",
            "accrualPeriodicity": UPDATE_FREQUENCY_LABELS[to_update_frequency(entry.periodicity)],
            "distributionFormat": formats.get(entry.number, ""),
            "publisherName": publisher_name,
            "publisherId": publisher_id,
            # The portal's structure has one contact point: the first official.
            "contactPointName": entry.officials[0].full_name if entry.officials else "",
            "contactPointEmail": (entry.officials[0].email or "") if entry.officials else "",
        }
        for entry in entries
    ]


def table_of(rows: list[dict[str, str]], fields: tuple[str, ...]) -> list[list[Any]]:
    """Dict rows as a table with their field names as the header."""
    return [list(fields)] + [[row[f] for f in fields] for row in rows]


def to_csv(table: list[list[Any]]) -> bytes:
    """A table as CSV in UTF-8 with a BOM (so spreadsheet programs read Cyrillic right)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [[spreadsheet_safe(value) for value in row] for row in table]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: list[list[Any]], *, sheet: str) -> bytes:
    """A table as an XLSX workbook with one sheet."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet[:31]
    for row in table:
        worksheet.append([spreadsheet_safe(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
