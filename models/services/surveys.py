"""The residents' survey: its questions, anonymous responses and results aggregated in SQL."""

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, distinct, func, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased, selectinload

from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle, Stage, StageKind, StageStatus
from models.errors import Conflict, DomainError, Invalid, NotFound
from models.plan import QuestionPlan
from models.security import new_token, sha256_hex
from models.services.events import record_event
from models.services.stages import ensure_accepting, get_stage
from models.settings import get_settings
from models.sqlite_writer import SqliteWriter
from models.survey import Answer, Option, Question, QuestionKind, Response, SurveyInvitation

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


def count_responses(session: Session, *, cycle_id: int) -> int:
    """How many residents answered."""
    return session.scalar(select(func.count(Response.id)).where(Response.cycle_id == cycle_id)) or 0


# --- Editing the questions (working group) ----------------------------------------------------


def editing_refusal(session: Session, *, cycle_id: int, now: datetime) -> str | None:
    """Why the questions cannot be edited now, or None when they can."""
    if session.scalar(select(Response.id).where(Response.cycle_id == cycle_id).limit(1)):
        return "Питання заморожено: на опитування вже надійшла перша відповідь."
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


# --- Submitting a response (residents) --------------------------------------------------------


class RateLimited(DomainError):
    """Too many responses from one IP hash within the window."""

    status_code = 429


class InvitationRefused(DomainError):
    """A closed consultation's invitation code is missing, unknown or already used."""

    status_code = 403


class AnswerInvalid(Invalid):
    """Bad input about one question (the page marks that question)."""

    def __init__(self, message: str, *, question_id: int | None = None) -> None:
        super().__init__(message, field="answers")
        self.question_id = question_id


@dataclass(frozen=True)
class AnswerInput:
    """What a resident gave for one question."""

    question_id: int
    option_ids: list[int] = field(default_factory=list)
    text: str | None = None


@dataclass(frozen=True)
class QuestionRule:
    """What validation needs of a question: an immutable snapshot (safe to cache)."""

    id: int
    position: int
    kind: QuestionKind
    required: bool
    options: dict[int, bool]  # option id -> is it the "other, write in" option


@dataclass(frozen=True)
class Submission:
    """The outcome of a submission: the response's id and whether it is new."""

    id: int
    created: bool


def salted_hash(secret_key: str, purpose: str, value: str) -> str:
    """A salted hash: repeats can be counted, the value (an IP, a cookie) cannot be recovered."""
    return sha256_hex(f"{secret_key}:{purpose}:{value}")


# Questions are frozen once a response exists, so their rules can be kept in memory from then
# on; keyed by (cycle id, random slug) so a recreated database never hits a stale entry.
_RULES: "OrderedDict[tuple[int, str], list[QuestionRule]]" = OrderedDict()
_RULES_LOCK = threading.Lock()
_RULES_MAX = 64


_RULE_ROWS = (
    select(Question.id, Question.position, Question.kind, Question.required)
    .add_columns(Option.id, Option.is_other)
    .outerjoin(Option, Option.question_id == Question.id)
    .where(Question.cycle_id == bindparam("cycle_id"))
    .order_by(Question.position, Option.position)
)


def _question_rules(connection: Connection, *, cycle_id: int, slug: str) -> list[QuestionRule]:
    with _RULES_LOCK:
        cached = _RULES.get((cycle_id, slug))
    if cached is not None:
        return cached
    rules: dict[int, QuestionRule] = {}
    for question_id, position, kind, required, option_id, is_other in connection.execute(
        _RULE_ROWS, {"cycle_id": cycle_id}
    ):
        rule = rules.setdefault(
            question_id, QuestionRule(question_id, position, kind, required, options={})
        )
        if option_id is not None:
            rule.options[option_id] = is_other
    return list(rules.values())


def _remember_rules(key: tuple[int, str], rules: list[QuestionRule]) -> None:
    with _RULES_LOCK:
        _RULES[key] = rules
        _RULES.move_to_end(key)
        while len(_RULES) > _RULES_MAX:
            _RULES.popitem(last=False)


def validate_answers(rules: list[QuestionRule], answers: list[AnswerInput]) -> list[dict[str, Any]]:
    """The answer rows for valid input, or AnswerInvalid (422) naming the question."""
    by_id = {q.id: q for q in rules}
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for answer in answers:
        question = by_id.get(answer.question_id)
        if question is None:
            raise AnswerInvalid(f"Невідоме питання: {answer.question_id}.")
        number, qid = question.position, question.id
        if qid in seen:
            raise AnswerInvalid(f"Питання {number} має дві відповіді.", question_id=qid)
        seen.add(qid)
        text = (answer.text or "").strip() or None
        if text is not None and len(text) > MAX_TEXT:
            raise AnswerInvalid(
                f"Відповідь на питання {number} задовга (понад {MAX_TEXT} символів).",
                question_id=qid,
            )
        if question.kind == QuestionKind.TEXT:
            if answer.option_ids:
                raise AnswerInvalid(f"Питання {number} не має варіантів.", question_id=qid)
            if text:
                rows.append({"question_id": qid, "option_id": None, "text": text})
            continue
        if any(i not in question.options for i in answer.option_ids):
            raise AnswerInvalid(
                f"Невідомий варіант відповіді на питання {number}.", question_id=qid
            )
        chosen = list(dict.fromkeys(answer.option_ids))
        if question.kind == QuestionKind.SINGLE and len(chosen) > 1:
            raise AnswerInvalid(
                f"На питання {number} можна обрати лише один варіант.", question_id=qid
            )
        other_chosen = any(question.options[i] for i in chosen)
        if text and not other_chosen:
            raise AnswerInvalid(
                f"Текст до питання {number} можна додати лише до варіанта «Інше».",
                question_id=qid,
            )
        for option_id in chosen:
            is_other = question.options[option_id]
            rows.append(
                {"question_id": qid, "option_id": option_id, "text": text if is_other else None}
            )
    answered = {row["question_id"] for row in rows}
    missing = [q for q in rules if q.required and q.id not in answered]
    if missing:
        raise AnswerInvalid(
            "Не надано відповіді на обов’язкові питання: "
            + ", ".join(str(q.position) for q in missing)
            + ".",
            question_id=missing[0].id,
        )
    if not rows:
        raise AnswerInvalid("Анкета порожня: дайте відповідь хоча б на одне питання.")
    return rows


# The submission path runs for every resident: its statements are built once, with bound
# parameters, so SQLAlchemy compiles each of them once (the benchmark's hot path).
_RESPONSE_SQL = (
    "INSERT INTO response (cycle_id, submitted_at, idempotency_key, ip_hash, browser_hash) "
    "VALUES (:cycle_id, :submitted_at, :idempotency_key, :ip_hash, :browser_hash) "
    "ON CONFLICT (cycle_id, idempotency_key) DO NOTHING RETURNING id"
)
_SUBMITTED_AT = bindparam("submitted_at", type_=Response.submitted_at.type)
# text(), not insert().on_conflict_do_nothing(): SQLAlchemy 2.0 cannot cache ON CONFLICT
# clauses, and compiling that statement for every submission was a third of its CPU.
_INSERT_RESPONSE = sql_text(_RESPONSE_SQL).bindparams(_SUBMITTED_AT)
_INSERT_ANSWERS = insert(Answer)
# PostgreSQL: the response and its answers in one statement, one round trip. A resent key
# inserts no response, so the answers' SELECT over it inserts nothing either.
_INSERT_RESPONSE_WITH_ANSWERS = sql_text(
    f"WITH r AS ({_RESPONSE_SQL}), "
    "a AS (INSERT INTO answer (response_id, question_id, option_id, text, is_hidden) "
    "SELECT r.id, u.q, u.o, u.t, false FROM r, unnest(CAST(:question_ids AS integer[]), "
    "CAST(:option_ids AS integer[]), CAST(:texts AS text[])) AS u(q, o, t)) "
    "SELECT id FROM r"
).bindparams(_SUBMITTED_AT)
_BY_KEY = select(Response.id).where(
    Response.cycle_id == bindparam("cycle_id"), Response.idempotency_key == bindparam("key")
)
_INVITATION_ONLY = (
    select(SurveyInvitation.id).where(SurveyInvitation.cycle_id == bindparam("cycle_id")).limit(1)
)
# Everything a submission checks before writing, in one round trip: the cycle and its
# consultation stage, whether invitations were issued, and the IP hash's recent responses
# (the rate limit refuses at the limit, so that count stays small and needs no LIMIT).
# Plain columns, run on the connection: no ORM objects on the hot path.
_SUBMISSION_CHECKS = (
    select(
        AuditCycle.id,
        Stage.starts_on,
        Stage.due_on,
        Stage.status,
        select(SurveyInvitation.id)
        .where(SurveyInvitation.cycle_id == AuditCycle.id)
        .exists()
        .label("invitation_only"),
        select(func.count(Response.id))
        .where(
            Response.cycle_id == AuditCycle.id,
            Response.ip_hash == bindparam("ip_hash"),
            Response.submitted_at > bindparam("since", type_=Response.submitted_at.type),
        )
        .scalar_subquery()
        .label("recent"),
    )
    .join(Stage, Stage.cycle_id == AuditCycle.id)
    .where(AuditCycle.survey_slug == bindparam("slug"), Stage.kind == StageKind.CONSULTATION)
)


def _insert_response(
    connection: Connection, values: dict[str, Any], rows: list[dict[str, Any]]
) -> int | None:
    """Insert a response and its answers; None when its idempotency key is already stored."""
    if connection.dialect.name == "postgresql":
        found: int | None = connection.execute(
            _INSERT_RESPONSE_WITH_ANSWERS,
            {
                **values,
                "question_ids": [row["question_id"] for row in rows],
                "option_ids": [row["option_id"] for row in rows],
                "texts": [row["text"] for row in rows],
            },
        ).scalar()
        return found
    found = connection.execute(_INSERT_RESPONSE, values).scalar()
    if found is not None:
        connection.execute(
            _INSERT_ANSWERS, [{**row, "response_id": found, "is_hidden": False} for row in rows]
        )
    return found


def _by_key(connection: Connection, *, cycle_id: int, key: str) -> int | None:
    return connection.scalar(_BY_KEY, {"cycle_id": cycle_id, "key": key})


def is_invitation_only(session: Session, *, cycle_id: int) -> bool:
    """True once the working group has issued invitation codes (a closed consultation)."""
    return session.scalar(_INVITATION_ONLY, {"cycle_id": cycle_id}) is not None


def answered_from_browser(db: Session | Connection, *, cycle_id: int, browser_hash: str) -> bool:
    """True when this browser (its cookie's hash) has already answered."""
    found = db.scalar(
        select(Response.id)
        .where(Response.cycle_id == cycle_id, Response.browser_hash == browser_hash)
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class _Write:
    """A checked submission, ready to be written."""

    cycle_id: int
    values: dict[str, Any]
    rows: list[dict[str, Any]]
    rules: list[QuestionRule]
    invitation_code: str | None


@dataclass(frozen=True)
class _Submitted:
    """A resident's submission as it arrived, before any check."""

    slug: str
    answers: list[AnswerInput]
    idempotency_key: str
    ip_hash: str | None
    now: datetime
    browser_hash: str | None
    invitation_code: str | None
    rate_limit: int
    rate_window: timedelta


def start_submission(
    engine: Engine,
    *,
    slug: str,
    answers: list[AnswerInput],
    idempotency_key: str,
    ip_hash: str | None,
    now: datetime,
    browser_hash: str | None = None,
    invitation_code: str | None = None,
    rate_limit: int = 0,
    rate_window: timedelta = timedelta(hours=1),
) -> "Future[Submission]":
    """Store one anonymous response; a resent idempotency key returns the stored one, not new.

    Returns at once; the Future holds the outcome (or the refusal) once it is committed: the
    event loop awaits it with `asyncio.wrap_future`, a worker thread with `.result()`. Every
    resident's submission takes this path, on Core connections (an ORM session costs more CPU
    than the statements). On SQLite it goes to the database's writer thread, which checks and
    writes what has queued on one connection and commits it at once, so the rate limit is
    exact there. On PostgreSQL it runs on a worker thread beside the others; the rate limit
    may then let a burst from one address through a few responses past it: it is a guard
    against abuse, not a quota. Nothing is written unless everything is accepted.
    """
    submitted = _Submitted(
        slug,
        answers,
        idempotency_key,
        ip_hash,
        now,
        browser_hash,
        invitation_code,
        rate_limit,
        rate_window,
    )
    if engine.dialect.name == "sqlite":
        return _SQLITE_WRITER.submit(engine, submitted)
    return _submitters().submit(_submit_alone, engine, submitted)


@lru_cache
def _submitters() -> ThreadPoolExecutor:
    # As many threads as pooled connections. A plain executor, not the web server's thread
    # pool: its hand-off costs the event loop a fraction of anyio's.
    return ThreadPoolExecutor(get_settings().database_pool_size, thread_name_prefix="survey")


def _submit_alone(engine: Engine, submitted: _Submitted) -> Submission:
    with engine.connect() as connection:
        try:
            stored = _submit(connection, submitted)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    return stored


def _submit(connection: Connection, submitted: _Submitted) -> Submission:
    """Check and write one submission on the connection; the caller commits."""
    checked = _check_submission(connection, submitted)
    if isinstance(checked, Submission):
        return checked
    stored = _write_submission(connection, checked)
    if stored.created:
        # Safe before the commit: a submission is only taken while the consultation is
        # open, and from then on the questions can no longer be edited.
        _remember_rules((checked.cycle_id, submitted.slug), checked.rules)
    return stored


def _check_submission(connection: Connection, submitted: _Submitted) -> "Submission | _Write":
    """The checks a submission must pass: a refusal, a resent form's stored one, or the write."""
    slug, now, key = submitted.slug, submitted.now, submitted.idempotency_key
    ip_hash, rate_limit = submitted.ip_hash, submitted.rate_limit
    params = {"slug": slug, "ip_hash": ip_hash if rate_limit > 0 else None}
    since = now - submitted.rate_window
    checks = connection.execute(_SUBMISSION_CHECKS, {**params, "since": since}).first()
    if checks is None:
        raise NotFound("Опитування не знайдено.")
    cycle_id, invitation_only, recent = checks.id, checks.invitation_only, checks.recent
    ensure_accepting(checks, now=now, what="Опитування")
    browser_hash = submitted.browser_hash
    if browser_hash and answered_from_browser(
        connection, cycle_id=cycle_id, browser_hash=browser_hash
    ):
        existing = _by_key(connection, cycle_id=cycle_id, key=key)
        if existing is not None:  # the same form sent twice (a double click)
            return Submission(existing, False)
        raise Conflict("З цього браузера відповідь на опитування вже надіслано. Дякуємо!")
    if rate_limit > 0 and ip_hash and recent >= rate_limit:
        existing = _by_key(connection, cycle_id=cycle_id, key=key)
        if existing is not None:
            return Submission(existing, False)
        raise RateLimited("Забагато відповідей з вашої мережі за короткий час. Спробуйте пізніше.")
    rules = _question_rules(connection, cycle_id=cycle_id, slug=slug)
    rows = validate_answers(rules, submitted.answers)
    code = submitted.invitation_code
    if invitation_only and not (code or "").strip():
        raise InvitationRefused("Це опитування — лише за запрошенням: введіть код запрошення.")
    values = {
        "cycle_id": cycle_id,
        "submitted_at": now,
        "idempotency_key": key,
        "ip_hash": ip_hash,
        "browser_hash": browser_hash,
    }
    return _Write(cycle_id, values, rows, rules, code if invitation_only else None)


def _write_submission(connection: Connection, write: _Write) -> Submission:
    response_id = _insert_response(connection, write.values, write.rows)
    if response_id is None:  # resent: the first one won
        existing = _by_key(connection, cycle_id=write.cycle_id, key=write.values["idempotency_key"])
        assert existing is not None
        return Submission(existing, False)
    if write.invitation_code is not None:
        _use_invitation(connection, cycle_id=write.cycle_id, code=write.invitation_code)
    return Submission(response_id, True)


# SQLite has a single writer: submissions queue for it (no polling, unlike SQLite's busy
# handler, which under 64 clients starves some of them), and its thread checks and writes
# all that queued in one transaction (on the benchmark: 1,400 submissions/s, 1.2 times the
# bare one-row baseline; with a worker thread and a commit per submission, 650/s and 0.5).
_SQLITE_WRITER: SqliteWriter[_Submitted, Submission] = SqliteWriter(_submit)


# --- Invitation codes (closed consultations) --------------------------------------------------


def invitation_hash(code: str) -> str:
    """The stored form of a code (codes are random, so a plain hash is enough)."""
    return sha256_hex("invitation:" + code.strip())


def issue_invitations(
    session: Session,
    *,
    cycle_id: int,
    count: int,
    now: datetime,
    actor: Actor,
) -> list[str]:
    """Issue one-time codes; the survey then accepts only responses with an unused code."""
    if not 1 <= count <= 10_000:
        raise Invalid("Кількість кодів має бути від 1 до 10 000.", field="count")
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    codes = [new_token(9) for _ in range(count)]
    session.execute(
        insert(SurveyInvitation),
        [
            {
                "cycle_id": cycle_id,
                "code_hash": invitation_hash(c),
                "used": False,
                "created_at": now,
            }
            for c in codes
        ],
    )
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="survey.invitations_issued",
        at=now,
        actor=actor,
        details={"count": count},
    )
    return codes


def invitation_counts(session: Session, *, cycle_id: int) -> tuple[int, int]:
    """How many codes were issued and how many used."""
    issued, used = session.execute(
        select(
            func.count(SurveyInvitation.id),
            func.count(SurveyInvitation.id).filter(SurveyInvitation.used.is_(True)),
        ).where(SurveyInvitation.cycle_id == cycle_id)
    ).one()
    return issued or 0, used or 0


def _use_invitation(connection: Connection, *, cycle_id: int, code: str) -> None:
    result = connection.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.cycle_id == cycle_id,
            SurveyInvitation.code_hash == invitation_hash(code),
            SurveyInvitation.used.is_(False),
        )
        .values(used=True)
    )
    if result.rowcount != 1:
        raise InvitationRefused("Код запрошення недійсний або вже використаний.")


# --- Results, aggregated in SQL ---------------------------------------------------------------


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

    @property
    def denominator(self) -> str:
        """The base of the percentages, as the report prints it: "n = 13 з 38"."""
        return f"n = {self.answered} з {self.participants}"


def survey_results(session: Session, *, cycle_id: int) -> list[QuestionResult]:
    """Per-question counts and percentages over those who answered it, aggregated in SQL."""
    participants = count_responses(session, cycle_id=cycle_id)
    questions = list_questions(session, cycle_id=cycle_id)
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
                        is_other=o.is_other,
                    )
                    for o in question.options
                ],
                texts=texts.get(question.id, []),
                question_id=question.id,
                hidden=hidden.get(question.id, 0),
            )
        )
    return results


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


# --- Moderation of texts (proposals and "other" write-ins) ------------------------------------


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


# --- Anonymised export ------------------------------------------------------------------------

HIDDEN_TEXT = "[приховано модератором]"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    # A spreadsheet would run a cell starting with "=" as a formula: quote it.
    return "'" + text if text.startswith(_FORMULA_START) else text


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
        shown = HIDDEN_TEXT if is_hidden else _cell(text or "")
        if option_id is None:
            parts.append(shown)
        elif text is not None:
            parts.append(f"{labels[option_id]}: {shown}")
        else:
            parts.append(labels[option_id])
    if current is not None:
        yield [str(number), day, *("; ".join(c) for c in cells)]
