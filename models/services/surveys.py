"""The residents' survey: its questions, anonymous responses and results aggregated in SQL."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models.cycle import AuditCycle, StageKind
from models.errors import Invalid, NotFound
from models.plan import QuestionPlan
from models.services.stages import ensure_accepting, get_stage
from models.survey import Answer, Option, Question, QuestionKind, Response

MAX_TEXT = 2000
OTHER_LABEL = "Інше (вкажіть)"


def default_questions(unit_names: list[str]) -> list[QuestionPlan]:
    """The default question set of domain.md; priority units are the cycle's units."""
    single, multiple, text = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TEXT
    return [
        QuestionPlan(
            text="Чи використовуєте Ви інформацію міської ради у своїй професійній діяльності?",
            kind=single,
            options=["Так", "Ні"],
        ),
        QuestionPlan(
            text="Які сфери діяльності міської ради Вас цікавлять найбільше?",
            kind=multiple,
            allow_other=True,
            options=[
                "Бюджет",
                "Земельні питання",
                "Транспорт",
                "Соціальна політика",
                "Освіта",
                "Охорона здоров’я",
                "Житлово-комунальне господарство",
                "Містобудування",
            ],
        ),
        QuestionPlan(
            text="Якими інформаційними ресурсами міської ради Ви користуєтеся?",
            kind=multiple,
            allow_other=True,
            options=[
                "Вебпортал міської ради",
                "Чат-бот «Гаряча лінія»",
                "Центр надання адміністративних послуг",
                "Instagram",
                "Facebook",
            ],
        ),
        QuestionPlan(
            text="Чи користуєтеся Ви сервісом «Відкриті дані»?", kind=single, options=["Так", "Ні"]
        ),
        QuestionPlan(
            text="Діяльність яких підрозділів варто першочергово охопити інформаційним аудитом?",
            kind=multiple,
            options=unit_names if len(unit_names) >= 2 else [*unit_names, "Інші"],
        ),
        QuestionPlan(
            text="Які інформацію чи набори даних, на Вашу думку, варто оприлюднити?", kind=text
        ),
        QuestionPlan(
            text="Чи проживаєте Ви постійно в громаді?", kind=single, options=["Так", "Ні"]
        ),
        QuestionPlan(text="Ваша стать", kind=single, options=["Жіноча", "Чоловіча"]),
        QuestionPlan(
            text="Ваша вікова група",
            kind=single,
            options=["До 18", "18–25", "26–40", "41–60", "Понад 60"],
        ),
    ]


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


@dataclass(frozen=True)
class AnswerInput:
    """What a resident gave for one question."""

    question_id: int
    option_ids: list[int] = field(default_factory=list)
    text: str | None = None


def _validated_answers(questions: list[Question], answers: list[AnswerInput]) -> list[Answer]:
    by_id = {q.id: q for q in questions}
    rows: list[Answer] = []
    seen: set[int] = set()
    for answer in answers:
        question = by_id.get(answer.question_id)
        if question is None:
            raise Invalid(f"Невідоме питання: {answer.question_id}.", field="answers")
        if question.id in seen:
            raise Invalid(f"Питання {question.position} має дві відповіді.", field="answers")
        seen.add(question.id)
        text = (answer.text or "").strip() or None
        if text is not None and len(text) > MAX_TEXT:
            raise Invalid(
                f"Відповідь на питання {question.position} задовга (понад {MAX_TEXT} символів).",
                field="answers",
            )
        if question.kind == QuestionKind.TEXT:
            if answer.option_ids:
                raise Invalid(f"Питання {question.position} не має варіантів.", field="answers")
            if text:
                rows.append(Answer(question_id=question.id, text=text))
            continue
        options = {o.id: o for o in question.options}
        unknown = [i for i in answer.option_ids if i not in options]
        if unknown:
            raise Invalid(
                f"Невідомий варіант відповіді на питання {question.position}.", field="answers"
            )
        if question.kind == QuestionKind.SINGLE and len(set(answer.option_ids)) > 1:
            raise Invalid(
                f"На питання {question.position} можна обрати лише один варіант.", field="answers"
            )
        other_chosen = any(options[i].is_other for i in answer.option_ids)
        if text and not other_chosen:
            raise Invalid(
                f"Текст до питання {question.position} можна додати лише до варіанта «Інше».",
                field="answers",
            )
        for option_id in dict.fromkeys(answer.option_ids):
            is_other = options[option_id].is_other
            rows.append(
                Answer(
                    question_id=question.id, option_id=option_id, text=text if is_other else None
                )
            )
    answered = {row.question_id for row in rows}
    missing = [q.position for q in questions if q.required and q.id not in answered]
    if missing:
        raise Invalid(
            "Не надано відповіді на обов’язкові питання: " + ", ".join(map(str, missing)) + ".",
            field="answers",
        )
    if not rows:
        raise Invalid("Анкета порожня: дайте відповідь хоча б на одне питання.", field="answers")
    return rows


def submit_response(
    session: Session,
    *,
    slug: str,
    answers: list[AnswerInput],
    idempotency_key: str,
    ip_hash: str | None,
    now: datetime,
) -> tuple[Response, bool]:
    """Store one anonymous response; returns it and whether it is new (a resent one is not)."""
    cycle = get_cycle_by_slug(session, slug=slug)
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.CONSULTATION)
    ensure_accepting(stage, now=now, what="Опитування")
    existing = _by_key(session, cycle_id=cycle.id, key=idempotency_key)
    if existing is not None:
        return existing, False
    rows = _validated_answers(list_questions(session, cycle_id=cycle.id), answers)
    try:
        with session.begin_nested():
            response = Response(
                cycle_id=cycle.id,
                submitted_at=now,
                idempotency_key=idempotency_key,
                ip_hash=ip_hash,
            )
            session.add(response)
            session.flush()
            for row in rows:
                row.response_id = response.id
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        # The same key raced in from a double click: the first one won.
        existing = _by_key(session, cycle_id=cycle.id, key=idempotency_key)
        if existing is None:
            raise
        return existing, False
    return response, True


def _by_key(session: Session, *, cycle_id: int, key: str) -> Response | None:
    return session.scalar(
        select(Response).where(Response.cycle_id == cycle_id, Response.idempotency_key == key)
    )


@dataclass
class OptionResult:
    """Count and percent of one option, over those who answered the question."""

    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    """One question's aggregated answers."""

    position: int
    text: str
    kind: QuestionKind
    answered: int
    participants: int
    options: list[OptionResult]
    texts: list[str]


def survey_results(session: Session, *, cycle_id: int) -> list[QuestionResult]:
    """Per-question counts and percentages, aggregated in SQL (three queries for the survey)."""
    participants = (
        session.scalar(select(func.count(Response.id)).where(Response.cycle_id == cycle_id)) or 0
    )
    questions = list_questions(session, cycle_id=cycle_id)
    answered: dict[int, int] = dict(
        session.execute(
            select(Answer.question_id, func.count(distinct(Answer.response_id)))
            .join(Question, Question.id == Answer.question_id)
            .where(Question.cycle_id == cycle_id)
            .group_by(Answer.question_id)
        )
        .tuples()
        .all()  # a list: a Result has .keys(), which dict() would take for a mapping
    )
    option_counts: dict[int | None, int] = dict(
        session.execute(
            select(Answer.option_id, func.count(Answer.id))
            .join(Question, Question.id == Answer.question_id)
            .where(Question.cycle_id == cycle_id, Answer.option_id.is_not(None))
            .group_by(Answer.option_id)
        )
        .tuples()
        .all()
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for question_id, text in session.execute(
        select(Answer.question_id, Answer.text)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.cycle_id == cycle_id, Answer.text.is_not(None), Answer.is_hidden.is_(False))
        .order_by(Answer.id)
    ).tuples():
        texts[question_id].append(text or "")
    results = []
    for question in questions:
        n = answered.get(question.id, 0)
        results.append(
            QuestionResult(
                position=question.position,
                text=question.text,
                kind=question.kind,
                answered=n,
                participants=participants,
                options=[
                    OptionResult(
                        label=o.label,
                        count=option_counts.get(o.id, 0),
                        percent=(100.0 * option_counts.get(o.id, 0) / n) if n else 0.0,
                    )
                    for o in question.options
                ],
                texts=texts.get(question.id, []),
            )
        )
    return results


def count_responses(session: Session, *, cycle_id: int) -> int:
    """How many residents answered."""
    return session.scalar(select(func.count(Response.id)).where(Response.cycle_id == cycle_id)) or 0
