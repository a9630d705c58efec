"""Moderation of texts (proposals and "other" write-ins): hidden, never deleted."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle
from models.errors import NotFound
from models.services.events import record_event
from models.survey import Answer, Question

# What the export shows in place of a text hidden by moderation.
HIDDEN_TEXT = "[приховано модератором]"


@dataclass(frozen=True)
class TextAnswer:
    """A text answer as moderators see it: no respondent, no time."""

    id: int
    question_position: int
    question_text: str
    text: str
    is_other: bool
    is_hidden: bool


def list_texts(session: Session, *, cycle_id: int) -> list[TextAnswer]:
    """Every text answer of the survey, hidden ones included, for moderation."""
    return [
        TextAnswer(
            id=answer_id,
            question_position=position,
            question_text=question_text,
            text=text or "",
            is_other=option_id is not None,
            is_hidden=is_hidden,
        )
        for answer_id, position, question_text, text, option_id, is_hidden in session.execute(
            select(
                Answer.id,
                Question.position,
                Question.text,
                Answer.text,
                Answer.option_id,
                Answer.is_hidden,
            )
            .join(Question, Question.id == Answer.question_id)
            .where(Question.cycle_id == cycle_id, Answer.text.is_not(None))
            .order_by(Question.position, Answer.id)
        ).tuples()
    ]


def set_text_hidden(
    session: Session,
    *,
    cycle_id: int,
    answer_id: int,
    hidden: bool,
    now: datetime,
    actor: Actor,
) -> TextAnswer:
    """Hide an abusive text from results and the report (or show it again); it stays stored."""
    found = session.execute(
        select(Answer, AuditCycle.organization_id)
        .join(Question, Question.id == Answer.question_id)
        .join(AuditCycle, AuditCycle.id == Question.cycle_id)
        .where(Answer.id == answer_id, Question.cycle_id == cycle_id, Answer.text.is_not(None))
    ).first()
    if found is None:
        raise NotFound("Текстову відповідь не знайдено.")
    answer, organization_id = found
    if answer.is_hidden != hidden:
        answer.is_hidden = hidden
        session.flush()
        record_event(
            session,
            organization_id=organization_id,
            cycle_id=cycle_id,
            action="survey.text_hidden" if hidden else "survey.text_shown",
            at=now,
            actor=actor,
            details={"answer_id": answer_id},  # never the text itself
        )
    return next(t for t in list_texts(session, cycle_id=cycle_id) if t.id == answer_id)
