"""A historical cycle's survey totals, entered by hand by the working group (JSON API): its
survey ran long ago, offline or in another tool, so there are no responses to count."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import DB, CurrentActor, Editor, Now, OwnCycle, WorkingGroup
from api.schemas import QuestionResultRead, result_read
from models.bounds import RowId
from models.cycle import AuditCycle
from models.plan import Strict
from models.services.surveys.results import proposal_count, survey_results
from models.services.surveys.totals import (
    MAX_COUNT,
    OptionCount,
    QuestionCount,
    TotalsInput,
    enter_survey_totals,
    entered_totals,
    totals_refusal,
)

router = APIRouter(tags=["опитування"])

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class OptionTotalUpdate(Strict):
    """How many participants chose an option."""

    option_id: RowId
    chosen: Count


class QuestionTotalUpdate(Strict):
    """How many participants answered a question (a free-text one: the proposals), and chose
    each of its options; options not listed count 0."""

    question_id: RowId
    answered: Count
    options: list[OptionTotalUpdate] = Field(default_factory=list, max_length=200)


class SurveyTotalsUpdate(Strict):
    """The survey's totals; questions not listed count 0. Parts may not exceed their total."""

    participants: Count
    questions: list[QuestionTotalUpdate] = Field(default_factory=list, max_length=200)


class SurveyTotalsRead(BaseModel):
    """The totals as the report uses them, and whether they can be entered now (and why not)."""

    entered: bool
    entered_at: datetime | None
    editable: bool
    refusal: str | None
    participants: int
    proposals: int
    questions: list[QuestionResultRead]


def _read(session: Session, cycle: AuditCycle) -> SurveyTotalsRead:
    totals = entered_totals(session, cycle_id=cycle.id)
    refusal = totals_refusal(session, cycle=cycle)
    results = survey_results(session, cycle_id=cycle.id)
    return SurveyTotalsRead(
        entered=totals is not None,
        entered_at=totals.entered_at if totals else None,
        editable=refusal is None,
        refusal=refusal,
        participants=totals.participants if totals else 0,
        proposals=proposal_count(results) if totals else 0,
        questions=[result_read(r) for r in results] if totals else [],
    )


@router.get("/api/cycles/{cycle_id}/survey/totals", response_model=SurveyTotalsRead)
def survey_totals(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> SurveyTotalsRead:
    """The survey totals entered for a historical cycle, if any."""
    return _read(session, cycle)


@router.put("/api/cycles/{cycle_id}/survey/totals", response_model=SurveyTotalsRead)
def enter_totals(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: SurveyTotalsUpdate,
    session: DB,
    now: Now,
) -> SurveyTotalsRead:
    """Enter (or replace) a historical cycle's survey totals: the report and the year-over-year
    comparison then use them as counted responses. Another cycle: 409."""
    enter_survey_totals(
        session,
        cycle_id=cycle.id,
        totals=TotalsInput(
            participants=body.participants,
            questions=[
                QuestionCount(
                    question_id=q.question_id,
                    answered=q.answered,
                    options=[OptionCount(o.option_id, o.chosen) for o in q.options],
                )
                for q in body.questions
            ],
        ),
        now=now,
        actor=actor,
    )
    return _read(session, cycle)
