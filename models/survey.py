"""The residents' anonymous consultation survey."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, utcnow
from models.organization import enum_column


class QuestionKind(enum.StrEnum):
    """How a question is answered."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"


class Question(Base):
    """A consultation question of a cycle."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("cycle_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    required: Mapped[bool] = mapped_column(default=False)

    options: Mapped[list["Option"]] = relationship(
        lazy="raise", order_by="Option.position", cascade="all, delete-orphan"
    )


class Option(Base):
    """A choice of a single- or multiple-choice question."""

    __tablename__ = "option"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(500))
    is_other: Mapped[bool] = mapped_column(default=False)  # "other, write in"


class Response(Base):
    """One resident's anonymous response: no name, no IP in clear."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("cycle_id", "idempotency_key"),
        # The rate limit counts one IP hash's recent responses; the browser check finds a repeat.
        Index("ix_response_cycle_ip_hash", "cycle_id", "ip_hash", "submitted_at"),
        Index("ix_response_cycle_browser_hash", "cycle_id", "browser_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    browser_hash: Mapped[str | None] = mapped_column(String(64))  # salted hash of the cookie


class Answer(Base):
    """One answer: an option chosen, or a text (free text or the "other" write-in)."""

    __tablename__ = "answer"
    __table_args__ = (
        Index("ix_answer_question_option", "question_id", "option_id"),
        # Covers "how many respondents answered each question" without touching the table.
        Index("ix_answer_question_response", "question_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("option.id", ondelete="CASCADE"))
    text: Mapped[str | None] = mapped_column(Text)
    is_hidden: Mapped[bool] = mapped_column(default=False)  # moderation keeps the text, hides it


class SurveyInvitation(Base):
    """A one-time invitation code of a closed consultation; only its hash is stored.

    It records whether it was used, never by which response: answers stay anonymous.
    """

    __tablename__ = "survey_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyTotals(Timestamped, Base):
    """A historical cycle's survey figures entered by hand: its survey ran long ago, offline or
    in another tool, so there are no responses to count. Per question and option below."""

    __tablename__ = "survey_totals"
    __table_args__ = (CheckConstraint("participants >= 0", name="participants"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("audit_cycle.id", ondelete="CASCADE"), unique=True
    )
    participants: Mapped[int]


class QuestionTotal(Base):
    """How many participants answered a question, as entered with the survey totals."""

    __tablename__ = "question_total"
    __table_args__ = (CheckConstraint("answered >= 0", name="answered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), unique=True
    )
    answered: Mapped[int]


class OptionTotal(Base):
    """How many participants chose an option, as entered with the survey totals."""

    __tablename__ = "option_total"
    __table_args__ = (CheckConstraint("chosen >= 0", name="chosen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("option.id", ondelete="CASCADE"), unique=True)
    chosen: Mapped[int]
