"""The FastAPI application (OpenAPI at /docs)."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from swagger_ui_bundle import swagger_ui_path

from api.deps import ids_in_range
from api.errors import install_error_handlers
from api.i18n import install_translations
from api.openapi import install_openapi
from api.routes import (
    action_plan,
    auth,
    cycles,
    interviews,
    open_data,
    organizations,
    people,
    portal,
    questionnaire,
    questionnaire_pages,
    register,
    register_entries,
    report,
    survey,
    survey_pages,
    survey_totals,
)
from api.routes.console import install_console
from api.routes.kep import router as kep_router
from api.web import STATIC_DIR, SecurityHeaders, render_page, templates
from models.clock import Clock, SystemClock
from models.db import make_engine, session_factory
from models.settings import Settings, get_settings


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # The process holds ~260,000 long-lived objects (SQLAlchemy, Prefect, templates) once the
    # app is built: freezing them keeps every full garbage collection from walking them again
    # (measured: a fifth of the CPU of a survey submission).
    gc.freeze()
    yield


def create_app(
    *, clock: Clock | None = None, engine: Engine | None = None, settings: Settings | None = None
) -> FastAPI:
    """Build the app; tests and the demo inject a clock and an engine."""
    settings = settings or get_settings()
    app = FastAPI(
        title="infoaudit",
        description="Щорічний інформаційний аудит розпорядника інформації (Постанова КМУ № 835).",
        version="0.1.0",
        docs_url=None,  # served below from local files: no page loads anything from a CDN
        redoc_url=None,
        lifespan=_lifespan,
        dependencies=[Depends(ids_in_range)],
    )
    app.state.settings = settings
    install_translations(templates.env, settings.language)
    app.state.clock = clock or SystemClock()
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.sessionmaker = session_factory(app.state.engine)
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The residents' survey is the busiest route: routes are matched in order, so it goes first.
    for module in (
        survey,
        auth,
        organizations,
        people,
        cycles,
        questionnaire,
        register,
        survey_pages,
        survey_totals,
    ):
        app.include_router(module.router)
    app.include_router(portal.router)  # the portal and its snapshots (issue 14)
    app.include_router(questionnaire.review_router)
    app.include_router(questionnaire_pages.router)
    # The report's routes, then the interviews: the order they were declared in before.
    app.include_router(report.router)
    app.include_router(interviews.router)
    app.include_router(register_entries.router)
    app.include_router(kep_router)
    app.include_router(open_data.router)
    app.include_router(action_plan.router)

    install_console(app)
    _install_docs(app)
    install_openapi(app)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        """The landing page."""
        return render_page(request, "home.html", {})

    @app.get("/api/health", tags=["службове"])
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app


DOCS_ASSETS = "/docs/assets"


def _install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the installed swagger-ui-bundle-v2 files, not FastAPI's CDN."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API description."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="infoaudit API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            # Swagger UI would send the schema to an online validator for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
