"""Launching a cycle and the addresses handed out after it (the JSON API and the console share
them)."""

from datetime import datetime

from sqlalchemy.orm import Session

from api.schemas import UnitLinkRead
from models.account import Account
from models.actor import Actor
from models.cycle import AuditCycle
from models.plan import CyclePlan
from models.services.cycles import launch_cycle, questionnaire_url, unit_links
from models.settings import Settings


def survey_url(settings: Settings, cycle: AuditCycle) -> str:
    """The public survey's address."""
    return f"{settings.base_url.rstrip('/')}/survey/{cycle.survey_slug}"


def links_read(session: Session, *, cycle_id: int, settings: Settings) -> list[UnitLinkRead]:
    """The cycle's unit links as full URLs."""
    return [
        UnitLinkRead(
            unit=link.unit_name,
            email=link.unit_email,
            url=questionnaire_url(settings.base_url, link.token),
        )
        for link in unit_links(session, cycle_id=cycle_id, secret_key=settings.secret_key)
    ]


def launch_for(
    session: Session, *, account: Account, plan: CyclePlan, settings: Settings, now: datetime
) -> AuditCycle:
    """Launch a cycle in the account's organization, recorded as the account's act."""
    assert account.organization_id is not None
    return launch_cycle(
        session,
        organization_id=account.organization_id,
        plan=plan,
        secret_key=settings.secret_key,
        now=now,
        # The console calls this with its own logged-in account, not through the API's deps.
        actor=Actor.of(account),
    )
