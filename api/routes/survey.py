"""The residents' anonymous survey (JSON API) and the working group's survey endpoints."""

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import DB, AppSettings, Editor, Now, WorkingGroup
from api.routes.cycles import survey_url
from api.schemas import QuestionRead, ResponseRead, SurveyRead
from models.account import Account
from models.actor import Actor
from models.cycle import AuditCycle, StageKind
from models.errors import Invalid
from models.organization import Organization
from models.plan import QuestionPlan
from models.schemas import SurveyResponseCreate
from models.security import new_token
from models.services.cycles import get_own_cycle
from models.services.stages import get_stage
from models.services.surveys.export import export_rows
from models.services.surveys.invitations import (
    invitation_counts,
    is_invitation_only,
    issue_invitations,
)
from models.services.surveys.moderation import TextAnswer, list_texts, set_text_hidden
from models.services.surveys.questions import (
    count_responses,
    editing_refusal,
    get_cycle_by_slug,
    list_questions,
    replace_questions,
)
from models.services.surveys.results import CrossTab, QuestionResult, crosstab, survey_results
from models.services.surveys.submission import AnswerInput, salted_hash
from models.services.surveys.submission_io import start_submission
from models.settings import Settings
from report_templates.charts import bar_chart_svg

router = APIRouter(tags=["опитування"])

# Reading results: the whole working group; changing the survey: coordinator and members.

NOTICE = (
    "Опитування анонімне: ми не збираємо імен і не зберігаємо IP-адрес у відкритому вигляді. "
    "Відповіді використовуються лише для інформаційного аудиту та публікуються узагальнено."
)


def client_ip_hash(request: Request, settings: Settings) -> str | None:
    """The salted hash of the client's IP (the IP itself is never stored)."""
    client_ip = request.client.host if request.client else ""
    return salted_hash(settings.secret_key, "ip", client_ip) if client_ip else None


def rate_limit_of(settings: Settings) -> dict[str, Any]:
    """The configured per-IP-hash rate limit, as start_submission takes it."""
    return {
        "rate_limit": settings.survey_rate_limit,
        "rate_window": timedelta(minutes=settings.survey_rate_window_minutes),
    }


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


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its local `$defs` written in place (for a hand-declared body)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


MAX_HEADER = 64
_RESPONSE_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline_refs(SurveyResponseCreate.model_json_schema())}
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
            now=request.app.state.clock.now(),
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


class OptionResultRead(BaseModel):
    """One option's count and share of those who answered the question."""

    label: str
    count: int
    percent: float
    is_other: bool


class QuestionResultRead(BaseModel):
    """One question's results with its denominator ("n = 13 з 38")."""

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


def _cycle(session: Session, cycle_id: int, account: Account) -> AuditCycle:
    # Another organization's cycle is "not found", never "forbidden".
    return get_own_cycle(session, cycle_id=cycle_id, organization_id=account.organization_id)


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
    cycle_id: int, session: DB, now: Now, settings: AppSettings, account: WorkingGroup
) -> SurveyAdminRead:
    """The survey's questions, whether they can still be edited, and its figures."""
    cycle = _cycle(session, cycle_id, account)
    refusal = editing_refusal(session, cycle_id=cycle.id, now=now)
    issued, used = invitation_counts(session, cycle_id=cycle.id)
    return SurveyAdminRead(
        url=survey_url(settings, cycle),
        participants=count_responses(session, cycle_id=cycle.id),
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
    cycle_id: int, body: list[QuestionPlan], session: DB, now: Now, account: Editor
) -> list[QuestionRead]:
    """Replace the question set (text, kind, options, "other", required, order).

    Only before the consultation opens and before the first answer (409 otherwise).
    """
    cycle = _cycle(session, cycle_id, account)
    stored = replace_questions(
        session,
        cycle_id=cycle.id,
        questions=body,
        now=now,
        actor=Actor.of(account),
    )
    return [QuestionRead.model_validate(q) for q in stored]


@router.get("/api/cycles/{cycle_id}/survey/results", response_model=list[QuestionResultRead])
def results(cycle_id: int, session: DB, account: WorkingGroup) -> list[QuestionResultRead]:
    """Counts and percentages per question over those who answered it (aggregated in SQL)."""
    cycle = _cycle(session, cycle_id, account)
    return [result_read(r) for r in survey_results(session, cycle_id=cycle.id)]


@router.get(
    "/api/cycles/{cycle_id}/survey/charts/{question_id}.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def chart(cycle_id: int, question_id: int, session: DB, account: WorkingGroup) -> Response:
    """A question's bar chart (SVG), as in the report's Annex 3."""
    cycle = _cycle(session, cycle_id, account)
    found = [r for r in survey_results(session, cycle_id=cycle.id) if r.question_id == question_id]
    if not found or not found[0].options:
        return Response(status_code=404, content="Діаграми для цього питання немає.")
    return Response(content=str(bar_chart_svg(found[0])), media_type="image/svg+xml")


@router.get("/api/cycles/{cycle_id}/survey/crosstab", response_model=CrossTabRead)
def cross_tabulation(
    cycle_id: int,
    session: DB,
    account: WorkingGroup,
    question: Annotated[int, Query(description="питання з вибором")],
    by: Annotated[int, Query(description="демографічне питання з одним варіантом")],
) -> CrossTabRead:
    """A choice question's answers by a demographic question (residence, gender, age group)."""
    cycle = _cycle(session, cycle_id, account)
    table = crosstab(session, cycle_id=cycle.id, question_id=question, by_question_id=by)
    return crosstab_read(table)


@router.get("/api/cycles/{cycle_id}/survey/texts", response_model=list[TextRead])
def texts(cycle_id: int, session: DB, account: WorkingGroup) -> list[TextRead]:
    """Proposals and "other" write-ins, hidden ones included, for moderation."""
    cycle = _cycle(session, cycle_id, account)
    return [_text_read(t) for t in list_texts(session, cycle_id=cycle.id)]


def _text_read(text: TextAnswer) -> TextRead:
    return TextRead(**vars(text))


@router.post("/api/cycles/{cycle_id}/survey/texts/{answer_id}", response_model=TextRead)
def moderate(
    cycle_id: int,
    answer_id: int,
    body: ModerationUpdate,
    session: DB,
    now: Now,
    account: Editor,
) -> TextRead:
    """Hide an abusive text from the results and the report (kept in the database), or show it."""
    cycle = _cycle(session, cycle_id, account)
    text = set_text_hidden(
        session,
        cycle_id=cycle.id,
        answer_id=answer_id,
        hidden=body.hidden,
        now=now,
        actor=Actor.of(account),
    )
    return _text_read(text)


@router.post(
    "/api/cycles/{cycle_id}/survey/invitations", status_code=201, response_model=InvitationsRead
)
def invitations(
    cycle_id: int,
    body: InvitationsCreate,
    session: DB,
    now: Now,
    settings: AppSettings,
    account: Editor,
) -> InvitationsRead:
    """Issue one-time codes: from now on the survey accepts only responses with a code."""
    cycle = _cycle(session, cycle_id, account)
    codes = issue_invitations(
        session,
        cycle_id=cycle.id,
        count=body.count,
        now=now,
        actor=Actor.of(account),
    )
    base = survey_url(settings, cycle)
    return InvitationsRead(codes=codes, links=[f"{base}?code={code}" for code in codes])


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[bytes]:
    yield "\ufeff".encode()  # a BOM: spreadsheets then read the Ukrainian text as UTF-8
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


@router.get(
    "/api/cycles/{cycle_id}/survey/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(cycle_id: int, session: DB, account: WorkingGroup) -> Response:
    """All responses, anonymised: a number and the date; no IP hash, no cookie, no key."""
    cycle = _cycle(session, cycle_id, account)
    return Response(
        content=b"".join(_csv_lines(export_rows(session, cycle_id=cycle.id))),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="survey-{cycle.year}-{cycle.id}.csv"'
        },
    )
