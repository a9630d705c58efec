"""The residents' anonymous survey (JSON API; the public page comes later)."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from api.deps import DB, AppSettings, Now
from api.schemas import QuestionRead, ResponseRead, SurveyRead
from models.cycle import StageKind
from models.organization import Organization
from models.schemas import SurveyResponseCreate
from models.security import new_token, sha256_hex
from models.services.stages import get_stage
from models.services.surveys import AnswerInput, get_cycle_by_slug, list_questions, submit_response

router = APIRouter(prefix="/api/survey", tags=["опитування"])

NOTICE = (
    "Опитування анонімне: ми не збираємо імен і не зберігаємо IP-адрес у відкритому вигляді. "
    "Відповіді використовуються лише для інформаційного аудиту та публікуються узагальнено."
)


@router.get("/{slug}", response_model=SurveyRead)
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


@router.post("/{slug}/responses", status_code=201, response_model=ResponseRead)
def respond(
    slug: str,
    body: SurveyResponseCreate,
    request: Request,
    response: Response,
    session: DB,
    now: Now,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> ResponseRead:
    """Submit an anonymous response; resending the same idempotency key stores nothing new."""
    key = body.idempotency_key or idempotency_key or new_token(16)
    client_ip = request.client.host if request.client else ""
    # Salted with the secret key: the IP cannot be recovered, but repeats can be counted.
    ip_hash = sha256_hex(f"{settings.secret_key}:ip:{client_ip}") if client_ip else None
    stored, created = submit_response(
        session,
        slug=slug,
        answers=[AnswerInput(a.question_id, list(a.option_ids), a.text) for a in body.answers],
        idempotency_key=key,
        ip_hash=ip_hash,
        now=now,
    )
    if not created:
        response.status_code = 200
    return ResponseRead(id=stored.id, created=created)
