"""The consultation questions' editor form (q<N>_<field> fields), shared by the launch form and
the survey page: the rows it shows, reading them back, and validating them as questions."""

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from models.plan import QuestionPlan
from models.survey import Question, QuestionKind
from models.validation import ukrainian_errors

KIND_LABELS = {
    QuestionKind.SINGLE.value: "один варіант відповіді",
    QuestionKind.MULTIPLE.value: "кілька варіантів відповіді",
    QuestionKind.TEXT.value: "відповідь у вільній формі",
}
FIELDS = ("text", "kind", "options", "position", "required", "other", "remove", "units")
MAX_ROWS = 101


def _with_blank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows and one blank row for a new question."""
    blank = {"text": "", "kind": "single", "options": "", "position": str(len(rows) + 1)}
    return [*rows, {**blank, "required": False, "other": False, "remove": False}]


def question_rows(questions: list[Question]) -> list[dict[str, Any]]:
    """Stored questions as the editor shows them, and one blank row for a new one."""
    return _with_blank(
        [
            {
                "text": q.text,
                "kind": q.kind.value,
                "options": "\n".join(o.label for o in q.options if not o.is_other),
                "position": str(q.position),
                "required": q.required,
                "other": any(o.is_other for o in q.options),
                "remove": False,
            }
            for q in questions
        ]
    )


def plan_rows(plans: list[QuestionPlan], unit_names: list[str]) -> list[dict[str, Any]]:
    """Planned questions as the launch form shows them, and a blank row. A question whose
    options are the units (the priority-units question) follows the units chosen on the form."""
    return _with_blank(
        [
            {
                "units": len(unit_names) >= 2 and set(unit_names) <= set(p.options),
                "text": p.text,
                "kind": p.kind.value,
                "options": "\n".join(p.options),
                "position": str(position),
                "required": p.required,
                "other": p.allow_other,
                "remove": False,
            }
            for position, p in enumerate(plans, start=1)
        ]
    )


def has_rows(form: FormData) -> bool:
    """Whether the form carries the question editor at all."""
    return any(key.startswith("q") and key.endswith("_text") for key in form)


def rows_from_form(form: FormData) -> list[dict[str, Any]]:
    """The editor's rows as submitted (q<N>_<field>), in the order of their numbers."""
    numbers = sorted(
        {int(key[1:].split("_", 1)[0]) for key in form if key[1:].split("_", 1)[0].isdigit()}
    )
    rows = []
    for n in numbers[:MAX_ROWS]:
        values = {name: str(form.get(f"q{n}_{name}") or "") for name in FIELDS}
        rows.append(
            {
                **values,
                "required": bool(values["required"]),
                "other": bool(values["other"]),
                "remove": bool(values["remove"]),
                "units": bool(values["units"]),
            }
        )
    return rows


def follow_units(rows: list[dict[str, Any]], *, chosen: list[str], known: list[str]) -> None:
    """In rows marked to follow the units, the options become the chosen units, followed by
    whatever else was typed there (names of units not chosen are dropped)."""
    names = set(known) | set(chosen)
    for row in rows:
        if row.get("units"):
            extra = [o.strip() for o in row["options"].splitlines() if o.strip() not in names]
            options = [*chosen, *(o for o in extra if o)]
            # As in the default set: with fewer than two units, "Інші" keeps it a choice.
            row["options"] = "\n".join(options if len(options) >= 2 else [*options, "Інші"])


def plans_from_rows(rows: list[dict[str, Any]]) -> tuple[list[QuestionPlan], list[str]]:
    """Validated questions in their new order, or the Ukrainian errors naming each question."""
    kept = [
        (i, row)
        for i, row in enumerate(rows)
        if not row["remove"] and (row["text"].strip() or row["options"].strip())
    ]

    def order(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        position = item[1]["position"].strip()
        return (int(position) if position.isdigit() else 10_000, item[0])

    plans, errors = [], []
    for number, (_i, row) in enumerate(sorted(kept, key=order), start=1):
        try:
            plans.append(
                QuestionPlan.model_validate(
                    {
                        "text": row["text"],
                        "kind": row["kind"],
                        "required": row["required"],
                        "options": [o.strip() for o in row["options"].splitlines() if o.strip()],
                        "allow_other": row["other"],
                    }
                )
            )
        except ValidationError as exc:
            label = row["text"].strip()[:60] or "без тексту"
            errors += [
                f"Питання {number} («{label}»): {e['message']}"
                for e in ukrainian_errors(exc.errors())
            ]
    if not plans and not errors:
        errors.append("Опитування має містити хоча б одне питання.")
    return plans, errors
