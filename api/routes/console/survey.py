"""The residents' survey for the working group: results per question with their denominators and
charts, a cross-tabulation by a demographic question, moderation of free texts (hidden, never
deleted), the anonymised CSV export, the question editor until the first answer, and for a
historical cycle the form for its survey's totals (the survey ran outside the system).
"""

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, BrowserForm, Now
from api.routes.console.common import FormText, done, page, see_other
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleWorkingGroup,
    console_router,
)
from api.routes.console.question_form import (
    KIND_LABELS,
    plans_from_rows,
    question_rows,
    rows_from_form,
)
from api.routes.console.totals_form import posted_values, stored_values, totals_input
from models.account import Account
from models.cycle import AuditCycle
from models.errors import DomainError, FieldErrors, Invalid
from models.services.surveys.moderation import list_texts, set_text_hidden
from models.services.surveys.questions import (
    editing_refusal,
    list_questions,
    replace_questions,
)
from models.services.surveys.results import CrossTab, crosstab, survey_results
from models.services.surveys.totals import (
    enter_survey_totals,
    entered_totals,
    survey_participants,
    totals_refusal,
)
from models.survey import QuestionKind
from report_templates.charts import bar_chart_svg, percent_text

router = console_router()


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
    totals_values: dict[str, str] | None = None,
    totals_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    questions = list_questions(session, cycle_id=cycle.id)
    results = survey_results(session, cycle_id=cycle.id)
    chosen = request.query_params.get("question"), request.query_params.get("by")
    table, table_error = _crosstab(session, cycle.id, *chosen)
    totals = entered_totals(session, cycle_id=cycle.id)
    return page(
        request,
        session,
        account,
        "console/survey.html",
        {
            "cycle": cycle,
            "participants": survey_participants(session, cycle_id=cycle.id),
            "questions": questions,
            "totals": totals,
            "totals_refusal": totals_refusal(session, cycle=cycle) if cycle.is_historical else None,
            "totals_values": totals_values or stored_values(questions, totals),
            "totals_errors": totals_errors or {},
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
            "editor_rows": editor_rows or question_rows(questions),
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
    rows = rows_from_form(form)
    plans, errors = plans_from_rows(rows)
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
        return done(request, f"/console/cycles/{cycle.id}/survey#questions", "Збережено.")
    return _survey(
        request, session, account, cycle, now, editor_rows=rows, errors=errors, status_code=422
    )


@router.post("/console/cycles/{cycle_id}/survey/totals")
def enter_totals(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Enter a historical cycle's survey totals (its survey ran outside the system)."""
    questions = list_questions(session, cycle_id=cycle.id)
    values = posted_values(form, questions)
    try:
        enter_survey_totals(
            session,
            cycle_id=cycle.id,
            totals=totals_input(questions, values),
            now=now,
            actor=actor,
        )
    except FieldErrors as exc:
        session.rollback()
        return _survey(
            request,
            session,
            account,
            cycle,
            now,
            totals_values=values,
            totals_errors=exc.errors,
            status_code=exc.status_code,
        )
    return done(
        request, f"/console/cycles/{cycle.id}/survey#totals", "Підсумки опитування збережено."
    )
