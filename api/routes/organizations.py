"""Organizations, their units, accounts and dataset register."""

from fastapi import APIRouter, Request

from api.deps import DB, Coordinator, CurrentAccount, Now, bearer_token, current_account
from api.schemas import AccountRead, OrganizationRead, RegisterImportRead, UnitRead
from models.account import Account, Role
from models.actor import BOOTSTRAP, Actor
from models.errors import Forbidden, NotFound
from models.schemas import AccountCreate, OrganizationCreate, RegisterEntryCreate, UnitCreate
from models.services.organizations import (
    add_unit,
    count_organizations,
    create_member_account,
    create_organization_with_coordinator,
    get_organization,
    list_units,
)
from models.services.register import add_register_entries

router = APIRouter(prefix="/api/organizations", tags=["організації"])


def _own_organization(account: Account, organization_id: int) -> None:
    # Another organization's data is "not found", not "forbidden": its existence is not told.
    if account.organization_id != organization_id:
        raise NotFound("Організацію не знайдено.")


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
        account = current_account(request, session, now)
        if account.role != Role.ADMIN:
            raise Forbidden("Створювати організації може лише адміністратор встановлення.")
        actor = Actor.of(account)
    organization = create_organization_with_coordinator(session, document=body, at=now, actor=actor)
    return OrganizationRead(
        id=organization.id,
        name=organization.name,
        edrpou=organization.edrpou,
        units=[
            UnitRead.model_validate(u) for u in list_units(session, organization_id=organization.id)
        ],
    )


@router.get("/{organization_id}", response_model=OrganizationRead)
def read(organization_id: int, session: DB, account: CurrentAccount) -> OrganizationRead:
    """An organization with its units."""
    _own_organization(account, organization_id)
    organization = get_organization(session, organization_id=organization_id)
    return OrganizationRead(
        id=organization.id,
        name=organization.name,
        edrpou=organization.edrpou,
        units=[
            UnitRead.model_validate(u) for u in list_units(session, organization_id=organization_id)
        ],
    )


@router.post("/{organization_id}/units", status_code=201, response_model=UnitRead)
def create_unit(
    organization_id: int, body: UnitCreate, session: DB, account: Coordinator
) -> UnitRead:
    """Add a unit."""
    _own_organization(account, organization_id)
    return UnitRead.model_validate(
        add_unit(session, organization_id=organization_id, **body.model_dump())
    )


@router.post("/{organization_id}/accounts", status_code=201, response_model=AccountRead)
def create_login(
    organization_id: int, body: AccountCreate, session: DB, now: Now, account: Coordinator
) -> AccountRead:
    """Add a login for a working-group member, an auditor or the mayor's office."""
    _own_organization(account, organization_id)
    return AccountRead.model_validate(
        create_member_account(
            session,
            organization_id=organization_id,
            actor=Actor.of(account),
            at=now,
            **body.model_dump(),
        )
    )


@router.post("/{organization_id}/register", status_code=201, response_model=RegisterImportRead)
def import_register(
    organization_id: int, body: list[RegisterEntryCreate], session: DB, account: Coordinator
) -> RegisterImportRead:
    """Add dataset register rows (the shape of the report's Annex 1)."""
    _own_organization(account, organization_id)
    entries = add_register_entries(session, organization_id=organization_id, rows=body)
    return RegisterImportRead(added=len(entries))
