"""One place that turns errors into Ukrainian answers; never a stack trace to the user."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.web import CSRF_FIELD, CSRF_REFUSAL, render_page, wants_html
from models.errors import DomainError, FieldErrors
from models.validation import ukrainian_errors

log = logging.getLogger("infoaudit.api")

INVALID_INPUT = "Перевірте введені дані."


def invalid_response(errors: list[dict[str, str]]) -> JSONResponse:
    """A 422 with the fields and their Ukrainian messages."""
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(
        status_code=422, content={"detail": f"{INVALID_INPUT} {summary}", "errors": errors}
    )


_STATUS_MESSAGES = {
    401: "Потрібно увійти до системи.",
    403: "Недостатньо прав для цієї дії.",
    404: "Сторінку не знайдено.",
    405: "Метод не підтримується.",
    413: "Запит завеликий.",
    415: "Непідтримуваний формат даних.",
}


_TITLES = {
    400: "Помилка запиту",
    401: "Потрібен вхід",
    403: "Доступ заборонено",
    404: "Не знайдено",
    409: "Дію неможливо виконати",
    422: "Перевірте введені дані",
    500: "Внутрішня помилка",
    502: "Зовнішній сервіс недоступний",
}


def error_page(request: Request, status_code: int, message: str) -> Response:
    """A friendly Ukrainian error page for browsers."""
    title = _TITLES.get(status_code, "Помилка")
    return render_page(request, "error.html", {"title": title, "message": message}, status_code)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_html(request):
            return error_page(request, exc.status_code, exc.message)
        content: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, FieldErrors):
            content["errors"] = [{"field": f, "message": m} for f, m in exc.errors.items()]
        elif exc.field:
            content["errors"] = [{"field": exc.field, "message": exc.message}]
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return JSONResponse(status_code=exc.status_code, content=content, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = ukrainian_errors(exc.errors())
        if wants_html(request):
            # A browser form without its CSRF field is a stale or forged form, not a typo.
            if any(CSRF_FIELD in map(str, e.get("loc", ())) for e in exc.errors()):
                return error_page(request, 403, CSRF_REFUSAL)
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            return error_page(request, 422, f"{INVALID_INPUT} {summary}")
        return invalid_response(errors)

    @app.exception_handler(ValidationError)
    async def model_invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        return invalid_response(ukrainian_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        message = detail or _STATUS_MESSAGES.get(exc.status_code, "Помилка запиту.")
        if wants_html(request):
            return error_page(request, exc.status_code, message)
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": message},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, _exc: RecursionError) -> Response:
        message = "Дані вкладені надто глибоко: спростіть їх структуру."
        if wants_html(request):
            return error_page(request, 400, message)
        return JSONResponse(status_code=400, content={"detail": message})

    @app.exception_handler(UnicodeEncodeError)
    async def not_unicode(request: Request, exc: UnicodeEncodeError) -> Response:
        # JSON may carry a lone UTF-16 surrogate ("\udaf4"): Python's decoder lets it through,
        # but no database, password hash or page can encode it. It is the sender's text.
        if exc.reason != "surrogates not allowed":
            return unexpected(request, exc)
        return _refused(request, "body", NOT_UNICODE)

    @app.exception_handler(OverflowError)
    async def too_big(request: Request, exc: OverflowError) -> Response:
        # A number in a body that no database column holds (models/bounds.py bounds the shared
        # inputs; this is the net under the rest). The transaction is already rolled back.
        if "SQLite INTEGER" not in str(exc):
            return unexpected(request, exc)
        return _refused(request, "body", OUT_OF_RANGE)

    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: DataError) -> Response:
        # PostgreSQL's "numeric value out of range" (SQLSTATE 22003): the same net.
        if getattr(exc.orig, "sqlstate", None) != "22003":
            return unexpected(request, exc)
        return _refused(request, "body", OUT_OF_RANGE)

    app.add_exception_handler(Exception, _unexpected)


NOT_UNICODE = "Текст містить недопустимі символи (непарні сурогати UTF-16)."
OUT_OF_RANGE = "Число поза допустимим діапазоном (ціле від −2⁶³ до 2⁶³−1)."


def _refused(request: Request, field: str, message: str) -> Response:
    """A 422 naming the field, as a page for browsers."""
    if wants_html(request):
        return error_page(request, 422, message)
    return invalid_response([{"field": field, "message": message}])


async def _unexpected(request: Request, exc: Exception) -> Response:
    return unexpected(request, exc)


def unexpected(request: Request, exc: Exception) -> Response:
    """A 500 without details for the user; the traceback goes to the log."""
    # The detail goes to the log, not to the user: the route's pattern, never the path
    # itself (a unit's secret link is a path), no bodies, no personal data.
    route = request.scope.get("route")
    where = getattr(route, "path", None) or "(немає маршруту)"
    log.error("Unhandled error on %s %s", request.method, where, exc_info=exc)
    message = "Внутрішня помилка сервера. Спробуйте пізніше."
    if wants_html(request):
        return error_page(request, 500, message)
    return JSONResponse(status_code=500, content={"detail": message})
