"""The residents' survey for the working group: results per question with their denominators and
charts, a cross-tabulation by a demographic question, moderation of free texts (hidden, never
deleted), the anonymised CSV export, and the question editor until the first answer.
"""

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import DB, BrowserForm, Now
from api.routes.console.common import FormText, page, see_other
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import Account
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.plan import QuestionPlan
from models.services.surveys.moderation import list_texts, set_text_hidden
from models.services.surveys.questions import (
    count_responses,
    editing_refusal,
    list_questions,
    replace_questions,
)
from models.services.surveys.results import CrossTab, crosstab, survey_results
from models.survey import Question, QuestionKind
from models.validation import ukrainian_errors
from report_templates.charts import bar_chart_svg, percent_text

router = console_router()

KIND_LABELS = {
    QuestionKind.SINGLE.value: "один варіант відповіді",
    QuestionKind.MULTIPLE.value: "кілька варіантів відповіді",
    QuestionKind.TEXT.value: "відповідь у вільній формі",
}
FIELDS = ("text", "kind", "options", "position", "required", "other", "remove")


def _editor_rows(questions: list[Question]) -> list[dict[str, Any]]:
    """The stored questions as the editor's form shows them, and one blank row for a new one."""
    rows = [
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
    blank = {"text": "", "kind": "single", "options": "", "position": str(len(rows) + 1)}
    return [*rows, {**blank, "required": False, "other": False, "remove": False}]


def _crosstab(
    session: Session, cycle_id: int, question: str | None, by: str | None
) -> tuple[CrossTab | None, str | None]:
    if not question or not by:
        return None, None
    if not question.isdigit() or not by.isdigit():
        return None, "Оберіть обидва питання."
    try:
        return crosstab(
            session, cycle_id=cycle_id, question_id=int(question), by_question_id=int(by)
        ), None
    except DomainError as exc:
        return None, exc.message


def _survey(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    now: datetime,
    *,
    editor_rows: list[dict[str, Any]] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    questions = list_questions(session, cycle_id=cycle.id)
    results = survey_results(session, cycle_id=cycle.id)
    chosen = request.query_params.get("question"), request.query_params.get("by")
    table, table_error = _crosstab(session, cycle.id, *chosen)
    return page(
        request,
        session,
        account,
        "console/survey.html",
        {
            "cycle": cycle,
            "participants": count_responses(session, cycle_id=cycle.id),
            "results": [
                {
                    "result": r,
                    "chart": bar_chart_svg(r) if r.options else None,
                    "percents": [percent_text(o.percent) for o in r.options],
                }
                for r in results
            ],
            "choice_questions": [q for q in questions if q.kind != QuestionKind.TEXT],
            "single_questions": [q for q in questions if q.kind == QuestionKind.SINGLE],
            "chosen": {"question": chosen[0] or "", "by": chosen[1] or ""},
            "table": table,
            "table_percents": [[percent_text(p) for p in row[2]] for row in table.rows]
            if table
            else [],
            "table_error": table_error,
            "texts": list_texts(session, cycle_id=cycle.id),
            "refusal": editing_refusal(session, cycle_id=cycle.id, now=now),
            "editor_rows": editor_rows or _editor_rows(questions),
            "kind_labels": KIND_LABELS,
            "errors": errors or [],
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/survey")
def survey_page(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
) -> Response:
    """Results, cross-tabulation, moderation and (before the first answer) the questions."""
    return _survey(request, session, account, cycle, now)


@router.post("/console/cycles/{cycle_id}/survey/texts/{answer_id}")
def moderate(
    answer_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    hidden: FormText = "",
) -> Response:
    """Hide an abusive text from the results and the report (it stays stored), or show it."""
    if hidden not in ("0", "1"):
        raise Invalid("Невідома дія.", field="hidden")
    set_text_hidden(
        session,
        cycle_id=cycle.id,
        answer_id=answer_id,
        hidden=hidden == "1",
        now=now,
        actor=actor,
    )
    return see_other(f"/console/cycles/{cycle.id}/survey#text-{answer_id}")


def _rows_from_form(form: FormData) -> list[dict[str, Any]]:
    """The editor's rows as submitted (q<N>_<field>), in the order of their numbers."""
    numbers = sorted(
        {int(key[1:].split("_", 1)[0]) for key in form if key[1:].split("_", 1)[0].isdigit()}
    )
    rows = []
    for n in numbers[:101]:
        values = {name: str(form.get(f"q{n}_{name}") or "") for name in FIELDS}
        rows.append(
            {
                **values,
                "required": bool(values["required"]),
                "other": bool(values["other"]),
                "remove": bool(values["remove"]),
            }
        )
    return rows


def _plans(rows: list[dict[str, Any]]) -> tuple[list[QuestionPlan], list[str]]:
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
    return plans, errors


@router.post("/console/cycles/{cycle_id}/survey/questions")
def edit_questions(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Replace the question set (before the consultation opens and before the first answer)."""
    rows = _rows_from_form(form)
    plans, errors = _plans(rows)
    if not errors:
        try:
            replace_questions(
                session,
                cycle_id=cycle.id,
                questions=plans,
                now=now,
                actor=actor,
            )
        except DomainError as exc:
            session.rollback()
            return _survey(
                request,
                session,
                account,
                cycle,
                now,
                editor_rows=rows,
                errors=[exc.message],
                status_code=exc.status_code,
            )
        return see_other(f"/console/cycles/{cycle.id}/survey#questions")
    return _survey(
        request, session, account, cycle, now, editor_rows=rows, errors=errors, status_code=422
    )
