"""Response schemas of the HTTP API (XRead); inputs are in models.schemas."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.account import Role
from models.cycle import CycleStatus, StageKind, StageStatus
from models.organization import UnitKind
from models.survey import QuestionKind


class Read(BaseModel):
    """Read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class LoginRequest(BaseModel):
    """E-mail and password."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class LoginRead(BaseModel):
    """A new session."""

    token: str
    expires_at: datetime
    role: Role
    organization_id: int | None


class UnitRead(Read):
    """A unit."""

    id: int
    name: str
    kind: UnitKind
    head_name: str | None
    email: str | None


class OrganizationRead(Read):
    """An organization with its units."""

    id: int
    name: str
    edrpou: str | None
    units: list[UnitRead]


class AccountRead(Read):
    """A login (never its password)."""

    id: int
    email: str
    full_name: str
    role: Role
    organization_id: int | None


class StageRead(Read):
    """A stage with its dates."""

    kind: StageKind
    label: str
    starts_on: date
    due_on: date
    status: StageStatus
    skipped_reason: str | None
    opened_at: datetime | None
    closed_at: datetime | None


class UnitLinkRead(BaseModel):
    """A unit's secret questionnaire link."""

    unit: str
    email: str | None
    url: str


class CycleRead(BaseModel):
    """A cycle's state and figures."""

    id: int
    organization_id: int
    year: int
    order_number: str
    order_date: date
    status: CycleStatus
    survey_url: str
    stages: list[StageRead]
    units: int
    questionnaires: int
    units_with_questionnaire: int
    information_systems: int
    information_items: int
    survey_participants: int
    report_version: int | None
    report_url: str | None


class LaunchRead(CycleRead):
    """A launched cycle with the links to hand out."""

    links: list[UnitLinkRead]


class RegisterImportRead(BaseModel):
    """How many register rows were added."""

    added: int


class QuestionnaireFormRead(BaseModel):
    """What a staff member sees behind the unit's link."""

    organization: str
    unit: str
    year: int
    starts_on: date
    due_on: date
    accepting: bool


class SubmissionRead(BaseModel):
    """A stored questionnaire."""

    id: int
    systems: int
    items: int


class OptionRead(Read):
    """A choice."""

    id: int
    label: str
    is_other: bool


class QuestionRead(Read):
    """A consultation question."""

    id: int
    position: int
    text: str
    kind: QuestionKind
    required: bool
    options: list[OptionRead]


class SurveyRead(BaseModel):
    """The public survey."""

    organization: str
    year: int
    starts_on: date
    due_on: date
    notice: str
    questions: list[QuestionRead]


class ResponseRead(BaseModel):
    """A stored response (no content echoed back)."""

    id: int
    created: bool


class EventRead(Read):
    """An audit-trail entry."""

    at: datetime
    actor: str
    action: str
    details: dict[str, object]
