"""The plan of a cycle, as the mayor's order approves it: the document a cycle is launched from."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models.bounds import trimmed
from models.cycle import STAGE_LABELS, StageKind
from models.survey import QuestionKind

Name = Annotated[str, trimmed(min_length=1, max_length=300)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)
]
# An e-mail or nothing (a form's empty field).
EmailOrEmpty = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=f"^$|{EMAIL_PATTERN}")
]


class Strict(BaseModel):
    """Unknown fields are an error: a typo in a plan must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class OrderPlan(Strict):
    """The mayor's order (розпорядження) that launches the cycle."""

    number: Annotated[str, trimmed(min_length=1, max_length=50)]
    date: date
    title: Name = "Про проведення інформаційного аудиту"


class PersonPlan(Strict):
    """An auditor or an involved person."""

    full_name: Name
    position: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    email: Email | None = None


class ContactPlan(Strict):
    """Whom units contact about the audit (the coordinator), named in overdue letters."""

    full_name: Name
    email: Email | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""


class StagePlan(Strict):
    """A stage's dates, inclusive."""

    starts_on: date
    due_on: date
    skip_reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = None

    @model_validator(mode="after")
    def _ordered(self) -> "StagePlan":
        if self.due_on < self.starts_on:
            raise ValueError("дата завершення етапу раніша за дату його початку")
        return self


class QuestionPlan(Strict):
    """A consultation question."""

    text: Annotated[str, trimmed(min_length=1, max_length=1000)]
    kind: QuestionKind
    required: bool = False
    options: list[Name] = Field(default_factory=list, max_length=100)
    allow_other: bool = False

    @model_validator(mode="after")
    def _options_fit_kind(self) -> "QuestionPlan":
        if self.kind == QuestionKind.TEXT and self.options:
            raise ValueError("питання з відповіддю у вільній формі не має варіантів")
        if self.kind != QuestionKind.TEXT and len(self.options) < 2:
            raise ValueError("питання з вибором має мати щонайменше два варіанти")
        if len(set(self.options)) != len(self.options):
            raise ValueError("варіанти відповіді повторюються")
        return self


class CyclePlan(Strict):
    """Everything needed to launch a cycle."""

    year: int = Field(ge=2015, le=2100)
    order: OrderPlan
    units: list[Name] = Field(min_length=1, max_length=500)
    auditors: list[PersonPlan] = Field(min_length=1, max_length=100)
    involved: list[PersonPlan] = Field(default_factory=list, max_length=200)
    stages: dict[StageKind, StagePlan]
    interview_schedule_on: date | None = None
    # "розпорядження міського голови від 04.10.2022 №182-р «Про заходи …»" (cited in the report)
    open_data_order: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    # The unit that runs the consultation and announces the survey (one of `units`).
    survey_unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    questions: list[QuestionPlan] | None = Field(default=None, max_length=100)
    # Without it, the launching coordinator's name and e-mail.
    contact: ContactPlan | None = None
    # A past year's audit entered afterwards: past dates allowed, no mail or reminders.
    historical: bool = False

    @model_validator(mode="after")
    def _schedule_is_coherent(self) -> "CyclePlan":
        missing = [STAGE_LABELS[k] for k in StageKind if k not in self.stages]
        if missing:
            raise ValueError("не задано дати етапів: " + "; ".join(missing))
        if len(set(self.units)) != len(self.units):
            raise ValueError("підрозділи у плані повторюються")
        reporting = self.stages[StageKind.REPORTING]
        for needed in (StageKind.CONSULTATION, StageKind.REMOTE_AUDIT, StageKind.INTERVIEWS):
            if reporting.starts_on <= self.stages[needed].due_on:
                raise ValueError(
                    "підготовка звіту має починатися після завершення етапу "
                    f"«{STAGE_LABELS[needed]}» ({self.stages[needed].due_on:%d.%m.%Y})"
                )
        if self.survey_unit and self.survey_unit not in self.units:
            raise ValueError("підрозділ, який проводить опитування, не входить до переліку")
        for kind, stage in self.stages.items():
            if stage.skip_reason and kind != StageKind.INTERVIEWS:
                raise ValueError("пропустити можна лише етап інтерв’ю")
        return self
