"""A resident's submission checked without I/O: the answers' rules and validation, the
refusals, and the salted hash that keeps the respondent anonymous."""

from dataclasses import dataclass, field
from typing import Any

from models.errors import DomainError, Invalid
from models.security import sha256_hex
from models.survey import QuestionKind

MAX_TEXT = 2000


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
        if other_chosen and not text:
            raise AnswerInvalid(
                f"У питанні {number} обрано «Інше»: напишіть, що саме.", question_id=qid
            )
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
