"""The `portal_snapshot` flow: read the holder's datasets from its CKAN portal and match them.

The API's "take a snapshot" runs it outside the request (`start_portal_snapshot`); the
quarterly monitoring takes one before it writes the card.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from prefect import flow

from models.db import session_scope
from models.portal.ckan import CkanClient, PortalError
from models.services.publication import (
    get_portal_source,
    match_datasets,
    record_failed_snapshot,
    record_snapshot,
)
from models.settings import get_settings

SNAPSHOT_THREAD = "portal-snapshot"  # the name (prefix) of the thread a request starts


@dataclass(frozen=True)
class SnapshotOutcome:
    """How taking a snapshot went."""

    ok: bool
    message: str
    snapshot_id: int | None = None


def take_snapshot(
    organization_id: int, *, now: datetime, token: str | None = None, timeout: float = 20.0
) -> SnapshotOutcome:
    """Read the holder's datasets from its portal and match them; a failure keeps the last one."""
    with session_scope() as session:
        source = get_portal_source(session, organization_id=organization_id)
        if source is None:
            return SnapshotOutcome(False, "Портал відкритих даних для організації не налаштовано.")
        portal_url, portal_organization = source.portal_url, source.portal_organization
    # The network call runs outside any transaction.
    try:
        with CkanClient(portal_url, token=token, timeout=timeout) as client:
            _org, datasets = client.holder_datasets(portal_organization)
    except PortalError as exc:
        with session_scope() as session:
            record_failed_snapshot(
                session,
                organization_id=organization_id,
                taken_at=now,
                portal_url=portal_url,
                portal_organization=portal_organization,
                error=exc.message,
            )
        return SnapshotOutcome(False, exc.message)
    with session_scope() as session:
        snapshot = record_snapshot(
            session,
            organization_id=organization_id,
            taken_at=now,
            portal_url=portal_url,
            portal_organization=portal_organization,
            private_included=bool(token),
            datasets=datasets,
        )
        proposals = match_datasets(
            session, organization_id=organization_id, snapshot_id=snapshot.id, now=now
        )
        waiting = sum(not p.confirmed for p in proposals)
        return SnapshotOutcome(
            True,
            f"Знімок порталу: {len(datasets)} наборів даних; нових зіставлень {len(proposals)}, "
            f"з них чекають підтвердження аудитора {waiting}.",
            snapshot.id,
        )


@flow(name="portal_snapshot", log_prints=False)
def portal_snapshot(organization_id: int, now: datetime) -> SnapshotOutcome:
    """A snapshot of the holder's portal; its result shows in the list of snapshots."""
    # The token is read here, not passed in: flow parameters are stored by Prefect's API.
    return take_snapshot(organization_id, now=now, token=get_settings().portal_token or None)


def start_portal_snapshot(organization_id: int, now: datetime) -> threading.Thread:
    """Run the `portal_snapshot` flow in a thread of its own, so a request returns at once."""
    thread = threading.Thread(
        target=portal_snapshot,
        args=(organization_id, now),
        name=f"{SNAPSHOT_THREAD}-{organization_id}",
        daemon=True,  # a snapshot cut short keeps the previous one; it never blocks shutdown
    )
    thread.start()
    return thread
