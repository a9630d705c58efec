"""Submitting a response (residents): the statements, the checks and the write, handed to
SQLite's writer thread or run on a PostgreSQL worker thread."""

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from models.cycle import AuditCycle, Stage, StageKind
from models.errors import Conflict, NotFound
from models.services.stages import ensure_accepting
from models.services.surveys.invitations import use_invitation
from models.services.surveys.submission import (
    AnswerInput,
    InvitationRefused,
    QuestionRule,
    RateLimited,
    Submission,
    validate_answers,
)
from models.settings import get_settings
from models.sqlite_writer import SqliteWriter
from models.survey import Answer, Option, Question, Response, SurveyInvitation

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
    exact there. On PostgreSQL it runs on a worker thread beside the others, behind an advisory
    lock per address and per browser, so the limit and the one-answer-per-browser rule hold
    exactly across any number of web hosts. Nothing is written unless everything is accepted.
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


# Serializes, across every web host, the submissions that one rule counts together: those
# from one IP hash (the rate limit) and those from one browser (one answer per browser).
# Transaction-scoped advisory locks, always taken in this order, so no two can deadlock.
_PG_LOCK = sql_text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def _lock_counted_together(connection: Connection, submitted: _Submitted) -> None:
    keys = []
    if submitted.rate_limit > 0 and submitted.ip_hash:
        keys.append(f"survey:{submitted.slug}:ip:{submitted.ip_hash}")
    if submitted.browser_hash:
        keys.append(f"survey:{submitted.slug}:browser:{submitted.browser_hash}")
    for key in keys:
        connection.execute(_PG_LOCK, {"key": key})


def _submit_alone(engine: Engine, submitted: _Submitted) -> Submission:
    with engine.connect() as connection:
        try:
            # The checks below then see every earlier submission of the same address or
            # browser, whichever host took it: the limit and the duplicate check are exact.
            _lock_counted_together(connection, submitted)
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
        use_invitation(connection, cycle_id=write.cycle_id, code=write.invitation_code)
    return Submission(response_id, True)


# SQLite has a single writer: submissions queue for it (no polling, unlike SQLite's busy
# handler, which under 64 clients starves some of them), and its thread checks and writes
# all that queued in one transaction (on the benchmark: 1,400 submissions/s, 1.2 times the
# bare one-row baseline; with a worker thread and a commit per submission, 650/s and 0.5).
_SQLITE_WRITER: SqliteWriter[_Submitted, Submission] = SqliteWriter(_submit)
