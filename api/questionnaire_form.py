"""The staff questionnaire form's fields: parsing the posted form into rows, a stored
questionnaire back into rows, and validating them with errors named by form field."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from api.errors import ukrainian_errors
from models.questionnaire import AccessCategory
from models.schemas import QuestionnaireCreate
from models.services.consolidation import normalize_name
from models.services.questionnaires import check_questionnaire, url_problem
from models.services.spreadsheets import ITEM_COLUMNS, SYSTEM_COLUMNS

SYSTEM_FIELDS = [c.field for c in SYSTEM_COLUMNS]
ITEM_FIELDS = [c.field for c in ITEM_COLUMNS]
BOOL_FIELDS = {c.field for c in (*SYSTEM_COLUMNS, *ITEM_COLUMNS) if c.kind == "bool"}
LABELS = {
    "systems": {c.field: c.header for c in SYSTEM_COLUMNS},
    "items": {c.field: c.header for c in ITEM_COLUMNS},
    "respondent": {
        "full_name": "Прізвище, ім’я",
        "position": "Посада",
        "email": "E-mail",
        "phone": "Телефон",
    },
}
RESPONDENT_FIELDS = ("full_name", "position", "email", "phone")
MAX_ROWS = 300


@dataclass
class FormState:
    """What the person typed, as strings and booleans, row by row."""

    respondent: dict[str, str] = field(default_factory=dict)
    systems: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


def blank_row(row: Mapping[str, Any]) -> bool:
    """Whether a row holds nothing but its defaults (such rows are not saved)."""
    for name, value in row.items():
        if name == "access_category":
            if value not in ("", AccessCategory.PUBLIC.value):
                return False
        elif value:
            return False
    return True


def _rows(form: Mapping[str, Any], prefix: str, names: list[str]) -> list[dict[str, Any]]:
    indices = sorted(
        {
            int(key.split("-")[1])
            for key in form
            if key.startswith(f"{prefix}-") and key.split("-")[1].isdigit()
        }
    )[:MAX_ROWS]
    rows = []
    for index in indices:
        row: dict[str, Any] = {}
        for name in names:
            value = form.get(f"{prefix}-{index}-{name}")
            row[name] = bool(value) if name in BOOL_FIELDS else str(value or "").strip()
        rows.append(row)
    return rows


def state_from_form(form: Mapping[str, Any]) -> FormState:
    """The form's fields as rows (field names like systems-0-url)."""
    return FormState(
        respondent={
            name: str(form.get(f"respondent-{name}") or "").strip() for name in RESPONDENT_FIELDS
        },
        systems=_rows(form, "systems", SYSTEM_FIELDS),
        items=_rows(form, "items", ITEM_FIELDS),
    )


def state_from_data(data: Mapping[str, Any]) -> FormState:
    """A stored questionnaire (QuestionnaireCreate shape) as form rows."""

    def row(values: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
        return {
            n: bool(values.get(n))
            if n in BOOL_FIELDS
            else ("" if values.get(n) is None else str(values.get(n)))
            for n in names
        }

    respondent = data.get("respondent") or {}
    return FormState(
        respondent={k: str(respondent.get(k) or "") for k in RESPONDENT_FIELDS},
        systems=[row(s, SYSTEM_FIELDS) for s in data.get("systems", [])],
        items=[row(i, ITEM_FIELDS) for i in data.get("items", [])],
    )


def _document(state: FormState) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The QuestionnaireCreate input and, per list, which form row each entry came from."""
    origin: dict[str, list[int]] = {"systems": [], "items": []}
    systems = []
    for index, row in enumerate(state.systems):
        if blank_row(row):
            continue
        origin["systems"].append(index)
        systems.append(
            {
                **row,
                "url": row["url"] or None,
                "owner_type": row["owner_type"] or None,
            }
        )
    items = []
    for index, row in enumerate(state.items):
        if blank_row(row):
            continue
        origin["items"].append(index)
        items.append(
            {
                **row,
                "access_category": row["access_category"] or AccessCategory.PUBLIC.value,
                "secret_explanation": row["secret_explanation"] or None,
                "approx_records": row["approx_records"].replace(" ", "") or None,
                "url": row["url"] or None,
                "date_created": row["date_created"] or None,
                "resource_url": row["resource_url"] or None,
            }
        )
    respondent = {**state.respondent, "email": state.respondent.get("email") or None}
    return {"respondent": respondent, "systems": systems, "items": items}, origin


def _form_name(location: str, origin: dict[str, list[int]]) -> str:
    """A schema location (systems.0.url) as the form field's name (systems-3-url)."""
    parts = location.split(".")
    if parts[0] in ("systems", "items") and len(parts) >= 3 and parts[1].isdigit():
        return f"{parts[0]}-{origin[parts[0]][int(parts[1])]}-{parts[2]}"
    if parts[0] == "respondent" and len(parts) >= 2:
        return f"respondent-{parts[1]}"
    return parts[0]


def _message(error: dict[str, str], raw: Any) -> str:
    location = error["field"]
    if location.endswith("access_category"):
        return "невідома категорія доступу: оберіть одну зі списку"
    if location.endswith("owner_type"):
        return "невідомий тип власності: оберіть один зі списку"
    if location.endswith("phone"):
        return "номер телефону у форматі +380XXXXXXXXX (12 цифр), кілька — через кому"
    if location.endswith("date_created"):
        return "дата у форматі рррр-мм-дд, напр. 2016-01-01"
    if location.endswith("email"):
        return "невірна адреса e-mail, напр. name@example.gov.ua"
    if location.endswith(".name") or location.endswith("full_name"):
        if raw.get("type") in ("string_too_short", "missing"):
            return "обов’язкове поле"
    return error["message"]


def validate_state(state: FormState, *, final: bool) -> tuple[QuestionnaireCreate | None, dict]:
    """The questionnaire, or the errors by form field name (Ukrainian)."""
    document, origin = _document(state)
    try:
        data = QuestionnaireCreate.model_validate(document)
    except ValidationError as exc:
        raw_errors = exc.errors()
        errors: dict[str, str] = {}
        for error, raw in zip(ukrainian_errors(raw_errors), raw_errors, strict=True):
            errors.setdefault(_form_name(error["field"], origin), _message(error, raw))
        # The checks beyond the schema too, so that every problem is shown at once.
        for kind in ("systems", "items"):
            for index in origin[kind]:
                row = getattr(state, kind)[index]
                if message := url_problem(row["url"]):
                    errors.setdefault(f"{kind}-{index}-url", message)
        return None, errors
    problems = check_questionnaire(data, final=final)
    if problems:
        return None, {_form_name(f, origin): m for f, m in problems}
    return data, {}


def field_label(name: str) -> str:
    """A form field's name (systems-0-url) as the person reads it in the list of errors."""
    parts = name.split("-")
    if parts[0] in ("systems", "items") and len(parts) == 3:
        what = "Система" if parts[0] == "systems" else "Вид інформації"
        return f"{what} {int(parts[1]) + 1}: {LABELS[parts[0]].get(parts[2], parts[2])}"
    if parts[0] == "respondent" and len(parts) == 2:
        return LABELS["respondent"].get(parts[1], parts[1])
    return "Анкета"


def empty_row(kind: str) -> dict[str, Any]:
    """A new, empty row of systems or items."""
    names = SYSTEM_FIELDS if kind == "systems" else ITEM_FIELDS
    return {n: (False if n in BOOL_FIELDS else "") for n in names}


def typed_form(state: FormState) -> dict[str, Any]:
    """The form as typed, to keep with a draft that does not validate yet."""
    return asdict(state)


def state_from_typed(typed: Mapping[str, Any]) -> FormState:
    """A kept form as rows of today's fields (a field added since is empty, one gone dropped)."""

    def row(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
        names = SYSTEM_FIELDS if kind == "systems" else ITEM_FIELDS
        return {
            n: bool(values.get(n)) if n in BOOL_FIELDS else str(values.get(n) or "") for n in names
        }

    respondent = typed.get("respondent") or {}
    return FormState(
        respondent={k: str(respondent.get(k) or "") for k in ("full_name", "position", "email")},
        systems=[row(r, "systems") for r in typed.get("systems", [])][:MAX_ROWS],
        items=[row(r, "items") for r in typed.get("items", [])][:MAX_ROWS],
    )


def merge_rows(rows: list[dict[str, Any]], imported: list[dict[str, Any]]) -> tuple[int, int]:
    """Take a spreadsheet's rows into the form's: a row whose name the form already has replaces
    that row (a corrected file uploaded again never duplicates), the others are added.
    How many rows were replaced and added."""
    rows[:] = [r for r in rows if not blank_row(r)]
    by_name = {normalize_name(r["name"]): i for i, r in reversed(list(enumerate(rows)))}
    replaced = added = 0
    for new in imported:
        index = by_name.get(normalize_name(new["name"]))
        if index is None:
            by_name[normalize_name(new["name"])] = len(rows)
            rows.append(new)
            added += 1
        else:
            rows[index] = new
            replaced += 1
    return replaced, added
