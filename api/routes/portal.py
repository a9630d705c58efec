"""The holder's portal: where it (and each unit) publishes, and snapshots with their status."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from api.deps import (
    DB,
    Coordinator,
    CurrentActor,
    Now,
    OwnOrganization,
    WorkingGroup,
    require_roles,
)
from flows.portal_snapshot import start_portal_snapshot
from models.account import Account, Role
from models.bounds import trimmed
from models.plan import Strict
from models.publication import PortalSnapshot
from models.services.portal_snapshots import (
    get_snapshot,
    request_snapshot,
    set_unit_portal_organizations,
    snapshot_status_text,
    unit_portal_organizations,
)
from models.services.portal_source import set_portal_source, token_is_set
from models.services.publication import list_snapshots

router = APIRouter(prefix="/api/organizations/{organization_id}", tags=["портал відкритих даних"])

Auditing = Annotated[Account, require_roles(Role.COORDINATOR, Role.AUDITOR)]
PortalName = Annotated[str, trimmed(min_length=1, max_length=200)]


class PortalSourceUpdate(Strict):
    """Where the holder publishes; the address must be on the administrator's allow list."""

    portal_url: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")
    ]
    portal_organization: PortalName
    # Write-only: the organization's own CKAN API key (omitted: the stored one is kept, as long
    # as the portal stays on the same host).
    api_token: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        None
    )
    remove_token: bool = False


class PortalSourceRead(BaseModel):
    """Where the holder publishes, as recorded (the key itself is never shown)."""

    portal_url: str
    portal_organization: str
    token_set: bool


class UnitPortalUpdate(Strict):
    """The portal organizations a unit publishes as (empty: the holder's own)."""

    portal_organizations: list[PortalName] = Field(default_factory=list, max_length=20)


class UnitPortalRead(BaseModel):
    """A unit's own portal organizations."""

    unit_id: int
    portal_organizations: list[str]


class SnapshotRead(BaseModel):
    """A snapshot attempt (times as ISO 8601 text) with its status in Ukrainian."""

    id: int
    taken_at: str
    status: str
    message: str
    error: str | None
    datasets: int
    progress_done: int
    progress_total: int
    proposed: int
    waiting: int
    private_included: bool
    finished_at: str | None


class SnapshotRequestRead(SnapshotRead):
    """A requested snapshot (or the one already under way)."""

    created: bool


def snapshot_read(snapshot: PortalSnapshot) -> SnapshotRead:
    """A snapshot as the API shows it."""
    return SnapshotRead(
        id=snapshot.id,
        taken_at=snapshot.taken_at.isoformat(),
        status=snapshot.status.value,
        message=snapshot_status_text(snapshot),
        error=snapshot.error,
        datasets=snapshot.dataset_count,
        progress_done=snapshot.progress_done,
        progress_total=snapshot.progress_total,
        proposed=snapshot.proposed,
        waiting=snapshot.waiting,
        private_included=snapshot.private_included,
        finished_at=snapshot.finished_at.isoformat() if snapshot.finished_at else None,
    )


@router.put("/portal", response_model=PortalSourceRead)
def set_portal(
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    body: PortalSourceUpdate,
    session: DB,
    now: Now,
) -> PortalSourceRead:
    """Say on which CKAN portal (one the administrator allows) and under which organization
    the holder publishes, with its own API key; a host not allowed is a 422."""
    source = set_portal_source(
        session,
        organization_id=organization.id,
        portal_url=body.portal_url,
        portal_organization=body.portal_organization,
        api_token=body.api_token,
        remove_token=body.remove_token,
        actor=actor,
        now=now,
    )
    return PortalSourceRead(
        portal_url=source.portal_url,
        portal_organization=source.portal_organization,
        token_set=token_is_set(source),
    )


@router.put("/units/{unit_id}/portal-organizations", response_model=UnitPortalRead)
def set_unit_portal(
    _account: Coordinator,
    organization: OwnOrganization,
    actor: CurrentActor,
    unit_id: int,
    body: UnitPortalUpdate,
    session: DB,
    now: Now,
) -> UnitPortalRead:
    """Say under which portal organization(s) a unit or municipal enterprise publishes."""
    names = set_unit_portal_organizations(
        session,
        organization_id=organization.id,
        unit_id=unit_id,
        names=body.portal_organizations,
        actor=actor,
        now=now,
    )
    return UnitPortalRead(unit_id=unit_id, portal_organizations=names)


@router.get("/units/portal-organizations", response_model=list[UnitPortalRead])
def unit_portals(
    _account: WorkingGroup, organization: OwnOrganization, session: DB
) -> list[UnitPortalRead]:
    """Every unit that publishes as its own portal organization."""
    found = unit_portal_organizations(session, organization_id=organization.id)
    return [UnitPortalRead(unit_id=u, portal_organizations=n) for u, n in found.items()]


@router.post("/portal/snapshots", status_code=202, response_model=SnapshotRequestRead)
def take_snapshot(
    _account: Auditing, organization: OwnOrganization, actor: CurrentActor, session: DB, now: Now
) -> SnapshotRequestRead:
    """Request a portal snapshot; the flow runs outside the request (follow it by its id)."""
    snapshot, created = request_snapshot(
        session, organization_id=organization.id, actor=actor, now=now
    )
    answer = SnapshotRequestRead(**snapshot_read(snapshot).model_dump(), created=created)
    session.commit()  # before the flow starts: it reads the request's row
    if created:
        start_portal_snapshot(organization.id, now, snapshot.id)
    return answer


@router.get("/portal/snapshots", response_model=list[SnapshotRead])
def snapshots(
    _account: WorkingGroup, organization: OwnOrganization, session: DB
) -> list[SnapshotRead]:
    """Every snapshot attempt, newest first, with its status (and the error of a failed one)."""
    return [snapshot_read(s) for s in list_snapshots(session, organization_id=organization.id)]


@router.get("/portal/snapshots/{snapshot_id}", response_model=SnapshotRead)
def snapshot(
    _account: WorkingGroup, organization: OwnOrganization, snapshot_id: int, session: DB
) -> SnapshotRead:
    """One snapshot's status: requested, running (n of N datasets), done with counts, failed."""
    return snapshot_read(
        get_snapshot(session, organization_id=organization.id, snapshot_id=snapshot_id)
    )
