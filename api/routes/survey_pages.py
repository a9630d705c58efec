"""The residents' public survey page: a plain HTML form, no JavaScript needed.

Integrity without identity: a CSRF token, an idempotency key in a hidden field (a double click
or a resent form stores one response), a honeypot field for bots, a per-browser cookie (only
its salted hash is stored) and the per-IP-hash rate limit of the JSON API.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import DB, AppSettings, Now
from api.survey_access import NOTICE, client_ip_hash, rate_limit_of
from api.web import CSRF_FIELD, is_secure, render_page, verify_csrf
from models.cycle import AuditCycle, Stage, StageKind
from models.errors import Conflict
from models.organization import Organization
from models.security import new_token
from models.services.stages import ensure_accepting, get_stage
from models.services.surveys.invitations import is_invitation_only
from models.services.surveys.questions import get_cycle_by_slug, list_questions
from models.services.surveys.submission import (
    MAX_TEXT,
    AnswerInput,
    AnswerInvalid,
    InvitationRefused,
    salted_hash,
)
from models.services.surveys.submission_io import answered_from_browser, start_submission
from models.survey import Question, QuestionKind

router = APIRouter(include_in_schema=False)

BROWSER_COOKIE = "infoaudit_survey"
HONEYPOT_FIELD = "website"  # bots fill every field; people never see this one
KEY_FIELD = "idempotency_key"
CODE_FIELD = "code"
CLEAR_FIELD = "clear"  # the button that clears one question's chosen answer (q<id>)
LONG_FORM = 5  # from this many questions on, the form shows how far the resident is
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_QUESTION_FIELD = re.compile(r"^q(\d+)(?:_text|_other)?$")

COOKIE_NOTICE = (
    "Щоб не приймати повторних відповідей, сайт зберігає у Вашому браузері випадковий "
    "ідентифікатор (cookie); на сервері зберігається лише його незворотний хеш."
)


async def form_or_none(request: Request) -> FormData | None:
    """The request's form, or None when the body is not a form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        return None
    return await request.form()


Form = Annotated[FormData | None, Depends(form_or_none)]


def _browser_token(request: Request) -> tuple[str, bool]:
    """This browser's survey cookie value, and whether it is new (to be set)."""
    token = request.cookies.get(BROWSER_COOKIE, "")
    if 16 <= len(token) <= 64:
        return token, False
    return new_token(24), True


def _with_cookie(request: Request, response: Response, token: str, new: bool) -> Response:
    if new:
        response.set_cookie(
            BROWSER_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=is_secure(request),
            max_age=60 * 60 * 24 * 365,
        )
    return response


def _closed_message(stage: Stage, now: Any) -> str | None:
    try:
        ensure_accepting(stage, now=now, what="Опитування")
    except Conflict as refusal:
        return refusal.message
    return None


def _context(session: Session, cycle: AuditCycle, stage: Stage) -> dict[str, Any]:
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    return {
        "organization_name": organization.name,
        "year": cycle.year,
        "slug": cycle.survey_slug,
        "starts_on": stage.starts_on,
        "due_on": stage.due_on,
        "notice": NOTICE,
        "cookie_notice": COOKIE_NOTICE,
    }


def _form_page(
    request: Request,
    session: Session,
    cycle: AuditCycle,
    context: dict[str, Any],
    *,
    key: str,
    kept: dict[str, Any],
    code: str = "",
    error: str | None = None,
    error_question: int | None = None,
    status_code: int = 200,
) -> Response:
    questions = list_questions(session, cycle_id=cycle.id)
    answered = sum(1 for q in questions if _is_answered(kept, q))
    return render_page(
        request,
        "survey/form.html",
        {
            **context,
            "questions": questions,
            "progress": (answered, len(questions)) if len(questions) >= LONG_FORM else None,
            "clear_field": CLEAR_FIELD,
            "kept": kept,
            "key": key,
            "key_field": KEY_FIELD,
            "honeypot_field": HONEYPOT_FIELD,
            "code_field": CODE_FIELD,
            "code": code,
            "invitation_only": is_invitation_only(session, cycle_id=cycle.id),
            "max_text": MAX_TEXT,
            "error": error,
            "error_question": error_question,
        },
        status_code,
    )


def _is_answered(kept: dict[str, Any], question: Question) -> bool:
    name = f"q{question.id}"
    chosen = any(str(v).strip() for v in kept.get(name, []))
    written = (str(kept.get(f"{name}{suffix}", "")).strip() for suffix in ("_text", "_other"))
    return chosen or any(written)


@router.get("/survey/{slug}", response_class=HTMLResponse)
def survey_page(
    slug: str, request: Request, session: DB, now: Now, settings: AppSettings, code: str = ""
) -> Response:
    """The survey form; before the start and after the due date, a notice with the dates."""
    cycle = get_cycle_by_slug(session, slug=slug)
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.CONSULTATION)
    context = _context(session, cycle, stage)
    token, new = _browser_token(request)
    closed = _closed_message(stage, now)
    if closed:
        page = render_page(request, "survey/closed.html", {**context, "message": closed})
    elif answered_from_browser(
        session,
        cycle_id=cycle.id,
        browser_hash=salted_hash(settings.secret_key, "browser", token),
    ):
        page = render_page(request, "survey/thanks.html", {**context, "again": True})
    else:
        page = _form_page(
            request, session, cycle, context, key=new_token(16), kept={}, code=code[:64]
        )
    return _with_cookie(request, page, token, new)


@router.get("/survey/{slug}/thanks", response_class=HTMLResponse)
def thanks_page(slug: str, request: Request, session: DB) -> Response:
    """Where a stored response lands (after a redirect, so a reload sends nothing again)."""
    cycle = get_cycle_by_slug(session, slug=slug)
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.CONSULTATION)
    return render_page(
        request, "survey/thanks.html", {**_context(session, cycle, stage), "again": False}
    )


def answers_from_form(form: FormData, questions: list[Question]) -> list[AnswerInput]:
    """The form's answers; unknown question fields are kept so validation names them."""
    by_id = {q.id: q for q in questions}
    answers: list[AnswerInput] = []
    unknown = sorted(
        {
            int(match.group(1))
            for name in form.keys()
            if (match := _QUESTION_FIELD.match(name)) and int(match.group(1)) not in by_id
        }
    )
    answers.extend(AnswerInput(question_id) for question_id in unknown)
    for question in questions:
        values = [str(v) for v in form.getlist(f"q{question.id}") if str(v).strip()]
        if question.kind == QuestionKind.TEXT:
            text = str(form.get(f"q{question.id}_text") or "")
            if text.strip() or values:
                answers.append(AnswerInput(question.id, _ids(values, question), text))
            continue
        option_ids = _ids(values, question)
        other = str(form.get(f"q{question.id}_other") or "").strip()
        other_option = next((o.id for o in question.options if o.is_other), None)
        if (
            other
            and other_option is not None
            and (question.kind == QuestionKind.MULTIPLE or not option_ids)
        ):
            # Writing in the "other" box means choosing "other".
            option_ids = list(dict.fromkeys([*option_ids, other_option]))
        if option_ids or other:
            answers.append(AnswerInput(question.id, option_ids, other or None))
    return answers


def _ids(values: list[str], question: Question) -> list[int]:
    if not all(v.isdigit() and len(v) < 12 for v in values):
        raise AnswerInvalid(
            f"Невідомий варіант відповіді на питання {question.position}.",
            question_id=question.id,
        )
    return [int(v) for v in values]


def kept_answers(form: FormData | None) -> dict[str, Any]:
    """What the resident entered, to re-render the form with it."""
    if form is None:
        return {}
    kept: dict[str, Any] = {}
    for name in form.keys():
        if _QUESTION_FIELD.match(name):
            values = [str(v) for v in form.getlist(name)]
            kept[name] = values if not name.endswith(("_text", "_other")) else values[0]
    return kept


@router.post("/survey/{slug}", response_class=HTMLResponse)
def submit_page(
    slug: str, request: Request, form: Form, session: DB, now: Now, settings: AppSettings
) -> Response:
    """Store the response and redirect to the thanks page; bad input re-renders with 422."""
    cycle = get_cycle_by_slug(session, slug=slug)
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.CONSULTATION)
    context = _context(session, cycle, stage)
    if form is None:
        return _form_page(
            request,
            session,
            cycle,
            context,
            key=new_token(16),
            kept={},
            error="Відповідь має надходити з форми на цій сторінці. Заповніть її, будь ласка.",
            status_code=422,
        )
    verify_csrf(request, str(form.get(CSRF_FIELD) or ""))
    closed = _closed_message(stage, now)
    if closed:
        return render_page(
            request, "survey/closed.html", {**context, "message": closed}, status_code=409
        )
    token, new = _browser_token(request)
    thanks = RedirectResponse(f"/survey/{slug}/thanks", status_code=303)
    if str(form.get(HONEYPOT_FIELD) or "").strip():
        return thanks  # a bot: looks accepted, nothing stored
    key = str(form.get(KEY_FIELD) or "")
    if not 8 <= len(key) <= 64:
        key = new_token(16)
    code = str(form.get(CODE_FIELD) or "").strip()[:64]
    clear = str(form.get(CLEAR_FIELD) or "")
    if _QUESTION_FIELD.match(clear):  # "clear my answer" (without JavaScript): nothing is stored
        kept = {k: v for k, v in kept_answers(form).items() if k not in (clear, f"{clear}_other")}
        page = _form_page(request, session, cycle, context, key=key, kept=kept, code=code)
        return _with_cookie(request, page, token, new)
    questions = list_questions(session, cycle_id=cycle.id)
    try:
        start_submission(
            request.app.state.engine,
            slug=slug,
            answers=answers_from_form(form, questions),
            idempotency_key=key,
            ip_hash=client_ip_hash(request, settings),
            now=now,
            browser_hash=salted_hash(settings.secret_key, "browser", token),
            invitation_code=code or None,
            **rate_limit_of(settings),
        ).result()
    except (AnswerInvalid, InvitationRefused) as refusal:  # nothing was saved
        page = _form_page(
            request,
            session,
            cycle,
            context,
            key=key,
            kept=kept_answers(form),
            code=code,
            error=refusal.message,
            error_question=getattr(refusal, "question_id", None),
            status_code=422 if isinstance(refusal, AnswerInvalid) else refusal.status_code,
        )
        return _with_cookie(request, page, token, new)
    except Conflict as refusal:
        page = render_page(
            request, "survey/closed.html", {**context, "message": refusal.message}, 409
        )
        return _with_cookie(request, page, token, new)
    return _with_cookie(request, thanks, token, new)
