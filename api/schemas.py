"""Response schemas several API modules share (XRead); each route module keeps its own, and
inputs are in models.schemas."""

from pydantic import BaseModel, ConfigDict, Field

from models.account import Role
from models.organization import UnitKind


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
