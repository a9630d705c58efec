"""Rejected match proposals, remembered per organization, register entry and portal dataset:
matching never proposes a rejected pair again, and an auditor's own match of the pair lifts
the rejection."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.actor import Actor
from models.publication import RejectedMatch


def remember_rejection(
    session: Session,
    *,
    organization_id: int,
    entry_id: int,
    portal_id: str,
    actor: Actor,
    now: datetime,
) -> None:
    """Note that the pair was rejected (once: rejecting it again changes nothing)."""
    known = session.scalar(
        select(RejectedMatch.id).where(
            RejectedMatch.organization_id == organization_id,
            RejectedMatch.register_entry_id == entry_id,
            RejectedMatch.portal_id == portal_id,
        )
    )
    if known is None:
        session.add(
            RejectedMatch(
                organization_id=organization_id,
                register_entry_id=entry_id,
                portal_id=portal_id,
                rejected_by=actor.label,
                rejected_at=now,
            )
        )
        session.flush()


def lift_rejection(
    session: Session, *, organization_id: int, entry_id: int, portal_id: str
) -> None:
    """The pair is matched deliberately: it is no longer a rejected one."""
    session.execute(
        delete(RejectedMatch).where(
            RejectedMatch.organization_id == organization_id,
            RejectedMatch.register_entry_id == entry_id,
            RejectedMatch.portal_id == portal_id,
        )
    )


def rejected_pairs(
    session: Session, *, organization_id: int, entry_ids: Collection[int] | None = None
) -> set[tuple[int, str]]:
    """The (register entry id, portal id) pairs rejected in the organization (of these entries)."""
    query = select(RejectedMatch.register_entry_id, RejectedMatch.portal_id).where(
        RejectedMatch.organization_id == organization_id
    )
    if entry_ids is not None:
        query = query.where(RejectedMatch.register_entry_id.in_(entry_ids))
    return set(session.execute(query).tuples())


def rejection_counts(session: Session, *, organization_id: int) -> dict[int, int]:
    """Per register entry id, how many proposals for it were rejected (entries with none absent)."""
    rows = session.execute(
        select(RejectedMatch.register_entry_id, func.count())
        .where(RejectedMatch.organization_id == organization_id)
        .group_by(RejectedMatch.register_entry_id)
    ).tuples()
    return dict(rows.all())
