"""Input documents shared by the HTTP API, the CLI and the services (XCreate)."""

from datetime import date
from typing import Annotated, Self

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from models.account import Role
from models.bounds import MAX_INTEGER, RowId, trimmed
from models.organization import UnitKind
from models.plan import Email, Name, Strict
from models.questionnaire import AccessCategory, OwnerType
from models.standards import PHONE_PATTERN, normalize_phone

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
MAX_PHONE = 200


class UnitCreate(Strict):
    """A unit of the holder."""

    name: Name
    kind: UnitKind = UnitKind.EXECUTIVE_UNIT
    head_name: ShortText | None = None
    email: Email | None = None


class AccountCreate(Strict):
    """A login."""

    email: Email
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    full_name: ShortText = ""
    role: Role = Role.WORKING_GROUP


class AccountUpdate(Strict):
    """A login's new name, e-mail or role (what is left out stays)."""

    email: Email | None = None
    full_name: ShortText | None = None
    role: Role | None = None


class PasswordReset(Strict):
    """A new password set by the coordinator; left out, one is generated (shown once)."""

    password: Annotated[str, StringConstraints(min_length=10, max_length=200)] | None = None


class OrganizationCreate(Strict):
    """A holder with its units and its first coordinator."""

    name: Name
    edrpou: Annotated[str, StringConstraints(pattern=r"^\d{8}$")] | None = None
    place: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    units: list[UnitCreate] = Field(default_factory=list, max_length=500)
    coordinator: AccountCreate


class OfficialRef(Strict):
    """A responsible official named in the register."""

    full_name: Name
    position: ShortText = ""
    email: Email | None = None


class RegisterEntryCreate(Strict):
    """A dataset register row in the shape of Annex 1."""

    number: RowId
    name: Annotated[str, trimmed(min_length=1, max_length=2000)]
    units: list[Name] = Field(min_length=1)
    officials: list[OfficialRef] = Field(default_factory=list, max_length=50)  # in order
    official: OfficialRef | None = Field(
        default=None,
        deprecated=True,
        exclude=True,
        description="One official (older clients): folded into officials",
    )
    periodicity: Annotated[str, trimmed(min_length=1, max_length=500)]
    legal_basis: LongText = ""
    portal_url: Url | None = None

    @model_validator(mode="after")
    def _fold_official(self) -> Self:
        """The old single «official» becomes the only entry of «officials»."""
        single = self.__dict__.get("official")  # not the property: it warns as deprecated
        if single is not None:
            if self.officials:
                raise ValueError("вкажіть «officials» або «official», не обидва")
            self.officials = [single]
            self.__dict__["official"] = None
        return self


class InformationSystemCreate(Strict):
    """An information system or service named in a questionnaire."""

    name: Name
    url: Url | None = None
    basis: LongText = ""
    administrator: ShortText = ""
    owner_type: OwnerType | None = None
    description: LongText = ""
    holds_personal_data: bool = False
    export_formats: ShortText = ""
    has_api: bool = False


class InformationItemCreate(Strict):
    """A kind of public information named in a questionnaire."""

    name: Annotated[str, trimmed(min_length=1, max_length=500)]
    description: LongText = ""
    kept_in: ShortText = ""
    access_category: AccessCategory = AccessCategory.PUBLIC
    secret_explanation: LongText | None = None
    is_dataset_candidate: bool = False
    update_frequency: ShortText = ""
    approx_records: Annotated[int, Field(ge=0, le=MAX_INTEGER)] | None = None
    legal_basis: LongText = ""
    format: ShortText = ""
    restricted_fields: LongText = ""
    url: Url | None = None
    # The rest of infoAudit (the Ministry's "results of the information audit" structure).
    data_type: ShortText = ""
    data_creator: ShortText = ""
    data_transfer: ShortText = ""
    date_created: date | None = None
    source: LongText = ""
    usage_frequency: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    public_interest: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    government_interest: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200)
    ] = ""
    relation: LongText = ""
    structure: LongText = ""
    documentation: LongText = ""
    developer_name: ShortText = ""
    developer_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    dictionary: LongText = ""
    size: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    resource_url: Url | None = None


class RespondentCreate(Strict):
    """The staff member filling in the questionnaire."""

    full_name: Name
    position: ShortText = ""
    email: Email | None = None
    # The schema describes what is sent; the text is measured and normalised before pydantic's
    # own checks (a normalised list is longer than the text it came from).
    phone: Annotated[
        str, Field(json_schema_extra={"maxLength": MAX_PHONE, "pattern": PHONE_PATTERN})
    ] = ""

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        """+380XXXXXXXXX, as infoAudit's dataUserTelephone wants it."""
        if not isinstance(value, str):
            return value
        if len(value) > MAX_PHONE:
            raise PydanticCustomError("string_too_long", "too long", {"max_length": MAX_PHONE})
        return normalize_phone(value)


class QuestionnaireCreate(Strict):
    """A submitted questionnaire."""

    respondent: RespondentCreate
    systems: list[InformationSystemCreate] = Field(default_factory=list, max_length=500)
    items: list[InformationItemCreate] = Field(default_factory=list, max_length=1000)


class AnswerCreate(Strict):
    """A resident's answer to one question."""

    question_id: RowId
    option_ids: list[RowId] = Field(default_factory=list, max_length=100)
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SurveyResponseCreate(Strict):
    """A resident's anonymous response."""

    answers: list[AnswerCreate] = Field(max_length=200)
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=64)] | None = None
