"""The console's requests to publish a cycle's package or take the monitoring card, run by the
sweep (`advance_active_cycles`) outside web requests; each request records its outcome."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from prefect import flow

from flows.monitoring import quarterly_monitoring
from flows.publish import prepare_package, publish_package
from models.clock import SystemClock
from models.db import session_scope
from models.errors import DomainError
from models.portal.ckan import CkanPublisher, PortalError
from models.portal_job import PortalJobKind
from models.services.portal_jobs import (
    fail_job,
    finish_job,
    renew_lease,
    requested_job_ids,
    start_job,
)
from models.services.portal_source import portal_target
from models.settings import Settings

logger = logging.getLogger(__name__)


def _publish(cycle_id: int, organization_id: int, now: datetime) -> tuple[str, dict[str, Any]]:
    # Read as the job runs (not the process-wide cached settings), as the CLI does; the token
    # is never a flow parameter (Prefect stores those).
    settings = Settings()
    out_dir = settings.data_dir.resolve() / "publication" / str(cycle_id)
    package = prepare_package(cycle_id, out_dir, now)
    with session_scope() as session:
        target = portal_target(session, organization_id=organization_id)
    if target is None:
        raise PortalError("Портал відкритих даних для організації не налаштовано.")
    # The organization's own key, to its own portal only (never an installation-wide one).
    portal_url, owner_org, token = target.portal_url, target.portal_organization, target.token or ""
    result = publish_package(package, portal_url=portal_url, token=token, owner_org=owner_org)
    # The resources' own links, as the portal now has them (published already if this fails).
    ckan = CkanPublisher(portal_url, token=token)
    try:
        current = ckan.find_package(package.name) or {}
    except PortalError:
        current = {}
    finally:
        ckan.close()
    resources = [
        {"name": str(r.get("name", "")), "url": str(r.get("url", ""))}
        for r in current.get("resources", [])
        if str(r.get("url", "")).startswith(("https://", "http://"))  # links the page shows
    ]
    message = (
        f"Оприлюднено на порталі: завантажено файлів {len(result.uploaded)}, "
        f"без змін {len(result.unchanged)}."
    )
    return message, {
        "dataset_url": result.dataset_url,
        "created": result.created,
        "resources": resources,
    }


def _monitoring(organization_id: int, now: datetime) -> tuple[str, dict[str, Any]]:
    out_dir = Settings().data_dir.resolve() / "monitoring" / str(organization_id)
    outcome = quarterly_monitoring(organization_id, now, str(out_dir))
    return str(outcome["message"]), {"snapshot": outcome["snapshot"], "files": outcome["files"]}


@contextmanager
def _lease_kept(job_id: int, lease: timedelta) -> Iterator[None]:
    """Renew the job's claim every third of the lease while the block runs (a killed process
    stops renewing it, and the sweep resumes the job once the claim lapses)."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with session_scope() as session:
                    renew_lease(session, job_id=job_id, lease=lease)
            except Exception:  # the database is busy or gone: the next beat tries again
                logger.warning("Portal job %s: its claim could not be renewed", job_id)

    beat = threading.Thread(target=renew, name=f"portal-job-{job_id}-lease", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=30)


def run_job(job_id: int, now: datetime) -> str | None:
    """Carry out one request if nobody has taken it (or resume one a killed run left); returns
    its final status."""
    lease = timedelta(seconds=max(1, Settings().portal_job_lease_seconds))
    with session_scope() as session:
        job = start_job(session, job_id=job_id, now=now, lease=lease)
        if job is None:
            return None
        kind, cycle_id, organization_id = job.kind, job.cycle_id, job.organization_id
    with _lease_kept(job_id, lease):
        return _carry_out(job_id, kind, cycle_id, organization_id, now)


def _carry_out(
    job_id: int, kind: PortalJobKind, cycle_id: int, organization_id: int, now: datetime
) -> str:
    error: str | None = None
    try:
        if kind == PortalJobKind.PUBLISH:
            message, result = _publish(cycle_id, organization_id, now)
        else:
            message, result = _monitoring(organization_id, now)
    except (PortalError, DomainError) as exc:  # their messages are for people (Ukrainian)
        error = exc.message
    except Exception:
        logger.exception("Portal job %s failed", job_id)  # the cause stays in the log
        error = ""
    if error is not None:
        with session_scope() as session:
            fail_job(session, job_id=job_id, message=error or None, now=now)
        return "failed"
    with session_scope() as session:
        finish_job(session, job_id=job_id, message=message, result=result, now=now)
    return "done"


@flow(name="portal_jobs", log_prints=False)
def run_portal_jobs(now: datetime | None = None) -> dict[int, str | None]:
    """Every request waiting, oldest first."""
    moment = now if now is not None else SystemClock().now()
    with session_scope() as session:
        job_ids = requested_job_ids(session)
    return {job_id: run_job(job_id, moment) for job_id in job_ids}
