"""Reminders to units without a submitted questionnaire and to those responsible for
action-plan items, and the outbox sender.

Both tasks are idempotent: reminders are recorded under a dedup key per unit and point, and
the sender only takes messages still due, so reruns and crashes never send a reminder twice.
"""

from collections.abc import Sequence
from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from models.clock import SystemClock
from models.db import session_scope
from models.services.action_plan_reminders import enqueue_plan_reminders
from models.services.mail import enqueue_reminders, send_due
from models.settings import get_settings


@task(cache_policy=NO_CACHE)
def remind_units(cycle_id: int, now: datetime, days_before: Sequence[int] | None = None) -> int:
    """Record today's reminders for units without a submitted questionnaire."""
    settings = get_settings()
    with session_scope() as session:
        return enqueue_reminders(
            session,
            cycle_id=cycle_id,
            now=now,
            settings=settings,
            days_before=settings.reminder_days if days_before is None else days_before,
        )


@task(cache_policy=NO_CACHE)
def send_outbox(now: datetime) -> dict[str, int]:
    """Send the e-mails due in the outbox by SMTP; failures are retried on later runs."""
    result = send_due(now=now, settings=get_settings())
    if result.retrying or result.failed:
        # Counts only: no addresses in the logs.
        get_run_logger().warning(
            "Outbox: %s sent, %s to retry, %s failed", result.sent, result.retrying, result.failed
        )
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}


@flow(name="questionnaire_reminders", log_prints=False)
def questionnaire_reminders(
    cycle_id: int, now: datetime | None = None, days_before: list[int] | None = None
) -> dict[str, int]:
    """Remind units of one cycle and send the outbox (also part of `audit_cycle`)."""
    moment = now if now is not None else SystemClock().now()
    recorded = remind_units(cycle_id, moment, days_before)
    return {"recorded": recorded, **send_outbox(moment)}


@task(cache_policy=NO_CACHE)
def remind_plan_items(now: datetime, organization_id: int | None = None) -> int:
    """Record today's reminders for open action-plan items (before the deadline, overdue)."""
    with session_scope() as session:
        return enqueue_plan_reminders(session, now=now, organization_id=organization_id)


@flow(name="action_plan_reminders", log_prints=False)
def action_plan_reminders(
    now: datetime | None = None, organization_id: int | None = None
) -> dict[str, int]:
    """Remind those responsible for action-plan items and send the outbox (part of the sweep)."""
    moment = now if now is not None else SystemClock().now()
    recorded = remind_plan_items(moment, organization_id)
    return {"recorded": recorded, **send_outbox(moment)}
