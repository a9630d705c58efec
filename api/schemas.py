"""Response schemas several API modules share (XRead); each route module keeps its own, and
inputs are in models.schemas."""

from pydantic import BaseModel, ConfigDict, Field

from models.account import Role
from models.organization import UnitKind
from models.services.surveys.results import QuestionResult


class Read(BaseModel):
    """Read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class UnitRead(Read):
    """A unit."""

    id: int
    name: str
    kind: UnitKind
    head_name: str | None
    email: str | None
    is_active: bool


class AccountRead(Read):
    """A login (never its password)."""

    id: int
    email: str
    full_name: str
    role: Role
    organization_id: int | None
    is_active: bool


class UnitLinkRead(BaseModel):
    """A unit's secret questionnaire link (the cycle routes and the console show them)."""

    unit: str
    email: str | None
    url: str


class RegisterImportRead(BaseModel):
    """How many register rows were added (by JSON rows or by an imported file)."""

    added: int


class FieldErrorRead(BaseModel):
    """One refused field and why, in Ukrainian."""

    field: str = Field(description="The field's path (`units.0.email`), or `body` for the whole")
    message: str


class ErrorRead(BaseModel):
    """Every refusal of the API (4xx, 5xx): a Ukrainian sentence, and the fields it concerns."""

    detail: str
    errors: list[FieldErrorRead] = Field(
        default_factory=list, description="Present when the refusal names fields"
    )


class OptionResultRead(BaseModel):
    """One option's count and share of those who answered the question."""

    label: str
    count: int
    percent: float
    is_other: bool


class QuestionResultRead(BaseModel):
    """One question's results with its denominator ("n = 13 з 38"): the survey's results and a
    historical cycle's totals show them alike."""

    question_id: int
    position: int
    text: str
    kind: str
    answered: int
    participants: int
    denominator: str
    options: list[OptionResultRead]
    texts: list[str]
    hidden_texts: int


def result_read(result: QuestionResult) -> QuestionResultRead:
    """A question's results as the API shows them."""
    return QuestionResultRead(
        question_id=result.question_id,
        position=result.position,
        text=result.text,
        kind=result.kind.value,
        answered=result.answered,
        participants=result.participants,
        denominator=result.denominator,
        options=[OptionResultRead(**vars(o)) for o in result.options],
        texts=result.texts,
        hidden_texts=result.hidden,
    )
