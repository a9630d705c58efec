"""Rendering the report's versions: the first when reporting opens, a new one after each change
of the working group's text. Runs outside web requests; the PDF is laid out in worker
processes with a memory cap (report_templates/parallel.py)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from models.clock import SystemClock
from models.db import session_scope
from models.services.report_versions import (
    clear_request,
    full_report_context,
    pending_request,
    record_render_failure,
    render_due,
)
from models.services.reports import latest_version, next_version_number, store_version
from report_templates.parallel import RenderError
from report_templates.render import render


def render_version(
    cycle_id: int, now: datetime, renderer: Callable[[dict[str, Any]], bytes] = render
) -> int | None:
    """Render and store a new version if one is due; returns its number (None if none was due)."""
    with session_scope() as session:
        if not render_due(session, cycle_id=cycle_id):
            return None
        seen = pending_request(session, cycle_id=cycle_id)
        number = next_version_number(session, cycle_id=cycle_id)
        context: dict[str, Any] = full_report_context(
            session, cycle_id=cycle_id, now=now, version=number
        )
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
        store_version(session, cycle_id=cycle_id, pdf=pdf, number=number, now=now)
        clear_request(session, cycle_id=cycle_id, seen=seen)
    return number


@task(cache_policy=NO_CACHE)
def render_report_version(cycle_id: int, now: datetime) -> int | None:
    """Prefect task around render_version."""
    return render_version(cycle_id, now)


@flow(name="render_report")
def render_report(cycle_id: int, now: datetime | None = None) -> int | None:
    """Render a new version of the cycle's report if its text changed."""
    return render_report_version(cycle_id, now or SystemClock().now())
