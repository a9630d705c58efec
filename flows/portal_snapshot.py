"""The `portal_snapshot` flow: read the holder's datasets (and its units' own portal
organizations) from its CKAN portal, store them and match them to the register.

The API records the request (`request_snapshot`) and runs this flow outside the request
(`start_portal_snapshot`); the quarterly monitoring takes one before it writes the card. Every
write is a short transaction of at most `BATCH` rows, and matching runs outside any
transaction, so requests writing meanwhile only ever wait milliseconds for the lock.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from prefect import flow

from models.actor import SYSTEM
from models.db import session_scope
from models.portal.ckan import CkanClient, PortalError
from models.publication import SnapshotStatus
from models.services.matching import propose_matches
from models.services.portal_snapshots import (
    batches,
    fail_snapshot,
    finish_snapshot,
    get_snapshot,
    matching_inputs,
    organizations_to_read,
    request_snapshot,
    set_progress,
    snapshot_status_text,
    write_proposals,
)
from models.services.portal_source import portal_target
from models.services.publication import PortalDataset, store_datasets

SNAPSHOT_THREAD = "portal-snapshot"  # the name (prefix) of the thread a request starts
INTERRUPTED = "Знімок не вдалося завершити через внутрішню помилку; спробуйте ще раз."


@dataclass(frozen=True)
class SnapshotOutcome:
    """How taking a snapshot went."""

    ok: bool
    message: str
    snapshot_id: int | None = None


def _read_portal(
    snapshot_id: int, portal_url: str, organizations: list[str], token: str | None, timeout: float
) -> list[PortalDataset]:
    """The holder's organization first, then each unit's own; views where the portal has them."""

    def progress(done: int, total: int | None = None) -> None:
        with session_scope() as session:
            set_progress(session, snapshot_id=snapshot_id, done=done, total=total)

    datasets: list[PortalDataset] = []
    with CkanClient(portal_url, token=token, timeout=timeout) as client:
        for index, name in enumerate(organizations):
            _org, found = client.holder_datasets(name, unit_organization=index > 0)
            datasets.extend(found)
        progress(0, len(datasets))
        return client.with_tracking(datasets, on_progress=progress)


def store_and_match(
    organization_id: int,
    snapshot_id: int,
    datasets: list[PortalDataset],
    *,
    now: datetime,
    private_included: bool,
) -> SnapshotOutcome:
    """Store what was read and match it, each write a short transaction of its own."""
    for batch in batches(datasets):
        with session_scope() as session:
            store_datasets(session, snapshot_id=snapshot_id, datasets=list(batch))
    with session_scope() as session:
        entries, keys, settled, taken, rejected = matching_inputs(
            session, organization_id=organization_id, snapshot_id=snapshot_id
        )
    # No transaction while matching.
    proposals = propose_matches(entries, keys, settled=settled, taken=taken, rejected=rejected)
    for chunk in batches(proposals):
        with session_scope() as session:
            write_proposals(session, organization_id=organization_id, proposals=chunk, now=now)
    with session_scope() as session:
        snapshot = finish_snapshot(
            session,
            snapshot_id=snapshot_id,
            datasets=len(datasets),
            private_included=private_included,
            proposals=proposals,
            now=now,
        )
        return SnapshotOutcome(True, snapshot_status_text(snapshot), snapshot_id)


def take_snapshot(
    organization_id: int,
    *,
    now: datetime,
    timeout: float = 20.0,
    snapshot_id: int | None = None,
) -> SnapshotOutcome:
    """Take the requested snapshot (or a new one); a failure keeps the last good one.

    The organization's own API key (read here, never a flow parameter: Prefect stores those)
    lets it read private datasets too.
    """
    with session_scope() as session:
        source = portal_target(session, organization_id=organization_id)
        if source is None:
            return SnapshotOutcome(False, "Портал відкритих даних для організації не налаштовано.")
        if snapshot_id is None:
            requested, created = request_snapshot(
                session, organization_id=organization_id, actor=SYSTEM, now=now
            )
            if not created:  # one is already being taken: it is not run twice at once
                return SnapshotOutcome(False, snapshot_status_text(requested), requested.id)
            snapshot_id = requested.id
        else:
            requested = get_snapshot(
                session, organization_id=organization_id, snapshot_id=snapshot_id
            )
            if requested.status != SnapshotStatus.REQUESTED:  # taken already (or being taken)
                return SnapshotOutcome(False, snapshot_status_text(requested), snapshot_id)
        set_progress(session, snapshot_id=snapshot_id, done=0, total=0)
        portal_url, token = source.portal_url, source.token
        organizations = [
            source.portal_organization,
            *organizations_to_read(
                session, organization_id=organization_id, main=source.portal_organization
            ),
        ]
    try:
        # The network calls run outside any transaction.
        datasets = _read_portal(snapshot_id, portal_url, organizations, token, timeout)
        return store_and_match(
            organization_id, snapshot_id, datasets, now=now, private_included=bool(token)
        )
    except PortalError as exc:
        with session_scope() as session:
            fail_snapshot(session, snapshot_id=snapshot_id, error=exc.message, now=now)
        return SnapshotOutcome(False, exc.message, snapshot_id)
    except BaseException:
        with session_scope() as session:
            fail_snapshot(session, snapshot_id=snapshot_id, error=INTERRUPTED, now=now)
        raise


@flow(name="portal_snapshot", log_prints=False)
def portal_snapshot(
    organization_id: int, now: datetime, snapshot_id: int | None = None
) -> SnapshotOutcome:
    """A snapshot of the holder's portal; its status and result show in the list of snapshots."""
    return take_snapshot(organization_id, now=now, snapshot_id=snapshot_id)


def start_portal_snapshot(
    organization_id: int, now: datetime, snapshot_id: int | None = None
) -> threading.Thread:
    """Run the `portal_snapshot` flow in a thread of its own, so a request returns at once."""
    thread = threading.Thread(
        target=portal_snapshot,
        args=(organization_id, now, snapshot_id),
        name=f"{SNAPSHOT_THREAD}-{organization_id}",
        daemon=True,  # a snapshot cut short is marked stale by the next request
    )
    thread.start()
    return thread
