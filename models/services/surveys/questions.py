"""The survey's questions: the default set, storing, listing and replacing them, and counting
the responses that freeze them."""

from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle, StageKind, StageStatus
from models.errors import Conflict, Invalid, NotFound
from models.plan import QuestionPlan
from models.services.events import record_event
from models.services.stages import get_stage
from models.survey import Option, Question, QuestionKind, Response, SurveyTotals

OTHER_LABEL = "Інше (вкажіть)"


@lru_cache
def _default_question_data() -> list[dict[str, Any]]:
    """The default questions' wording, as default_questions.yaml beside this module has it."""
    text = (
        files("models.services.surveys")
        .joinpath("default_questions.yaml")
        .read_text(encoding="utf-8")
    )
    data: list[dict[str, Any]] = yaml.safe_load(text)
    return data


def default_questions(unit_names: list[str]) -> list[QuestionPlan]:
    """The default question set of domain.md; priority units are the cycle's units."""
    plans = []
    for item in _default_question_data():
        options = list(item.get("options", []))
        if item.get("options_from_units"):
            options = unit_names if len(unit_names) >= 2 else [*unit_names, *options]
        plans.append(
            QuestionPlan(
                text=item["text"],
                kind=QuestionKind(item["kind"]),
                allow_other=item.get("allow_other", False),
                options=options,
            )
        )
    return plans


def add_questions(session: Session, *, cycle_id: int, questions: list[QuestionPlan]) -> None:
    """Store a cycle's questions with their options (an "other" option when asked for)."""
    for position, plan in enumerate(questions, start=1):
        question = Question(
            cycle_id=cycle_id,
            position=position,
            text=plan.text,
            kind=plan.kind,
            required=plan.required,
        )
        labels = list(plan.options) + ([OTHER_LABEL] if plan.allow_other else [])
        question.options = [
            Option(position=i, label=label, is_other=plan.allow_other and i == len(labels))
            for i, label in enumerate(labels, start=1)
        ]
        session.add(question)
    session.flush()


def get_cycle_by_slug(session: Session, *, slug: str) -> AuditCycle:
    """The cycle of a public survey address."""
    cycle = session.scalar(select(AuditCycle).where(AuditCycle.survey_slug == slug))
    if cycle is None:
        raise NotFound("Опитування не знайдено.")
    return cycle


def list_questions(session: Session, *, cycle_id: int) -> list[Question]:
    """A cycle's questions with their options, in order."""
    return list(
        session.scalars(
            select(Question)
            .where(Question.cycle_id == cycle_id)
            .options(selectinload(Question.options))
            .order_by(Question.position)
        )
    )


def count_responses(session: Session, *, cycle_id: int) -> int:
    """How many residents answered."""
    return session.scalar(select(func.count(Response.id)).where(Response.cycle_id == cycle_id)) or 0


# --- Editing the questions (working group) ----------------------------------------------------


def editing_refusal(session: Session, *, cycle_id: int, now: datetime) -> str | None:
    """Why the questions cannot be edited now, or None when they can."""
    if session.scalar(select(Response.id).where(Response.cycle_id == cycle_id).limit(1)):
        return "Питання заморожено: на опитування вже надійшла перша відповідь."
    if session.scalar(select(SurveyTotals.id).where(SurveyTotals.cycle_id == cycle_id)):
        return "Питання заморожено: підсумки опитування вже внесено."
    stage = get_stage(session, cycle_id=cycle_id, kind=StageKind.CONSULTATION)
    if stage.status != StageStatus.PLANNED or local_date(now) >= stage.starts_on:
        return (
            "Питання можна змінювати лише до початку консультацій з громадськістю "
            f"({stage.starts_on:%d.%m.%Y})."
        )
    return None


def replace_questions(
    session: Session,
    *,
    cycle_id: int,
    questions: list[QuestionPlan],
    now: datetime,
    actor: Actor,
) -> list[Question]:
    """Replace the whole question set (texts, kinds, options, required, order) before opening."""
    refusal = editing_refusal(session, cycle_id=cycle_id, now=now)
    if refusal:
        raise Conflict(refusal)
    if not questions:
        raise Invalid("Опитування має містити хоча б одне питання.", field="questions")
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    session.execute(delete(Question).where(Question.cycle_id == cycle_id))
    session.flush()
    add_questions(session, cycle_id=cycle_id, questions=questions)
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="survey.questions_replaced",
        at=now,
        actor=actor,
        details={"questions": len(questions)},
    )
    return list_questions(session, cycle_id=cycle_id)


def question_plans(questions: list[Question]) -> list[QuestionPlan]:
    """Stored questions as plans, to offer them again (the "other" option as allow_other)."""
    return [
        QuestionPlan(
            text=q.text,
            kind=q.kind,
            required=q.required,
            options=[o.label for o in q.options if not o.is_other],
            allow_other=any(o.is_other for o in q.options),
        )
        for q in questions
    ]


def launch_questions(
    session: Session, *, organization_id: int, unit_names: list[str]
) -> list[QuestionPlan]:
    """The questions a new cycle's launch form offers for review: the previous cycle's, else the
    default set (its priority-units question listing `unit_names`)."""
    last = session.scalar(
        select(AuditCycle.id)
        .where(AuditCycle.organization_id == organization_id)
        .order_by(AuditCycle.id.desc())
        .limit(1)
    )
    previous = list_questions(session, cycle_id=last) if last is not None else []
    return question_plans(previous) if previous else default_questions(unit_names)
