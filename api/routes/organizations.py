"""Organizations, their units, accounts and dataset register."""

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field
from sqlalchemy.orm import Session

from api.deps import (
    DB,
    Coordinator,
    CurrentAccount,
    CurrentActor,
    Now,
    OwnOrganization,
    bearer_token,
    current_account,
)
from api.schemas import AccountRead, Read, RegisterImportRead, UnitRead
from models.account import Role
from models.actor import BOOTSTRAP, Actor
from models.errors import Forbidden
from models.organization import Organization
from models.schemas import AccountCreate, OrganizationCreate, RegisterEntryCreate, UnitCreate
from models.services.organizations import (
    add_unit,
    count_organizations,
    create_member_account,
    create_organization_with_coordinator,
    list_units,
)
from models.services.register_import import import_register_rows
from models.tabular import MAX_TABLE_ROWS

router = APIRouter(prefix="/api/organizations", tags=["організації"])


class OrganizationRead(Read):
    """An organization with its units."""

    id: int
    name: str
    edrpou: str | None
    units: list[UnitRead]


def organization_read(session: Session, organization: Organization) -> OrganizationRead:
    """An organization with its units, as the API shows it."""
    return OrganizationRead(
        id=organization.id,
        name=organization.name,
        edrpou=organization.edrpou,
        units=[
            UnitRead.model_validate(u) for u in list_units(session, organization_id=organization.id)
        ],
    )


@router.post("", status_code=201, response_model=OrganizationRead)
def create(body: OrganizationCreate, request: Request, session: DB, now: Now) -> OrganizationRead:
    """Create an organization with its units and first coordinator.

    The first organization of an installation may be created without logging in; after that,
    only the installation's administrator may create more.
    """
    actor = BOOTSTRAP
    if count_organizations(session) > 0:
        if bearer_token(request) is None:
            raise Forbidden("Створювати організації може лише адміністратор встановлення.")
        # Not a dependency: the first organization is created without any login at all.
        account = current_account(request, session, now)
        if account.role != Role.ADMIN:
            raise Forbidden("Створювати організації може лише адміністратор встановлення.")
        actor = Actor.of(account)
    organization = create_organization_with_coordinator(session, document=body, at=now, actor=actor)
    return organization_read(session, organization)


@router.get("/{organization_id}", response_model=OrganizationRead)
def read(_account: CurrentAccount, organization: OwnOrganization, session: DB) -> OrganizationRead:
    """An organization with its units."""
    return organization_read(session, organization)


@router.post("/{organization_id}/units", status_code=201, response_model=UnitRead)
def create_unit(
    _account: Coordinator, organization: OwnOrganization, body: UnitCreate, session: DB
) -> UnitRead:
    """Add a unit."""
    return UnitRead.model_validate(
        add_unit(session, organization_id=organization.id, **body.model_dump())
    )


@router.post("/{organization_id}/accounts", status_code=201, response_model=AccountRead)
def create_login(
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    body: AccountCreate,
    session: DB,
    now: Now,
) -> AccountRead:
    """Add a login for a working-group member, an auditor or the mayor's office."""
    return AccountRead.model_validate(
        create_member_account(
            session, organization_id=organization.id, actor=actor, at=now, **body.model_dump()
        )
    )


@router.post("/{organization_id}/register", status_code=201, response_model=RegisterImportRead)
def import_register(
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    body: Annotated[list[RegisterEntryCreate], Field(max_length=MAX_TABLE_ROWS)],
    session: DB,
    now: Now,
) -> RegisterImportRead:
    """Add dataset register rows (the shape of the report's Annex 1): every row or none, at most
    20,000 in one request."""
    entries = import_register_rows(
        session, organization_id=organization.id, rows=body, actor=actor, now=now
    )
    return RegisterImportRead(added=len(entries))
