"""The FastAPI application (OpenAPI at /docs)."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.errors import install_error_handlers
from api.i18n import install_translations
from api.routes import (
    auth,
    cycles,
    organizations,
    questionnaire,
    questionnaire_pages,
    register,
    survey,
    survey_pages,
)
from api.routes.console import install_console
from api.routes.reports import pages as report_pages
from api.routes.reports import router as reports_router
from api.web import STATIC_DIR, SecurityHeaders, render_page, templates
from models.clock import Clock, SystemClock
from models.db import make_engine, session_factory
from models.settings import Settings, get_settings


def create_app(
    *, clock: Clock | None = None, engine: Engine | None = None, settings: Settings | None = None
) -> FastAPI:
    """Build the app; tests and the demo inject a clock and an engine."""
    settings = settings or get_settings()
    app = FastAPI(
        title="infoaudit",
        description="Щорічний інформаційний аудит розпорядника інформації (Постанова КМУ № 835).",
        version="0.1.0",
    )
    app.state.settings = settings
    install_translations(templates.env, settings.language)
    app.state.clock = clock or SystemClock()
    app.state.sessionmaker = session_factory(engine or make_engine(settings.database_url))
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, organizations, cycles, questionnaire, survey, register, survey_pages):
        app.include_router(module.router)
    app.include_router(questionnaire.review_router)
    app.include_router(questionnaire_pages.router)
    app.include_router(reports_router)
    app.include_router(report_pages)

    install_console(app)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        """The landing page."""
        return render_page(request, "home.html", {})

    @app.get("/api/health", tags=["службове"])
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app
