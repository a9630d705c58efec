"""Rendering the report's versions: the first when reporting opens, a new one after each change
of the working group's text. Runs outside web requests; the PDF is laid out in worker
processes with a memory cap (report_templates/parallel.py)."""

from collections.abc import Callable
from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from models.clock import SystemClock
from models.db import session_scope
from models.services.report.context import FullReportContext, full_report_context
from models.services.report.rendering import clear_request, pending_request, record_render_failure
from models.services.report.versions import (
    latest_version,
    next_version_number,
    render_due,
    store_version,
)
from models.settings import Settings
from report_templates.environment import RenderError
from report_templates.render import render
from report_templates.style import HouseStyle, Margins


def house_style(settings: Settings) -> HouseStyle:
    """The installation's house style for the report (a RenderError names a bad setting)."""
    try:
        return HouseStyle(
            font=settings.report_font,
            size_pt=settings.report_font_size_pt,
            margins=Margins.parse(settings.report_margins_mm),
            logo=settings.report_logo,
        )
    except (ValueError, OSError) as exc:
        raise RenderError(f"Налаштування оформлення звіту (INFOAUDIT_REPORT_*): {exc}") from exc


def render_pdf(context: FullReportContext) -> bytes:
    """The report's PDF with the installation's render worker count, memory cap, tagging and
    house style."""
    # Read when the render runs, not the process-wide cached settings: a changed cap applies
    # to the next render.
    settings = Settings()
    return render(
        context,
        workers=settings.render_workers,
        memory_mb=settings.render_memory_mb,
        tagged=settings.render_tagged,
        style=house_style(settings),
    )


def render_version(
    cycle_id: int, now: datetime, renderer: Callable[[FullReportContext], bytes] = render_pdf
) -> int | None:
    """Render and store a new version if one is due; returns its number (None if none was due)."""
    with session_scope() as session:
        if not render_due(session, cycle_id=cycle_id):
            return None
        seen = pending_request(session, cycle_id=cycle_id)
        number = next_version_number(session, cycle_id=cycle_id)
        context = full_report_context(session, cycle_id=cycle_id, now=now, version=number)
    # Rendering takes seconds to minutes: no transaction is held open meanwhile.
    try:
        pdf = renderer(context)
    except Exception as exc:
        # The console shows the failure; the next sweep tries again (the request stays due).
        with session_scope() as session:
            message = str(exc) if isinstance(exc, RenderError) else None
            record_render_failure(
                session, cycle_id=cycle_id, number=number, message=message, now=now
            )
        raise
    with session_scope() as session:
        latest = latest_version(session, cycle_id=cycle_id)
        if latest is not None and latest.number >= number:
            return None  # another run stored it first
        store_version(
            session,
            cycle_id=cycle_id,
            pdf=pdf,
            number=number,
            now=now,
            figures_as_of=context["figures_as_of"],
        )
        clear_request(session, cycle_id=cycle_id, seen=seen)
    return number


@task(cache_policy=NO_CACHE)
def render_report_version(cycle_id: int, now: datetime) -> int | None:
    """Prefect task around render_version."""
    return render_version(cycle_id, now)


# Retried by Prefect: an error in the layout leaves the request due, and a run whose worker
# died mid-render is put back in the pool by the zombie automation (flows/deployments.py).
@flow(name="render_report", retries=2, retry_delay_seconds=15)
def render_report(cycle_id: int, now: datetime | None = None) -> int | None:
    """Render a new version of the cycle's report if its text changed."""
    return render_report_version(cycle_id, now or SystemClock().now())
