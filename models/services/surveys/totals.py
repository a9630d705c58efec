"""A historical cycle's survey totals, entered by hand by the working group.

Its residents' survey ran long ago, offline or in another tool, so no responses are stored; the
report needs the figures it shows of counted responses: the participants, how many answered
each question (for a free-text question: the proposals) and how many chose each option.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.cycle import AuditCycle, CycleStatus
from models.errors import Conflict, FieldErrors, NotFound
from models.services.events import record_event
from models.services.report.rendering import request_render
from models.services.report.versions import ensure_report, latest_version
from models.services.stage_actions import approved_report_on
from models.services.surveys.questions import count_responses, list_questions
from models.survey import Option, OptionTotal, Question, QuestionKind, QuestionTotal, SurveyTotals

MAX_COUNT = 10_000_000  # far above any council's survey, well inside a database integer
_NUMBER = re.compile(r"[+-]?\d{1,12}")

Count = int | str  # a number (the API), or the text of a form field (the console)


@dataclass(frozen=True)
class OptionCount:
    """How many chose one option."""

    option_id: int
    chosen: Count


@dataclass(frozen=True)
class QuestionCount:
    """How many answered one question, and chose each of its options."""

    question_id: int
    answered: Count
    options: list[OptionCount] = field(default_factory=list)


@dataclass(frozen=True)
class TotalsInput:
    """The survey's totals as entered: errors are named by position, as the API's body has
    them: `participants`, `questions.0.answered`, `questions.0.options.1.chosen`."""

    participants: Count
    questions: list[QuestionCount]


@dataclass(frozen=True)
class EnteredTotals:
    """The stored totals of a cycle; questions and options not entered count 0."""

    participants: int
    answered: dict[int, int]  # question id -> participants who answered it
    chosen: dict[int, int]  # option id -> participants who chose it
    entered_at: datetime


def entered_totals(session: Session, *, cycle_id: int) -> EnteredTotals | None:
    """The survey totals entered for the cycle, or None (its responses are counted)."""
    totals = session.scalar(select(SurveyTotals).where(SurveyTotals.cycle_id == cycle_id))
    if totals is None:
        return None
    answered = session.execute(
        select(QuestionTotal.question_id, QuestionTotal.answered)
        .join(Question, Question.id == QuestionTotal.question_id)
        .where(Question.cycle_id == cycle_id)
    ).tuples()
    # Lists: a Result has .keys(), which dict() would take for a mapping.
    chosen = session.execute(
        select(OptionTotal.option_id, OptionTotal.chosen)
        .join(Option, Option.id == OptionTotal.option_id)
        .join(Question, Question.id == Option.question_id)
        .where(Question.cycle_id == cycle_id)
    ).tuples()
    return EnteredTotals(
        participants=totals.participants,
        answered=dict(answered.all()),
        chosen=dict(chosen.all()),
        entered_at=totals.updated_at,
    )


def survey_participants(session: Session, *, cycle_id: int) -> int:
    """The survey's participants: entered with its totals, else the responses counted."""
    totals = session.scalar(
        select(SurveyTotals.participants).where(SurveyTotals.cycle_id == cycle_id)
    )
    return totals if totals is not None else count_responses(session, cycle_id=cycle_id)


def totals_refusal(session: Session, *, cycle: AuditCycle) -> str | None:
    """Why the survey totals cannot be entered for this cycle now, or None when they can."""
    if not cycle.is_historical:
        return (
            "Підсумки опитування вносять вручну лише для історичного циклу: відповіді "
            "поточного опитування система рахує сама."
        )
    if count_responses(session, cycle_id=cycle.id):
        return "На опитування цього циклу вже надійшли відповіді: підсумки рахуються з них."
    if cycle.status == CycleStatus.COMPLETED or approved_report_on(session, cycle_id=cycle.id):
        return "Звіт цього циклу вже затверджено: підсумки опитування змінювати не можна."
    return None


def _count(raw: Count, name: str, errors: dict[str, str]) -> int:
    """The number a field holds; a Ukrainian error beside the field (and 0) when it is none."""
    if isinstance(raw, str):
        text = re.sub(r"[\s\u00a0\u202f]", "", raw)  # "1 200" as people write thousands
        if not text:
            errors[name] = "Вкажіть кількість (0, якщо таких відповідей не було)."
            return 0
        if not _NUMBER.fullmatch(text):
            errors[name] = "Має бути ціле число, наприклад 38."
            return 0
        raw = int(text)
    if raw < 0:
        errors[name] = "Кількість не може бути від’ємною."
    elif raw > MAX_COUNT:
        errors[name] = f"Завелике число: не більше {MAX_COUNT:,}.".replace(",", " ")
    else:
        return raw
    return 0


def _checked(
    questions: list[Question], totals: TotalsInput
) -> tuple[int, dict[int, int], dict[int, int]]:
    """The participants and the counts by question and option id, or FieldErrors naming every
    field that is wrong: a count that is no non-negative integer, or a part above its total."""
    errors: dict[str, str] = {}
    participants = _count(totals.participants, "participants", errors)
    by_id = {q.id: q for q in questions}
    answered: dict[int, int] = {}
    chosen: dict[int, int] = {}
    for i, entry in enumerate(totals.questions):
        name = f"questions.{i}"
        question = by_id.get(entry.question_id)
        if question is None:
            errors[f"{name}.question_id"] = "Питання не належить до опитування цього циклу."
            continue
        number = question.position
        if question.id in answered:
            errors[f"{name}.question_id"] = f"Питання {number} вказано двічі."
            continue
        n = answered[question.id] = _count(entry.answered, f"{name}.answered", errors)
        if f"{name}.answered" not in errors and "participants" not in errors and n > participants:
            errors[f"{name}.answered"] = (
                f"Відповіли на питання {number}: {n} — більше, ніж учасників опитування "
                f"({participants})."
            )
        options = {o.id: o for o in question.options}
        if entry.options and question.kind == QuestionKind.TEXT:
            errors[f"{name}.options"] = (
                f"Питання {number} — з відповіддю у довільній формі: варіантів у нього немає."
            )
            continue
        total, parts_wrong = 0, False
        for j, part in enumerate(entry.options):
            key = f"{name}.options.{j}"
            option = options.get(part.option_id)
            if option is None or option.id in chosen:
                errors[f"{key}.option_id"] = (
                    f"Варіант не належить до питання {number}."
                    if option is None
                    else f"Варіант «{option.label}» питання {number} вказано двічі."
                )
                continue
            c = chosen[option.id] = _count(part.chosen, f"{key}.chosen", errors)
            total += c
            if f"{key}.chosen" not in errors and f"{name}.answered" not in errors and c > n:
                errors[f"{key}.chosen"] = (
                    f"Варіант «{option.label}» обрали {c} — більше, ніж відповіли на питання "
                    f"{number} ({n})."
                )
            parts_wrong = parts_wrong or f"{key}.chosen" in errors
        single = question.kind == QuestionKind.SINGLE
        if single and total > n and not parts_wrong and f"{name}.answered" not in errors:
            errors[f"{name}.answered"] = (
                f"У питанні {number} можна обрати лише один варіант, тож разом варіанти "
                f"({total}) не можуть перевищувати кількість тих, хто відповів ({n})."
            )
    if errors:
        raise FieldErrors(errors)
    return participants, answered, chosen


def proposals_of(questions: Iterable[Question], answered: dict[int, int]) -> int:
    """The proposals: the answers to the free-text questions."""
    return sum(answered.get(q.id, 0) for q in questions if q.kind == QuestionKind.TEXT)


def enter_survey_totals(
    session: Session, *, cycle_id: int, totals: TotalsInput, now: datetime, actor: Actor
) -> EnteredTotals:
    """Store (or replace) a historical cycle's survey totals; the report counts them as it would
    count responses, and a new version of an existing report is asked for."""
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    refusal = totals_refusal(session, cycle=cycle)
    if refusal:
        raise Conflict(refusal)
    questions = list_questions(session, cycle_id=cycle_id)
    participants, answered, chosen = _checked(questions, totals)
    stored = session.scalar(select(SurveyTotals).where(SurveyTotals.cycle_id == cycle_id))
    changed = stored is not None
    if stored is None:
        stored = SurveyTotals(cycle_id=cycle_id, participants=participants)
        session.add(stored)
    stored.participants = participants
    stored.updated_at = now
    session.execute(
        delete(QuestionTotal).where(QuestionTotal.question_id.in_([q.id for q in questions]))
    )
    session.execute(
        delete(OptionTotal).where(
            OptionTotal.option_id.in_([o.id for q in questions for o in q.options])
        )
    )
    session.add_all(QuestionTotal(question_id=k, answered=v) for k, v in answered.items())
    session.add_all(OptionTotal(option_id=k, chosen=v) for k, v in chosen.items())
    session.flush()
    if latest_version(session, cycle_id=cycle_id) is not None:
        request_render(session, report=ensure_report(session, cycle_id=cycle_id), now=now)
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="survey.totals_entered",
        at=now,
        actor=actor,
        details={
            "participants": participants,
            "proposals": proposals_of(questions, answered),
            "changed": changed,
        },
    )
    result = entered_totals(session, cycle_id=cycle_id)
    assert result is not None
    return result
