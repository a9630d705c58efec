"""The residents' anonymous survey (JSON API) and the working group's survey endpoints."""

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.cycle_launch import survey_url
from api.deps import (
    DB,
    AppSettings,
    CurrentActor,
    Editor,
    Now,
    OwnCycle,
    WorkingGroup,
    app_clock,
)
from api.openapi import inline_refs
from api.schemas import QuestionResultRead, Read, result_read
from api.survey_access import NOTICE, client_ip_hash, rate_limit_of
from models.cycle import StageKind
from models.errors import Invalid
from models.organization import Organization
from models.plan import QuestionPlan
from models.schemas import SurveyResponseCreate
from models.security import new_token
from models.services.stages import get_stage
from models.services.surveys.export import export_rows
from models.services.surveys.invitations import (
    invitation_counts,
    is_invitation_only,
    issue_invitations,
)
from models.services.surveys.moderation import TextAnswer, list_texts, set_text_hidden
from models.services.surveys.questions import (
    editing_refusal,
    get_cycle_by_slug,
    list_questions,
    replace_questions,
)
from models.services.surveys.results import CrossTab, crosstab, survey_results
from models.services.surveys.submission import AnswerInput
from models.services.surveys.submission_io import start_submission
from models.services.surveys.totals import survey_participants
from models.settings import Settings
from models.survey import QuestionKind
from models.tabular import spreadsheet_safe
from report_templates.charts import bar_chart_svg

router = APIRouter(tags=["опитування"])

# Reading results: the whole working group; changing the survey: coordinator and members.


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


@router.get("/api/survey/{slug}", response_model=SurveyRead)
def questions(slug: str, session: DB) -> SurveyRead:
    """The survey's questions and dates."""
    cycle = get_cycle_by_slug(session, slug=slug)
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.CONSULTATION)
    return SurveyRead(
        organization=organization.name,
        year=cycle.year,
        starts_on=stage.starts_on,
        due_on=stage.due_on,
        notice=NOTICE,
        questions=[
            QuestionRead.model_validate(q) for q in list_questions(session, cycle_id=cycle.id)
        ],
    )


MAX_HEADER = 64
_RESPONSE_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inline_refs(SurveyResponseCreate.model_json_schema())}
        },
    },
    "parameters": [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
        for name in ("Idempotency-Key", "Invitation-Code")
    ],
}


def _header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is not None and len(value) > MAX_HEADER:
        raise Invalid(f"Заголовок {name} довший за {MAX_HEADER} символи.", field=name)
    return value


@router.post(
    "/api/survey/{slug}/responses",
    status_code=201,
    response_model=ResponseRead,
    openapi_extra=_RESPONSE_OPENAPI,
)
async def respond(slug: str, request: Request) -> Response:
    """Submit an anonymous response; resending the same idempotency key stores nothing new.

    A closed consultation needs an unused code in the `Invitation-Code` header.
    """
    # Every resident's submission runs this. The body is parsed and validated in one pass
    # (pydantic from the raw JSON; errors reach the same Ukrainian 422 handler); the database
    # work is handed off and awaited (start_submission: SQLite's writer thread, or a worker).
    body = SurveyResponseCreate.model_validate_json(await request.body())
    idempotency_key = _header(request, "Idempotency-Key")
    invitation_code = _header(request, "Invitation-Code")
    settings: Settings = request.app.state.settings

    stored = await asyncio.wrap_future(
        start_submission(
            request.app.state.engine,
            slug=slug,
            answers=[AnswerInput(a.question_id, list(a.option_ids), a.text) for a in body.answers],
            idempotency_key=body.idempotency_key or idempotency_key or new_token(16),
            ip_hash=client_ip_hash(request, settings),
            now=app_clock(request).now(),
            invitation_code=invitation_code,
            **rate_limit_of(settings),
        )
    )
    return Response(
        ResponseRead(id=stored.id, created=stored.created).model_dump_json(),
        status_code=201 if stored.created else 200,
        media_type="application/json",
    )


# --- The working group ------------------------------------------------------------------------


class SurveyAdminRead(BaseModel):
    """The survey as the working group manages it."""

    url: str
    participants: int
    editable: bool
    editing_refusal: str | None
    invitation_only: bool
    invitations_issued: int
    invitations_used: int
    questions: list[QuestionRead]


class CrossTabRead(BaseModel):
    """A cross-tabulation: counts and percents per demographic group, with the group bases."""

    question: str
    by_question: str
    columns: list[str]
    bases: list[int]
    rows: list[dict[str, Any]]


class TextRead(BaseModel):
    """A text answer for moderation."""

    id: int
    question_position: int
    question_text: str
    text: str
    is_other: bool
    is_hidden: bool


class ModerationUpdate(BaseModel):
    """Hide or show a text answer."""

    hidden: bool


class InvitationsCreate(BaseModel):
    """How many one-time invitation codes to issue."""

    count: int = Field(ge=1, le=10_000)


class InvitationsRead(BaseModel):
    """The issued codes (shown once: only their hashes are stored) and links with them."""

    codes: list[str]
    links: list[str]


def crosstab_read(table: CrossTab) -> CrossTabRead:
    """A cross-tabulation as the API shows it."""
    return CrossTabRead(
        question=table.question,
        by_question=table.by_question,
        columns=table.columns,
        bases=table.bases,
        rows=[
            {"label": label, "counts": counts, "percents": [round(p, 1) for p in percents]}
            for label, counts, percents in table.rows
        ],
    )


@router.get("/api/cycles/{cycle_id}/survey", response_model=SurveyAdminRead)
def survey_admin(
    _account: WorkingGroup, cycle: OwnCycle, session: DB, now: Now, settings: AppSettings
) -> SurveyAdminRead:
    """The survey's questions, whether they can still be edited, and its figures."""
    refusal = editing_refusal(session, cycle_id=cycle.id, now=now)
    issued, used = invitation_counts(session, cycle_id=cycle.id)
    return SurveyAdminRead(
        url=survey_url(settings, cycle),
        participants=survey_participants(session, cycle_id=cycle.id),
        editable=refusal is None,
        editing_refusal=refusal,
        invitation_only=is_invitation_only(session, cycle_id=cycle.id),
        invitations_issued=issued,
        invitations_used=used,
        questions=[
            QuestionRead.model_validate(q) for q in list_questions(session, cycle_id=cycle.id)
        ],
    )


@router.put("/api/cycles/{cycle_id}/survey/questions", response_model=list[QuestionRead])
def edit_questions(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: list[QuestionPlan],
    session: DB,
    now: Now,
) -> list[QuestionRead]:
    """Replace the question set (text, kind, options, "other", required, order).

    Only before the consultation opens and before the first answer (409 otherwise).
    """
    stored = replace_questions(
        session,
        cycle_id=cycle.id,
        questions=body,
        now=now,
        actor=actor,
    )
    return [QuestionRead.model_validate(q) for q in stored]


@router.get("/api/cycles/{cycle_id}/survey/results", response_model=list[QuestionResultRead])
def results(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[QuestionResultRead]:
    """Counts and percentages per question over those who answered it (aggregated in SQL)."""
    return [result_read(r) for r in survey_results(session, cycle_id=cycle.id)]


@router.get(
    "/api/cycles/{cycle_id}/survey/charts/{question_id}.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def chart(_account: WorkingGroup, cycle: OwnCycle, question_id: int, session: DB) -> Response:
    """A question's bar chart (SVG), as in the report's Annex 3."""
    found = [r for r in survey_results(session, cycle_id=cycle.id) if r.question_id == question_id]
    if not found or not found[0].options:
        return Response(status_code=404, content="Діаграми для цього питання немає.")
    return Response(content=str(bar_chart_svg(found[0])), media_type="image/svg+xml")


@router.get("/api/cycles/{cycle_id}/survey/crosstab", response_model=CrossTabRead)
def cross_tabulation(
    _account: WorkingGroup,
    cycle: OwnCycle,
    session: DB,
    question: Annotated[int, Query(description="питання з вибором")],
    by: Annotated[int, Query(description="демографічне питання з одним варіантом")],
) -> CrossTabRead:
    """A choice question's answers by a demographic question (residence, gender, age group)."""
    table = crosstab(session, cycle_id=cycle.id, question_id=question, by_question_id=by)
    return crosstab_read(table)


@router.get("/api/cycles/{cycle_id}/survey/texts", response_model=list[TextRead])
def texts(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[TextRead]:
    """Proposals and "other" write-ins, hidden ones included, for moderation."""
    return [_text_read(t) for t in list_texts(session, cycle_id=cycle.id)]


def _text_read(text: TextAnswer) -> TextRead:
    return TextRead(**vars(text))


@router.post("/api/cycles/{cycle_id}/survey/texts/{answer_id}", response_model=TextRead)
def moderate(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    answer_id: int,
    body: ModerationUpdate,
    session: DB,
    now: Now,
) -> TextRead:
    """Hide an abusive text from the results and the report (kept in the database), or show it."""
    text = set_text_hidden(
        session,
        cycle_id=cycle.id,
        answer_id=answer_id,
        hidden=body.hidden,
        now=now,
        actor=actor,
    )
    return _text_read(text)


@router.post(
    "/api/cycles/{cycle_id}/survey/invitations", status_code=201, response_model=InvitationsRead
)
def invitations(
    _account: Editor,
    cycle: OwnCycle,
    actor: CurrentActor,
    body: InvitationsCreate,
    session: DB,
    now: Now,
    settings: AppSettings,
) -> InvitationsRead:
    """Issue one-time codes: from now on the survey accepts only responses with a code."""
    codes = issue_invitations(
        session,
        cycle_id=cycle.id,
        count=body.count,
        now=now,
        actor=actor,
    )
    base = survey_url(settings, cycle)
    return InvitationsRead(codes=codes, links=[f"{base}?code={code}" for code in codes])


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[bytes]:
    yield "\ufeff".encode()  # a BOM: spreadsheets then read the Ukrainian text as UTF-8
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


@router.get(
    "/api/cycles/{cycle_id}/survey/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> Response:
    """All responses, anonymised: a number and the date; no IP hash, no cookie, no key."""
    return Response(
        content=b"".join(_csv_lines(export_rows(session, cycle_id=cycle.id))),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="survey-{cycle.year}-{cycle.id}.csv"'
        },
    )
