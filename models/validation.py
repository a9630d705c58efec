"""Pydantic's validation errors in Ukrainian, for the API, the pages and file imports."""

from collections.abc import Sequence
from typing import Any

_MESSAGES = {
    "missing": "обов’язкове поле",
    "extra_forbidden": "невідоме поле",
    "string_too_short": "значення закоротке (щонайменше {min_length} символів)",
    "string_too_long": "значення задовге (не більше {max_length} символів)",
    "string_pattern_mismatch": "невірний формат",
    "string_type": "має бути текстом",
    "string_unicode": "текст містить недопустимі символи (непарні сурогати UTF-16)",
    "int_parsing": "має бути цілим числом",
    "int_type": "має бути цілим числом",
    "int_from_float": "має бути цілим числом",
    "bool_parsing": "має бути true або false",
    "bool_type": "має бути true або false",
    "date_parsing": "має бути датою у форматі РРРР-ММ-ДД",
    "date_from_datetime_parsing": "має бути датою у форматі РРРР-ММ-ДД",
    "date_type": "має бути датою у форматі РРРР-ММ-ДД",
    "enum": "недопустиме значення; можливі: {expected}",
    "too_short": "замало елементів (щонайменше {min_length})",
    "too_long": "забагато елементів (не більше {max_length})",
    "greater_than_equal": "має бути не менше {ge}",
    "less_than_equal": "має бути не більше {le}",
    "greater_than": "має бути більше {gt}",
    "less_than": "має бути менше {lt}",
    "json_invalid": "тіло запиту не є коректним JSON",
    "model_type": "очікується об’єкт",
    "model_attributes_type": "очікується об’єкт",
    "dict_type": "очікується об’єкт",
    "list_type": "очікується список",
}


def error_message(error: Any) -> str:
    """One pydantic error as a Ukrainian message (without the field)."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if error.get("type") == "string_too_short" and ctx.get("min_length") == 1:
        return "обов’язкове поле"  # an empty required text field
    template = _MESSAGES.get(error.get("type", ""), "невірне значення")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def ukrainian_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic errors as [{field, message}] in Ukrainian."""
    result = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        result.append({"field": ".".join(location) or "body", "message": error_message(error)})
    return result
