"""The survey's results, aggregated in SQL: per-question counts and crosstabs; a historical
cycle's from the totals the working group entered (surveys.totals)."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, aliased

from models.errors import Conflict, Invalid, NotFound
from models.services.surveys.questions import count_responses, list_questions
from models.services.surveys.totals import EnteredTotals, entered_totals
from models.survey import Answer, Question, QuestionKind


@dataclass
class OptionResult:
    """Count and percent of one option, over those who answered the question."""

    label: str
    count: int
    percent: float
    is_other: bool = False


@dataclass
class QuestionResult:
    """One question's aggregated answers."""

    position: int
    text: str
    kind: QuestionKind
    answered: int
    participants: int
    options: list[OptionResult]
    texts: list[str]  # visible texts: free-text answers, or the "other" write-ins
    question_id: int = 0
    hidden: int = 0  # texts hidden by moderation (kept in the database)
    entered: bool = False  # from the totals entered by hand: no texts, no respondents to cross

    @property
    def denominator(self) -> str:
        """The base of the percentages, as the report prints it: "n = 13 з 38"."""
        return f"n = {self.answered} з {self.participants}"


def _results(
    questions: list[Question],
    *,
    participants: int,
    answered: Mapping[int, int],
    chosen: Mapping[int, int] | Mapping[int | None, int],
    texts: Mapping[int, list[str]] | None = None,
    hidden: Mapping[int, int] | None = None,
    entered: bool = False,
) -> list[QuestionResult]:
    """Each question's result from its counts: respondents who answered, and who chose each
    option (the percentages are over those who answered)."""
    results = []
    for question in questions:
        n = answered.get(question.id, 0)
        options = []
        for o in question.options:
            count = chosen.get(o.id, 0)
            percent = (100.0 * count / n) if n else 0.0
            options.append(OptionResult(o.label, count, percent, is_other=o.is_other))
        results.append(
            QuestionResult(
                position=question.position,
                text=question.text,
                kind=question.kind,
                answered=n,
                participants=participants,
                options=options,
                texts=(texts or {}).get(question.id, []),
                question_id=question.id,
                hidden=(hidden or {}).get(question.id, 0),
                entered=entered,
            )
        )
    return results


def entered_results(questions: list[Question], totals: EnteredTotals) -> list[QuestionResult]:
    """The results of a survey whose totals were entered by hand, as counted ones read."""
    return _results(
        questions,
        participants=totals.participants,
        answered=totals.answered,
        chosen=totals.chosen,
        entered=True,
    )


def proposal_count(results: list[QuestionResult]) -> int:
    """The proposals: the free-text answers shown (entered totals: those who answered)."""
    return sum(
        r.answered if r.entered else len(r.texts) for r in results if r.kind == QuestionKind.TEXT
    )


def survey_results(session: Session, *, cycle_id: int) -> list[QuestionResult]:
    """Per-question counts and percentages over those who answered it, aggregated in SQL."""
    questions = list_questions(session, cycle_id=cycle_id)
    totals = entered_totals(session, cycle_id=cycle_id)
    if totals is not None:
        return entered_results(questions, totals)
    participants = count_responses(session, cycle_id=cycle_id)
    ids = [q.id for q in questions]
    # Respondents, not rows: a multiple-choice answer has one row per option chosen. The
    # (question_id, response_id) index covers this count.
    answered: dict[int, int] = dict(
        session.execute(
            select(Answer.question_id, func.count(distinct(Answer.response_id)))
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id)
        )
        .tuples()
        .all()  # a list: a Result has .keys(), which dict() would take for a mapping
    )
    option_counts: dict[int | None, int] = {
        option_id: n
        for _question_id, option_id, n in session.execute(
            select(Answer.question_id, Answer.option_id, func.count())
            .where(Answer.question_id.in_(ids), Answer.option_id.is_not(None))
            .group_by(Answer.question_id, Answer.option_id)
        ).tuples()
    }
    with_text = [q.id for q in questions if q.kind == QuestionKind.TEXT] + [
        q.id for q in questions if any(o.is_other for o in q.options)
    ]
    texts: dict[int, list[str]] = defaultdict(list)
    hidden: dict[int, int] = defaultdict(int)
    for question_id, text, is_hidden in session.execute(
        select(Answer.question_id, Answer.text, Answer.is_hidden)
        .where(Answer.question_id.in_(with_text), Answer.text.is_not(None))
        .order_by(Answer.id)
    ).tuples():
        if is_hidden:
            hidden[question_id] += 1
        else:
            texts[question_id].append(text or "")
    return _results(
        questions,
        participants=participants,
        answered=answered,
        chosen=option_counts,
        texts=texts,
        hidden=hidden,
    )


@dataclass
class CrossTab:
    """A question's options broken down by a demographic question's options."""

    question: str
    by_question: str
    columns: list[str]  # the demographic options, then "Усього"
    bases: list[int]  # per column: respondents who answered both questions
    rows: list[tuple[str, list[int], list[float]]]  # option label, counts, percents per column


def crosstab(session: Session, *, cycle_id: int, question_id: int, by_question_id: int) -> CrossTab:
    """Cross-tabulate a choice question by a single-choice (demographic) question, in SQL."""
    questions = {q.id: q for q in list_questions(session, cycle_id=cycle_id)}
    question, by = questions.get(question_id), questions.get(by_question_id)
    if question is None or by is None:
        raise NotFound("Питання не знайдено.")
    if entered_totals(session, cycle_id=cycle_id) is not None:
        raise Conflict(
            "Розподіл побудувати не можна: опитування проведено поза системою, внесено лише "
            "його підсумки, без відповідей окремих учасників."
        )
    if question.kind == QuestionKind.TEXT:
        raise Invalid("Розподіл можна побудувати лише для питання з вибором.", field="question")
    if by.kind != QuestionKind.SINGLE or by.id == question.id:
        raise Invalid(
            "Розподіляти можна лише за іншим питанням з одним варіантом відповіді "
            "(стать, вік, проживання).",
            field="by",
        )
    answer, group = aliased(Answer), aliased(Answer)
    joined = (
        select(answer.option_id, group.option_id.label("group_id"), answer.response_id)
        .join(group, group.response_id == answer.response_id)
        .where(answer.question_id == question.id, group.question_id == by.id)
        .subquery()
    )
    cells: dict[tuple[int, int], int] = {
        (option_id, group_id): n
        for option_id, group_id, n in session.execute(
            select(joined.c.option_id, joined.c.group_id, func.count()).group_by(
                joined.c.option_id, joined.c.group_id
            )
        ).tuples()
    }
    bases_by_group: dict[int, int] = dict(
        session.execute(
            select(joined.c.group_id, func.count(distinct(joined.c.response_id))).group_by(
                joined.c.group_id
            )
        )
        .tuples()
        .all()
    )
    groups = [o.id for o in by.options]
    bases = [bases_by_group.get(g, 0) for g in groups]
    bases.append(sum(bases))  # each respondent is in exactly one group
    rows = []
    for option in question.options:
        counts = [cells.get((option.id, g), 0) for g in groups]
        counts.append(sum(counts))
        percents = [100.0 * c / b if b else 0.0 for c, b in zip(counts, bases, strict=True)]
        rows.append((option.label, counts, percents))
    return CrossTab(
        question=f"{question.position}. {question.text}",
        by_question=f"{by.position}. {by.text}",
        columns=[o.label for o in by.options] + ["Усього"],
        bases=bases,
        rows=rows,
    )
