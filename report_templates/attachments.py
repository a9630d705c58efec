"""The annexes' data as CSV and JSON files embedded in the PDF/A-3 report (its own open data)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.tabular import data_csv
from report_templates.environment import plural_ua


@dataclass(frozen=True)
class ReportAttachment:
    """A file embedded in the report."""

    name: str
    data: bytes
    description: str
    media_type: str


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json(value: Any) -> bytes:
    """UTF-8 JSON, Cyrillic kept readable."""
    return json.dumps(value, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 CSV with a header row and a BOM, no cell a spreadsheet would run."""
    return data_csv(header, rows, bom=True)


def _units(value: Any) -> str:
    return "; ".join(str(u) for u in value or [])


ANNEX1_HEADER = [
    "number",
    "name",
    "units",
    "official",
    "periodicity",
    "publication_state",  # the sentence the PDF shows; its parts follow in their own columns
    "state",
    "last_updated",
    "due_on",
    "overdue_days",
    "formats",
    "machine_readable",
    "accrual_periodicity",
    "legal_basis",
    "portal_url",
    "emails",
]
RATING_HEADER = [
    "rank",
    "name",
    "required",
    "published",
    "private",
    "overdue",
    "not_machine_readable",
    "meeting_all",
    "percent_published",
    "share_meeting_all",
    "score",
]


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _yes_no(value: Any) -> str:
    return "" if value is None else "так" if value else "ні"


def annex1_row(row: Mapping[str, Any]) -> list[Any]:
    """An Annex 1 entry with its state in separate columns (dates ISO 8601)."""
    state = row.get("state") or {}
    return [
        row["number"],
        row["name"],
        _units(row["units"]),
        row["official"],
        row["periodicity"],
        state.get("label", ""),
        state.get("state_label", ""),
        _day(state.get("last_updated")),
        _day(state.get("due_on")),
        state.get("overdue_days") or "",
        ", ".join(str(f).upper() for f in state.get("formats") or []),
        _yes_no(state.get("machine_readable")),
        row.get("accrual_periodicity", ""),
        row.get("legal_basis", ""),
        row.get("portal_url", ""),
        ", ".join(row.get("emails") or []),
    ]


def rating_rows(context: Mapping[str, Any]) -> list[list[Any]]:
    """The units' publication rating the report shows, then the totals (no rank)."""
    publication = context.get("publication") or {}
    rows = [
        [u.get("rank", "")] + [u.get(k, "") for k in RATING_HEADER[1:]]
        for u in publication.get("units", [])
    ]
    totals = publication.get("totals")
    if totals:
        rows.append([""] + [totals.get(k, "") for k in RATING_HEADER[1:]])
    return rows


def official_use_note(count: int) -> str:
    """The row that stands for the ДСК items: «інформація з обмеженим доступом (ДСК): 3 позиції»."""
    word = plural_ua(count, "позиція", "позиції", "позицій")
    return f"інформація з обмеженим доступом (ДСК): {count} {word}"


def annex_tables(context: Mapping[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Annexes 1, 2 and 4 as header and rows (the same rows the PDF shows), and the rating."""
    annex1 = [annex1_row(row) for row in context.get("annex1", [])]
    annex2 = [
        [
            index,
            s["name"],
            s.get("url") or "",
            s.get("basis") or "",
            s.get("description") or "",
            _units(s.get("units")),
        ]
        for index, s in enumerate(context.get("annex2", []), start=1)
    ]
    annex4 = [
        [index, i["name"], i.get("description") or "", _units(i.get("units"))]
        for index, i in enumerate(context.get("annex4", []), start=1)
    ]
    official_use = context.get("annex4_official_use") or 0
    if official_use:  # ДСК items: a count, as the PDF says, never their names or units
        annex4.append(["", official_use_note(official_use), "", ""])
    return {
        "annex1": (ANNEX1_HEADER, annex1),
        "annex1-rating": (RATING_HEADER, rating_rows(context)),
        "annex2": (["number", "name", "url", "basis", "description", "units"], annex2),
        "annex4": (["number", "name", "description", "units"], annex4),
    }


def annex3_results(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Annex 3: each question with its denominator and options (no individual answers' authors)."""
    return [
        {
            "number": q["number"],
            "text": q["text"],
            "kind": q["kind"],
            "answered": q["answered"],
            "participants": q["participants"],
            "options": [
                {"label": o["label"], "count": o["count"], "percent": o["percent"]}
                for o in q.get("options", [])
            ],
            "texts": list(q.get("texts", [])),
        }
        for q in context.get("annex3", [])
    ]


ANNEX_TITLES = {
    "annex1": "Додаток 1. Перелік наборів даних, які підлягають оприлюдненню",
    "annex1-rating": "Рейтинг підрозділів за оприлюдненням наборів даних",
    "annex2": "Додаток 2. Перелік інформаційних сервісів",
    "annex3": "Додаток 3. Питання консультацій з громадськістю та результати опитування",
    "annex4": "Додаток 4. Перелік публічної інформації за результатами анкетування",
}


def annex_attachments(context: Mapping[str, Any]) -> list[ReportAttachment]:
    """CSV and JSON of every annex, named annexN.csv / annexN.json."""
    files: list[ReportAttachment] = []
    for key, (header, rows) in annex_tables(context).items():
        title = ANNEX_TITLES[key]
        files.append(ReportAttachment(f"{key}.csv", to_csv(header, rows), title, "text/csv"))
        records = [dict(zip(header, row, strict=True)) for row in rows]
        files.append(ReportAttachment(f"{key}.json", to_json(records), title, "application/json"))
    results = annex3_results(context)
    files.append(
        ReportAttachment(
            "annex3.json", to_json(results), ANNEX_TITLES["annex3"], "application/json"
        )
    )
    option_rows = [
        [
            q["number"],
            q["text"],
            q["answered"],
            q["participants"],
            o["label"],
            o["count"],
            o["percent"],
        ]
        for q in results
        for o in q["options"]
    ]
    files.append(
        ReportAttachment(
            "annex3.csv",
            to_csv(
                ["question", "text", "answered", "participants", "option", "count", "percent"],
                option_rows,
            ),
            ANNEX_TITLES["annex3"],
            "text/csv",
        )
    )
    return files
