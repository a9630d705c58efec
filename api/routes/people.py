"""The JSON API's side of the console's people pages: editing and deactivating units and logins,
resetting a password, replacing one unit's link, the list of cycles and the readable trail."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.cycle_launch import links_read
from api.deps import (
    DB,
    AppSettings,
    Coordinator,
    CurrentActor,
    Now,
    OwnCycle,
    OwnOrganization,
    Reader,
    WorkingGroup,
)
from api.schemas import AccountRead, UnitLinkRead, UnitRead
from models.cycle import CycleStatus
from models.schemas import AccountUpdate, PasswordReset, UnitCreate
from models.services.cycles import list_cycles, replace_unit_link
from models.services.events import list_events
from models.services.organizations import list_accounts
from models.services.people import (
    reset_password,
    set_account_active,
    set_unit_active,
    update_account,
    update_unit,
)
from models.services.trail import describe_events

router = APIRouter(tags=["організації"])
ORG = "/api/organizations/{organization_id}"


class CycleSummaryRead(BaseModel):
    """A cycle in the organization's list."""

    id: int
    year: int
    order_number: str
    status: CycleStatus
    is_historical: bool


class PasswordRead(BaseModel):
    """The new password, shown this once (only its hash is kept)."""

    password: str


class TrailRead(BaseModel):
    """One audit-trail line in plain Ukrainian."""

    at: datetime
    action: str
    who: str
    what: str
    sentence: str


@router.get(ORG + "/cycles", response_model=list[CycleSummaryRead])
def cycles(_account: Reader, organization: OwnOrganization, session: DB) -> list[CycleSummaryRead]:
    """The organization's cycles, newest first."""
    return [
        CycleSummaryRead(
            id=c.id,
            year=c.year,
            order_number=c.order_number,
            status=c.status,
            is_historical=c.is_historical,
        )
        for c in list_cycles(session, organization_id=organization.id)
    ]


@router.put(ORG + "/units/{unit_id}", response_model=UnitRead)
def edit_unit(
    unit_id: int,
    body: UnitCreate,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> UnitRead:
    """Change a unit's name, kind, head or e-mail."""
    unit = update_unit(
        session, unit_id=unit_id, organization_id=organization.id, data=body, actor=actor, at=now
    )
    return UnitRead.model_validate(unit)


def _unit_active(
    unit_id: int, active: bool, organization_id: int, actor: CurrentActor, session: DB, now: Now
) -> UnitRead:
    unit = set_unit_active(
        session,
        unit_id=unit_id,
        organization_id=organization_id,
        active=active,
        actor=actor,
        at=now,
    )
    return UnitRead.model_validate(unit)


@router.post(ORG + "/units/{unit_id}/deactivate", response_model=UnitRead)
def deactivate_unit(
    unit_id: int,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> UnitRead:
    """Deactivate a unit: it gets no link in new cycles; past cycles keep it."""
    return _unit_active(unit_id, False, organization.id, actor, session, now)


@router.post(ORG + "/units/{unit_id}/activate", response_model=UnitRead)
def activate_unit(
    unit_id: int,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> UnitRead:
    """Bring a deactivated unit back."""
    return _unit_active(unit_id, True, organization.id, actor, session, now)


@router.get(ORG + "/accounts", response_model=list[AccountRead])
def accounts(
    _account: Coordinator, organization: OwnOrganization, session: DB
) -> list[AccountRead]:
    """The organization's logins."""
    return [
        AccountRead.model_validate(a)
        for a in list_accounts(session, organization_id=organization.id)
    ]


@router.patch(ORG + "/accounts/{account_id}", response_model=AccountRead)
def edit_account(
    account_id: int,
    body: AccountUpdate,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> AccountRead:
    """Change a login's e-mail, name or role (what is left out stays)."""
    account = update_account(
        session,
        account_id=account_id,
        organization_id=organization.id,
        data=body,
        actor=actor,
        at=now,
    )
    return AccountRead.model_validate(account)


def _account_active(
    account_id: int, active: bool, organization_id: int, actor: CurrentActor, session: DB, now: Now
) -> AccountRead:
    account = set_account_active(
        session,
        account_id=account_id,
        organization_id=organization_id,
        active=active,
        actor=actor,
        at=now,
    )
    return AccountRead.model_validate(account)


@router.post(ORG + "/accounts/{account_id}/deactivate", response_model=AccountRead)
def deactivate_account(
    account_id: int,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> AccountRead:
    """Deactivate a login: its sessions end and it cannot log in."""
    return _account_active(account_id, False, organization.id, actor, session, now)


@router.post(ORG + "/accounts/{account_id}/activate", response_model=AccountRead)
def activate_account(
    account_id: int,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
) -> AccountRead:
    """Bring a deactivated login back."""
    return _account_active(account_id, True, organization.id, actor, session, now)


@router.post(ORG + "/accounts/{account_id}/password", response_model=PasswordRead)
def reset_account_password(
    account_id: int,
    body: PasswordReset,
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    session: DB,
    now: Now,
    settings: AppSettings,
) -> PasswordRead:
    """Set a new password, or leave it out to have one generated; shown in this answer only."""
    password = reset_password(
        session,
        account_id=account_id,
        organization_id=organization.id,
        password=body.password,
        secret_key=settings.secret_key,
        actor=actor,
        at=now,
    )
    return PasswordRead(password=password)


@router.post("/api/cycles/{cycle_id}/units/{unit_id}/link", response_model=list[UnitLinkRead])
def replace_link(
    unit_id: int,
    _account: Coordinator,
    cycle: OwnCycle,
    actor: CurrentActor,
    session: DB,
    now: Now,
    settings: AppSettings,
) -> list[UnitLinkRead]:
    """Give one unit a new secret link (its old one stops working); returns all the links."""
    replace_unit_link(
        session,
        cycle_id=cycle.id,
        unit_id=unit_id,
        secret_key=settings.secret_key,
        now=now,
        actor=actor,
    )
    return links_read(session, cycle_id=cycle.id, settings=settings)


@router.get("/api/cycles/{cycle_id}/trail", response_model=list[TrailRead])
def trail(_account: WorkingGroup, cycle: OwnCycle, session: DB) -> list[TrailRead]:
    """The cycle's audit trail in plain Ukrainian, oldest first (`/events` gives the raw rows)."""
    events = list_events(session, cycle_id=cycle.id)
    return [
        TrailRead(
            at=line.at,
            action=event.action,
            who=line.who,
            what=line.what,
            sentence=line.sentence,
        )
        for event, line in zip(events, describe_events(session, events), strict=True)
    ]
