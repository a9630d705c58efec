"""The anonymised export: one CSV row per response, no IP, no key."""

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import local_date
from models.services.surveys.moderation import HIDDEN_TEXT
from models.services.surveys.questions import list_questions
from models.survey import Answer, Response
from models.tabular import spreadsheet_safe


def export_rows(session: Session, *, cycle_id: int) -> Iterator[list[str]]:
    """The CSV rows: a header, then one row per response (a number and the date, no IP, no key)."""
    questions = list_questions(session, cycle_id=cycle_id)
    column = {q.id: i for i, q in enumerate(questions)}
    labels = {o.id: o.label for q in questions for o in q.options}
    yield ["№", "Дата", *(f"{q.position}. {q.text}" for q in questions)]
    rows = session.execute(
        select(
            Response.id,
            Response.submitted_at,
            Answer.question_id,
            Answer.option_id,
            Answer.text,
            Answer.is_hidden,
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.cycle_id == cycle_id)
        .order_by(Response.id, Answer.id)
        .execution_options(yield_per=5000)
    ).tuples()
    number, current, day = 0, None, ""
    cells: list[list[str]] = [[] for _ in questions]
    for response_id, submitted_at, question_id, option_id, text, is_hidden in rows:
        if response_id != current:
            if current is not None:
                yield [str(number), day, *("; ".join(c) for c in cells)]
            number, current = number + 1, response_id
            cells = [[] for _ in questions]
            day = local_date(submitted_at).isoformat()
        parts = cells[column[question_id]]
        shown = HIDDEN_TEXT if is_hidden else spreadsheet_safe(text or "")
        if option_id is None:
            parts.append(shown)
        elif text is not None:
            parts.append(f"{labels[option_id]}: {shown}")
        else:
            parts.append(labels[option_id])
    if current is not None:
        yield [str(number), day, *("; ".join(c) for c in cells)]
