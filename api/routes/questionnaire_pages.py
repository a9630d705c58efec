"""The staff questionnaire as a server-rendered form at the unit's secret link, /q/{token}.

No JavaScript needed: "add a row" and "remove" are submit buttons that re-render the page with
everything typed kept (and the address's fragment brings the person back to the row); a
spreadsheet upload rides in the same form, its rows replacing those of the same name. Submitting
is all or nothing; a draft is always kept, invalid fields included (marked on the page).
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData, UploadFile

from api.deps import DB, AppSettings, Now, client_address, form_reader
from api.questionnaire_form import (
    MAX_ROWS,
    FormState,
    blank_row,
    empty_row,
    field_label,
    merge_rows,
    state_from_data,
    state_from_form,
    state_from_typed,
    typed_form,
    validate_state,
)
from api.web import CSRF_FIELD, render_page, verify_csrf
from models.clock import local_date
from models.cycle import AuditCycle, AuditedUnit, StageKind
from models.errors import Conflict, DomainError, Forbidden, NotFound
from models.organization import Organization, Unit
from models.questionnaire import (
    ACCESS_CATEGORY_LABELS,
    OWNER_TYPE_LABELS,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.services.cycles import questionnaire_url
from models.services.late_units import ensure_unit_accepting
from models.services.questionnaires import (
    SavedQuestionnaire,
    audited_unit_for_token,
    find_by_resume_code,
    questionnaire_data,
    save_draft_as_typed,
    save_questionnaire,
)
from models.services.resume_links import MAIL_REFUSED, mail_resume_link
from models.services.spreadsheets import (
    ITEM_COLUMNS,
    MAX_UPLOAD_BYTES,
    SYSTEM_COLUMNS,
    SpreadsheetRejected,
    import_spreadsheet,
    template_csv,
    template_xlsx,
)
from models.services.stages import get_stage

router = APIRouter(prefix="/q", include_in_schema=False)

MAX_FORM_FIELDS = 20_000


@dataclass
class PageContext:
    """The unit, cycle and stage behind a link."""

    audited: AuditedUnit
    organization: str
    unit: str
    year: int
    starts_on: date
    due_on: date
    accepting: bool
    closed_message: str | None


def _context(session: DB, *, token: str, now: Any) -> PageContext:
    audited = audited_unit_for_token(session, token=token)
    cycle = session.get(AuditCycle, audited.cycle_id)
    unit = session.get(Unit, audited.unit_id)
    assert cycle is not None
    assert unit is not None
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    stage = get_stage(session, cycle_id=cycle.id, kind=StageKind.REMOTE_AUDIT)
    try:
        ensure_unit_accepting(session, audited=audited, stage=stage, now=now)
        accepting, message = True, None
    except Conflict as exc:
        accepting, message = False, exc.message
    return PageContext(
        audited=audited,
        organization=organization.name,
        unit=unit.name,
        year=cycle.year,
        starts_on=stage.starts_on,
        due_on=stage.due_on,
        accepting=accepting,
        closed_message=message,
    )


def _render(
    request: Request,
    *,
    token: str,
    page: PageContext,
    state: FormState,
    code: str = "",
    submission: QuestionnaireSubmission | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    form_error: str | None = None,
    import_errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    if not state.systems:
        state.systems.append(empty_row("systems"))
    if not state.items:
        state.items.append(empty_row("items"))
    errors = (errors or {}) if page.accepting else {}  # closed: nothing left to correct
    typed = any(state.respondent.values()) or not all(
        blank_row(r) for r in (*state.systems, *state.items)
    )
    return render_page(
        request,
        "questionnaire/form.html",
        {
            "token": token,
            "page": page,
            "organization_name": page.organization,
            "state": state,
            "code": code,
            "submitted": submission is not None and submission.status == SubmissionStatus.SUBMITTED,
            "errors": errors,
            "error_list": [(name, field_label(name), message) for name, message in errors.items()],
            # A closed questionnaire says so once, in the closure notice.
            "notice": notice if page.accepting else None,
            "form_error": form_error,
            "live": page.accepting,
            "typed": typed,
            "import_errors": import_errors or [],
            "system_columns": SYSTEM_COLUMNS,
            "item_columns": ITEM_COLUMNS,
            "owner_labels": OWNER_TYPE_LABELS,
            "access_labels": ACCESS_CATEGORY_LABELS,
            "max_upload_mb": MAX_UPLOAD_BYTES // 1024 // 1024,
        },
        status_code,
    )


@router.get("/{token}", response_class=HTMLResponse)
def show(
    request: Request,
    token: str,
    session: DB,
    now: Now,
    code: str = "",
    saved: str = "",
    mail: str = "",
) -> Response:
    """The questionnaire form: empty, or a person's own questionnaire by their resume code."""
    page = _context(session, token=token, now=now)
    if not code:
        return _render(request, token=token, page=page, state=FormState())
    try:
        submission = find_by_resume_code(session, audited=page.audited, code=code)
    except NotFound as exc:
        return _render(
            request,
            token=token,
            page=page,
            state=FormState(),
            form_error=exc.message,
            status_code=404,
        )
    state = state_from_data(questionnaire_data(submission))
    errors: dict[str, str] = {}
    if submission.draft_form is not None:
        state = state_from_typed(submission.draft_form)
        errors = validate_state(state, final=False)[1]
    due = f"{page.due_on:%d.%m.%Y}"
    notice = {
        "draft": f"Чернетку збережено. Ваш код продовження: {code}. Запишіть його: за ним "
        f"(або за цією адресою сторінки) анкету можна продовжити з будь-якого пристрою до "
        f"{due}." + (" Позначені поля ще треба виправити перед поданням." if errors else ""),
        "submitted": f"Дякуємо! Анкету подано. Змінити її можна до {due} "
        f"за кодом {code} або за цією адресою сторінки.",
        "updated": "Зміни до поданої анкети збережено.",
    }.get(saved) or _whose(submission, name=state.respondent.get("full_name", ""), due=due)
    if mail == "refused":  # the resume-link letter hit a cap (models/services/resume_links.py)
        notice += " " + MAIL_REFUSED
    return _render(
        request,
        token=token,
        page=page,
        state=state,
        code=code,
        submission=submission,
        notice=notice,
        errors=errors,
    )


def _whose(submission: QuestionnaireSubmission, *, name: str, due: str) -> str:
    """Tells the person who opened a questionnaire by its code that it is theirs."""
    author = f" ({name})" if name else ""
    changed = f"{local_date(submission.updated_at):%d.%m.%Y}"
    if submission.status == SubmissionStatus.SUBMITTED:
        return (
            f"Це Ваша подана анкета{author}, востаннє змінена {changed}. Змінювати її можна "
            f"до {due}."
        )
    return (
        f"Це Ваша чернетка{author}, востаннє збережена {changed}. Продовжуйте з того місця, де "
        f"зупинилися, і подайте анкету до {due}."
    )


def _read_upload(upload: UploadFile) -> bytes:
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise SpreadsheetRejected(
            f"Файл завеликий: не більше {MAX_UPLOAD_BYTES // 1024 // 1024} МБ."
        )
    return content


QuestionnaireForm = Annotated[
    FormData, Depends(form_reader(max_fields=MAX_FORM_FIELDS, max_files=2))
]


@router.post("/{token}", response_class=HTMLResponse)
def act(
    request: Request,
    token: str,
    form: QuestionnaireForm,
    session: DB,
    now: Now,
    settings: AppSettings,
) -> Response:
    """Every button of the form: add/remove a row, import a spreadsheet, save, submit."""
    page = _context(session, token=token, now=now)
    state = state_from_form(form)
    code = str(form.get("code") or "").strip()
    action = str(form.get("action") or "save")
    render: dict[str, Any] = {"request": request, "token": token, "page": page, "code": code}
    if not page.accepting:  # the page says so once and shows what was typed, read only
        return _render(**render, state=state, status_code=409)
    try:
        verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    except Forbidden as exc:
        return _render(**render, state=state, form_error=exc.message, status_code=403)
    submission = None
    if code:
        try:
            submission = find_by_resume_code(session, audited=page.audited, code=code)
        except NotFound as exc:
            return _render(**render, state=state, form_error=exc.message, status_code=404)
    render["submission"] = submission

    kind, _, index = action.partition(":")
    if kind in ("add_system", "add_item"):
        target = state.systems if kind == "add_system" else state.items
        if len(target) < MAX_ROWS:
            target.append(empty_row("systems" if kind == "add_system" else "items"))
        return _render(**render, state=state)
    if kind in ("remove_system", "remove_item") and index.isdigit():
        target = state.systems if kind == "remove_system" else state.items
        if int(index) < len(target):
            del target[int(index)]
        return _render(**render, state=state)
    if kind == "import":
        return _import(form, state=state, render=render)
    if kind not in ("save", "submit"):
        return _render(**render, state=state, form_error="Невідома дія форми.", status_code=400)

    was_submitted = submission is not None and submission.status == SubmissionStatus.SUBMITTED
    data, errors = validate_state(state, final=kind == "submit" or was_submitted)
    if data is None and kind == "save" and not was_submitted:
        return _save_as_typed(session, state, errors=errors, render=render, now=now, s=settings)
    if data is None:
        return _render(
            **render,
            state=state,
            errors=errors,
            form_error="Анкету не збережено: виправте позначені поля (усе введене збережено "
            "на сторінці).",
            status_code=422,
        )
    try:
        saved = save_questionnaire(
            session,
            token=token,
            data=data,
            now=now,
            submit=kind == "submit",
            resume_code=code or None,
        )
    except DomainError as exc:
        # Nothing of this attempt may stay in the session: all or nothing.
        session.rollback()
        return _render(**render, state=state, form_error=exc.message, status_code=exc.status_code)
    refused = None
    if saved.created and data.respondent.email:
        refused = _mail_resume_link(
            session, saved, email=data.respondent.email, render=render, now=now, settings=settings
        )
    outcome = "updated" if was_submitted else "submitted" if kind == "submit" else "draft"
    return _saved_redirect(token, saved.resume_code or code, outcome, refused)


def _saved_redirect(token: str, code: str, outcome: str, refused: str | None = None) -> Response:
    mail = "&mail=refused" if refused else ""
    return RedirectResponse(f"/q/{token}?code={quote(code)}&saved={outcome}{mail}", status_code=303)


def _mail_resume_link(
    session: DB,
    saved: SavedQuestionnaire,
    *,
    email: str,
    render: dict[str, Any],
    now: Any,
    settings: AppSettings,
) -> str | None:
    token, page = render["token"], render["page"]
    code = saved.resume_code or render["code"]
    return mail_resume_link(
        session,
        submission_id=saved.submission.id,
        audited_unit_id=page.audited.id,
        email=email,
        client_address=client_address(render["request"]),
        secret_key=settings.secret_key,
        url=questionnaire_url(settings.base_url, token, code),
        code=code,
        unit=page.unit,
        due_on=page.due_on,
        now=now,
    )


def _save_as_typed(
    session: DB,
    state: FormState,
    *,
    errors: dict[str, str],
    render: dict[str, Any],
    now: Any,
    s: AppSettings,
) -> Response:
    """A draft with invalid fields is kept as typed; the page marks the fields to correct."""
    try:
        saved = save_draft_as_typed(
            session,
            token=render["token"],
            typed=typed_form(state),
            invalid_fields=len(errors),
            now=now,
            resume_code=render["code"] or None,
        )
    except DomainError as exc:
        session.rollback()
        return _render(**render, state=state, form_error=exc.message, status_code=exc.status_code)
    email, refused = state.respondent.get("email", ""), None
    if saved.created and email and "respondent-email" not in errors:
        refused = _mail_resume_link(session, saved, email=email, render=render, now=now, settings=s)
    return _saved_redirect(render["token"], saved.resume_code or render["code"], "draft", refused)


def _import(form: FormData, *, state: FormState, render: dict[str, Any]) -> Response:
    upload = form.get("spreadsheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render(
            **render,
            state=state,
            errors={"spreadsheet": "оберіть файл XLSX або CSV"},
            form_error="Файл не обрано.",
            status_code=422,
        )
    try:
        result = import_spreadsheet(_read_upload(upload), filename=upload.filename)
    except SpreadsheetRejected as exc:
        return _render(
            **render,
            state=state,
            errors={"spreadsheet": exc.message},
            form_error=f"Таблицю не взято: {exc.message}",
            status_code=422,
        )
    imported = state_from_data({"systems": result.systems, "items": result.items})
    systems = merge_rows(state.systems, imported.systems)
    items = merge_rows(state.items, imported.items)
    replaced, added = systems[0] + items[0], systems[1] + items[1]
    merged = f" Додано нових рядків: {added}; замінено рядків з такими самими назвами: {replaced}."
    return _render(
        **render,
        state=state,
        notice=result.summary() + merged + " Перевірте рядки й збережіть анкету.",
        import_errors=[str(e) for e in result.errors],
        status_code=200 if not result.errors else 422,
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/{token}/template.xlsx", response_class=Response)
def xlsx_template(token: str, session: DB) -> Response:
    """The questionnaire's spreadsheet template (XLSX, with an explanation sheet)."""
    audited_unit_for_token(session, token=token)
    return _download(template_xlsx(), XLSX, "anketa-shablon.xlsx")


@router.get("/{token}/template-{kind}.csv", response_class=Response)
def csv_template(token: str, kind: str, session: DB) -> Response:
    """A CSV template for systems or items."""
    audited_unit_for_token(session, token=token)
    if kind not in ("systems", "items"):
        raise NotFound("Шаблон не знайдено.")
    return _download(template_csv(kind), "text/csv; charset=utf-8", f"anketa-{kind}.csv")
