"""Response schemas several API modules share (XRead); each route module keeps its own, and
inputs are in models.schemas."""

from pydantic import BaseModel, ConfigDict


class Read(BaseModel):
    """Read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class UnitLinkRead(BaseModel):
    """A unit's secret questionnaire link (the cycle routes and the console show them)."""

    unit: str
    email: str | None
    url: str


class RegisterImportRead(BaseModel):
    """How many register rows were added (by JSON rows or by an imported file)."""

    added: int
