"""Logging in to the console and out of it."""

from fastapi import Request
from fastapi.responses import Response

from api.deps import DB, SESSION_COOKIE, AppSettings, ClientAddress, Now, bearer_token
from api.routes.console.common import FormText, done, page, safe_next, see_other
from api.routes.console.deps import console_router
from models.errors import TooManyAttempts, Unauthorized
from models.services.accounts import authenticate, logout

router = console_router()


@router.get("/login")
def login_form(request: Request, session: DB) -> Response:
    """The login page."""
    target = safe_next(request.query_params.get("next"))
    context = {"email": "", "error": None, "next": target}
    return page(request, session, None, "console/login.html", context)


@router.post("/login")
def login(
    request: Request,
    session: DB,
    now: Now,
    settings: AppSettings,
    address: ClientAddress,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "",
) -> Response:
    """Check the password and start a session cookie."""
    try:
        token, _login_session = authenticate(
            session,
            email=email,
            password=password,
            client_address=address,
            secret_key=settings.secret_key,
            now=now,
            session_hours=settings.session_hours,
        )
    except (Unauthorized, TooManyAttempts) as exc:
        context = {"email": email, "error": exc.message, "next": safe_next(next)}
        return page(request, session, None, "console/login.html", context, exc.status_code)
    response = see_other(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https"),
        max_age=settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def log_out(request: Request, session: DB) -> Response:
    """End the session."""
    token = bearer_token(request)
    if token:
        logout(session, token=token)
    response = done(request, "/login", "Ви вийшли із системи.")
    response.delete_cookie(SESSION_COOKIE)
    return response
