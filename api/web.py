"""Server-rendered pages: templates, CSRF protection and security headers.

Pages are plain HTML forms that work without JavaScript. Every form carries a CSRF token:
the double-submit cookie holds a random value, the form holds HMAC(secret key, that value).
"""

import base64
import hmac
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.i18n import SOURCE_LANGUAGE, install_translations
from models.clock import KYIV
from models.errors import Forbidden
from models.kep.names import (
    certificate_organization,
    ukrainian_algorithm,
    ukrainian_certificate_text,
)
from models.security import derive_token, new_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
CSRF_COOKIE = "infoaudit_csrf"
CSRF_FIELD = "csrf_token"
NOTICE_COOKIE = "infoaudit_notice"
CSRF_REFUSAL = (
    "Форма застаріла або надіслана не з цього сайту. Оновіть сторінку й спробуйте ще раз."
)

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.autoescape = True  # user text is always escaped, whatever the file name
# Page texts go through gettext (`{{ _("…") }}`, `{% trans %}`): Ukrainian is the source
# language, so an English catalogue can follow without touching the templates. The app installs
# the configured language's catalogue at start (api/i18n.py); trimmed: a {% trans %} text wrapped
# over several lines is one line in the catalogue (api/locale/babel.cfg says the same).
templates.env.policies["ext.i18n.trimmed"] = True
install_translations(templates.env, SOURCE_LANGUAGE)


@pass_context
def _local_url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """Links in pages as paths: never built from the request's Host header (which anyone can
    set), so a forged Host cannot point our pages at another site."""
    request: Request = context["request"]
    return str(request.url_for(name, **path_params).path)


templates.env.globals["url_for"] = _local_url_for
templates.env.filters["date_ua"] = lambda d: d.strftime("%d.%m.%Y") if d else ""
templates.env.filters["datetime_ua"] = lambda t: t.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")
# Signatures stored before certificate names were put in Ukrainian still read in Ukrainian.
templates.env.filters["certificate_ua"] = ukrainian_certificate_text
templates.env.filters["certificate_organization"] = certificate_organization
templates.env.filters["algorithm_ua"] = ukrainian_algorithm

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Secret unit links live in URLs: never leak them to another site.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


_ENCODED_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_DOCS_HEADERS = [(k, v) for k, v in _ENCODED_HEADERS if k != b"content-security-policy"]


# What a logged-in person sees is theirs: no browser or proxy cache keeps it.
_NO_STORE = (b"cache-control", b"no-store")


def _authenticated(scope: Scope) -> bool:
    """A request carrying a bearer token or the console's session cookie."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and b"infoaudit_session=" in value):
            return True
    return False


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Swagger UI at /docs loads its own inline script: no CSP there.
        extra = _DOCS_HEADERS if scope["path"].startswith("/docs") else _ENCODED_HEADERS

        if _authenticated(scope):
            extra = [*extra, _NO_STORE]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly or behind a proxy): cookies say so."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def csrf_token(request: Request) -> tuple[str, str | None]:
    """The form token for this browser, and a new cookie value to set (None if it has one)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    new_cookie = None
    if not cookie or len(cookie) > 100:
        cookie = new_cookie = new_token(24)
    return derive_token(_secret(request), "csrf", cookie), new_cookie


def verify_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match this browser's cookie (403)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    expected = derive_token(_secret(request), "csrf", cookie) if cookie else None
    if not submitted or not expected or not hmac.compare_digest(submitted, expected):
        raise Forbidden(CSRF_REFUSAL)


def set_notice(request: Request, response: Response, text: str) -> None:
    """Carry a confirmation ("Збережено.") to the next page the browser shows, once.

    Signed, so no other site can put its own text into our pages."""
    value = base64.urlsafe_b64encode(text.encode()).decode()
    signature = derive_token(_secret(request), "notice", value)
    response.set_cookie(
        NOTICE_COOKIE,
        f"{value}.{signature}",
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        max_age=120,
    )


def take_notice(request: Request) -> str | None:
    """The confirmation the previous action left for this page, if any and if genuine."""
    value, _, signature = request.cookies.get(NOTICE_COOKIE, "").partition(".")
    if not value or len(value) > 2000:
        return None
    if not hmac.compare_digest(signature, derive_token(_secret(request), "notice", value)):
        return None
    try:
        return base64.urlsafe_b64decode(value.encode()).decode()
    except ValueError:
        return None


def render_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page with a CSRF token in its context, setting the cookie when needed, and the
    confirmation the previous action left (shown once)."""
    token, new_cookie = csrf_token(request)
    notice = take_notice(request)
    response = templates.TemplateResponse(
        request,
        name,
        # Not "notice": the questionnaire and survey pages have their own notices by that name.
        {**context, "csrf_token": token, "csrf_field": CSRF_FIELD, "confirmation": notice},
        status_code=status_code,
    )
    if NOTICE_COOKIE in request.cookies:
        response.delete_cookie(NOTICE_COOKIE)
    if new_cookie:
        response.set_cookie(
            CSRF_COOKIE,
            new_cookie,
            httponly=True,
            samesite="lax",
            secure=is_secure(request),
            max_age=60 * 60 * 24 * 30,
        )
    return response


def wants_html(request: Request) -> bool:
    """True for a browser page (not the JSON API)."""
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", "text/html"
    )
