"""The working group's text of the report: narrative sections (Markdown, shown sanitised) and the
recommendations proposed from the findings, kept, edited or dropped.

An approved (and signed) version never changes: once the newest version is approved, an edit
makes a new draft version, which the page says before anything is saved.
"""

from datetime import date

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import DB, BrowserForm, Now, app_clock
from api.routes.console.common import FormText, done, page, refused
from api.routes.console.deps import (
    ConsoleActor,
    ConsoleCycle,
    ConsoleEditor,
    ConsoleWorkingGroup,
    console_router,
)
from models.account import Account
from models.cycle import AuditCycle
from models.errors import DomainError, Invalid
from models.report import (
    RECOMMENDATION_STATUS_LABELS,
    SECTION_LABELS,
    RecommendationStatus,
    SectionKey,
)
from models.services.report.context import cycle_drafts
from models.services.report.facts import figures_date, set_figures_date
from models.services.report.linter import review_text
from models.services.report.narrative import (
    MAX_MARKDOWN,
    list_sections,
    markdown_to_html,
    section_markdown,
    update_sections,
)
from models.services.report.recommendations import (
    add_recommendation,
    decide_recommendation,
    list_recommendations,
)
from models.services.report.versions import approved_text_notice, ensure_report

router = console_router()
DECIDED = {
    "keep": "Рекомендацію залишено.",
    "edit": "Текст рекомендації змінено.",
    "drop": "Рекомендацію вилучено.",
}
MAX_RECOMMENDATION = 5000
ACTIONS = {
    "keep": RecommendationStatus.KEPT,
    "edit": RecommendationStatus.EDITED,
    "drop": RecommendationStatus.DROPPED,
}


def _text_page(
    request: Request,
    session: Session,
    account: Account,
    cycle: AuditCycle,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    typed = values or {}
    error = error or {}
    sections = []
    review = review_text(session, cycle_id=cycle.id, now=app_clock(request).now())
    drafts = review.drafts
    for key, section in list_sections(session, cycle_id=cycle.id).items():
        stored = section_markdown(key, section, drafts[key])
        sections.append(
            {
                "key": key.value,
                "label": SECTION_LABELS[key],
                # What was typed (in every section) comes back when saving was refused.
                "markdown": typed.get(f"markdown_{key.value}", stored)
                if error.get("form") == "sections"
                else stored,
                "html": markdown_to_html(stored),
            }
        )
    report = ensure_report(session, cycle_id=cycle.id)
    return page(
        request,
        session,
        account,
        "console/report_text.html",
        {
            "cycle": cycle,
            "approved_notice": approved_text_notice(session, cycle_id=cycle.id),
            "figures_as_of": figures_date(session, cycle=cycle),
            "lint": review.findings,
            "sections": sections,
            "recommendations": list_recommendations(session, report_id=report.id),
            "status_labels": RECOMMENDATION_STATUS_LABELS,
            "error": error,
            "values": typed,
        },
        status_code,
    )


@router.get("/console/cycles/{cycle_id}/report/text")
def text_page(
    request: Request,
    session: DB,
    account: ConsoleWorkingGroup,
    cycle: ConsoleCycle,
) -> Response:
    """The narrative sections and the recommendations."""
    return _text_page(request, session, account, cycle)


@router.post("/console/cycles/{cycle_id}/report/sections")
def save_sections(
    request: Request,
    form: BrowserForm,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
) -> Response:
    """Write every narrative section sent in the one form; the next version of the report shows
    them. Sections sent back as shown (an untouched draft) are not written."""
    texts = {
        key: str(form.get(f"markdown_{key.value}"))
        for key in SectionKey
        if form.get(f"markdown_{key.value}") is not None
    }
    typed = {f"markdown_{key.value}": text for key, text in texts.items()}
    try:
        long = [SECTION_LABELS[k] for k, text in texts.items() if len(text) > MAX_MARKDOWN]
        if long:
            raise Invalid(
                f"Текст розділу довший за {MAX_MARKDOWN} символів: {', '.join(long)}.",
                field="markdown",
            )
        written = update_sections(
            session,
            cycle_id=cycle.id,
            texts=texts,
            current=cycle_drafts(session, cycle_id=cycle.id, now=now),
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_text_page, request, session, account, cycle, "sections", exc, typed)
    notice = "Збережено." if written else "Змін у тексті розділів немає."
    return done(request, f"/console/cycles/{cycle.id}/report/text#sections", notice)


@router.post("/console/cycles/{cycle_id}/report/figures-date")
def save_figures_date(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    as_of: FormText = "",
) -> Response:
    """Set the day the publication figures describe; the next version shows them as of it."""
    try:
        try:
            day = date.fromisoformat(as_of.strip())
        except ValueError as exc:
            raise Invalid("Вкажіть дату у форматі рррр-мм-дд.", field="as_of") from exc
        set_figures_date(session, cycle_id=cycle.id, as_of=day, now=now, actor=actor)
    except DomainError as exc:
        return refused(_text_page, request, session, account, cycle, "figures-date", exc)
    return done(request, f"/console/cycles/{cycle.id}/report/text#figures-date", "Збережено.")


@router.post("/console/cycles/{cycle_id}/report/recommendations")
def add(
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    text: FormText = "",
) -> Response:
    """Add a recommendation of the working group's own."""
    try:
        if not 3 <= len(text.strip()) <= MAX_RECOMMENDATION:
            raise Invalid(
                f"Текст рекомендації: від 3 до {MAX_RECOMMENDATION} символів.", field="text"
            )
        add_recommendation(session, cycle_id=cycle.id, text=text, now=now, actor=actor)
    except DomainError as exc:
        return refused(_text_page, request, session, account, cycle, "add", exc, {"text": text})
    return done(
        request, f"/console/cycles/{cycle.id}/report/text#recommendations", "Рекомендацію додано."
    )


@router.post("/console/cycles/{cycle_id}/report/recommendations/{recommendation_id}")
def decide(
    recommendation_id: int,
    request: Request,
    session: DB,
    now: Now,
    account: ConsoleEditor,
    cycle: ConsoleCycle,
    actor: ConsoleActor,
    action: FormText = "",
    text: FormText = "",
) -> Response:
    """Keep, edit (with the new text) or drop a recommendation."""
    form = f"recommendation-{recommendation_id}"
    try:
        if action not in ACTIONS:
            raise Invalid("Оберіть: залишити, змінити або вилучити.", field="action")
        if len(text) > MAX_RECOMMENDATION:
            raise Invalid(f"Текст рекомендації довший за {MAX_RECOMMENDATION} символів.")
        decide_recommendation(
            session,
            cycle_id=cycle.id,
            recommendation_id=recommendation_id,
            status=ACTIONS[action],
            text=text if action == "edit" else None,
            now=now,
            actor=actor,
        )
    except DomainError as exc:
        return refused(_text_page, request, session, account, cycle, form, exc, {"text": text})
    return done(request, f"/console/cycles/{cycle.id}/report/text#{form}", DECIDED[action])
