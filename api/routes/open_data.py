"""The JSON API of the open-data pages: the review of proposed matches and decisions on them
(one or many at once), and the requests to publish a cycle's package or take the monitoring
card, which the sweep carries out (the console's buttons call the same services)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import DB, CurrentActor, Now, OwnCycle, OwnOrganization, WorkingGroup, require_roles
from models.account import Account, Role
from models.plan import Strict
from models.portal_job import PortalJob, PortalJobKind
from models.services.match_review import decide_all, review_matches
from models.services.portal_jobs import get_job, request_job

router = APIRouter(tags=["відкриті дані"])

Auditing = Annotated[Account, require_roles(Role.COORDINATOR, Role.AUDITOR)]
Coordinator = Annotated[Account, require_roles(Role.COORDINATOR)]


class MatchDecision(Strict):
    """Which entries' pending proposals to decide, and how."""

    numbers: list[int] = Field(min_length=1, max_length=5000)
    decision: Literal["confirm", "reject"]


class MatchDecisionRead(BaseModel):
    """How many proposals were decided (entries no longer pending are skipped)."""

    decided: int


class EntrySideRead(BaseModel):
    """A register entry; `rejected`: proposals for it rejected earlier (never proposed again)."""

    number: int
    name: str
    units: list[str]
    rejected: int


class DatasetSideRead(BaseModel):
    """A portal dataset of the newest good snapshot."""

    portal_id: str
    title: str
    organization: str
    url: str | None
    private: bool


class ProposalRead(BaseModel):
    """A proposed (or confirmed) match; similarity in %."""

    entry: EntrySideRead
    dataset: DatasetSideRead | None
    portal_id: str
    method: str
    similarity: int


class MatchReviewRead(BaseModel):
    """The matches page as data."""

    snapshot_taken_at: str | None
    proposals: list[ProposalRead]
    confirmed: list[ProposalRead]
    unmatched_entries: list[EntrySideRead]
    unmatched_datasets: list[DatasetSideRead]


class PortalJobRead(BaseModel):
    """A publication or monitoring request and its outcome (times as ISO 8601)."""

    id: int
    kind: str
    status: str
    requested_at: str
    finished_at: str | None
    message: str
    result: dict[str, Any]


def _job(job: PortalJob) -> PortalJobRead:
    return PortalJobRead(
        id=job.id,
        kind=job.kind.value,
        status=job.status.value,
        requested_at=job.requested_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None,
        message=job.message,
        result=job.result,
    )


@router.get("/api/organizations/{organization_id}/register/matches", response_model=MatchReviewRead)
def matches(_account: WorkingGroup, organization: OwnOrganization, session: DB) -> dict[str, Any]:
    """Proposals awaiting a decision, confirmed matches, and both sides' unmatched items."""
    review = review_matches(session, organization_id=organization.id)

    def proposal(item: Any) -> dict[str, Any]:
        return {
            "entry": item.entry.__dict__ | {"units": list(item.entry.units)},
            "dataset": item.dataset.__dict__ if item.dataset else None,
            "portal_id": item.portal_id,
            "method": item.method.value,
            "similarity": item.percent,
        }

    return {
        "snapshot_taken_at": review.snapshot_taken_at.isoformat()
        if review.snapshot_taken_at
        else None,
        "proposals": [proposal(p) for p in review.proposals],
        "confirmed": [proposal(p) for p in review.confirmed],
        "unmatched_entries": [
            e.__dict__ | {"units": list(e.units)} for e in review.unmatched_entries
        ],
        "unmatched_datasets": [d.__dict__ for d in review.unmatched_datasets],
    }


@router.post(
    "/api/organizations/{organization_id}/register/matches/decisions",
    response_model=MatchDecisionRead,
)
def decide(
    _account: Auditing,
    organization: OwnOrganization,
    actor: CurrentActor,
    body: MatchDecision,
    session: DB,
    now: Now,
) -> MatchDecisionRead:
    """Confirm or reject the pending proposals of the given entries (each one audit event)."""
    count = decide_all(
        session,
        organization_id=organization.id,
        numbers=body.numbers,
        accept=body.decision == "confirm",
        actor=actor,
        now=now,
    )
    return MatchDecisionRead(decided=count)


@router.post(
    "/api/cycles/{cycle_id}/open-data/publish", status_code=202, response_model=PortalJobRead
)
def publish(
    _account: Coordinator, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> PortalJobRead:
    """Ask for the approved report's package to be published on the portal (the sweep runs it)."""
    return _job(
        request_job(session, cycle_id=cycle.id, kind=PortalJobKind.PUBLISH, actor=actor, now=now)
    )


@router.post(
    "/api/cycles/{cycle_id}/open-data/monitoring", status_code=202, response_model=PortalJobRead
)
def monitoring(
    _account: Auditing, cycle: OwnCycle, actor: CurrentActor, session: DB, now: Now
) -> PortalJobRead:
    """Ask for a fresh snapshot and the quarter's monitoring card (the sweep runs it)."""
    job = request_job(
        session, cycle_id=cycle.id, kind=PortalJobKind.MONITORING, actor=actor, now=now
    )
    return _job(job)


@router.get("/api/cycles/{cycle_id}/open-data/jobs/{job_id}", response_model=PortalJobRead)
def job(job_id: int, _account: WorkingGroup, cycle: OwnCycle, session: DB) -> PortalJobRead:
    """Where a request stands, with its message and results (links, files)."""
    return _job(get_job(session, cycle_id=cycle.id, job_id=job_id))
