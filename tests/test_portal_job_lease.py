"""A running portal job's claim (its lease): while renewed nobody else takes the job; once it
lapses (the runner was killed) the sweep takes it up again, and a new request replaces it."""

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.actor import CLI
from models.clock import FixedClock
from models.db import session_scope
from models.errors import Conflict
from models.portal_job import PortalJob, PortalJobKind, PortalJobStatus
from models.services.portal_jobs import (
    ABANDONED,
    renew_lease,
    request_job,
    requested_job_ids,
    start_job,
)
from tests.console_pages import launched_cycle

LEASE = timedelta(seconds=1)


def test_a_lapsed_claim_is_taken_up_again_and_a_renewed_one_is_not(
    client: TestClient, clock: FixedClock
) -> None:
    cycle_id = launched_cycle(client, clock)["cycle_id"]
    monitoring = PortalJobKind.MONITORING
    with session_scope() as session:
        job_id = request_job(
            session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=clock.now()
        ).id
    with session_scope() as session:
        assert start_job(session, job_id=job_id, now=clock.now(), lease=LEASE) is not None
    with session_scope() as session:  # held: nobody else takes it, a new request waits
        assert requested_job_ids(session) == []
        assert start_job(session, job_id=job_id, now=clock.now(), lease=LEASE) is None
    with session_scope() as session, pytest.raises(Conflict):
        request_job(session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=clock.now())
    time.sleep(0.6)
    with session_scope() as session:  # renewed in time: still held
        assert renew_lease(session, job_id=job_id, lease=LEASE)
    time.sleep(0.6)
    with session_scope() as session:
        assert requested_job_ids(session) == []

    time.sleep(0.6)  # the runner was killed: nobody renews the claim
    with session_scope() as session:
        assert requested_job_ids(session) == [job_id]
        assert start_job(session, job_id=job_id, now=clock.now(), lease=LEASE) is not None

    time.sleep(1.2)  # killed again; this time the coordinator asks anew
    with session_scope() as session:
        request_job(session, cycle_id=cycle_id, kind=monitoring, actor=CLI, now=clock.now())
    with session_scope() as session:
        jobs = session.scalars(select(PortalJob).order_by(PortalJob.id)).all()
        assert [(j.status, j.message, j.lease_until) for j in jobs] == [
            (PortalJobStatus.FAILED, ABANDONED, None),
            (PortalJobStatus.REQUESTED, "", None),
        ]
        assert not renew_lease(session, job_id=job_id, lease=LEASE)  # finished: not renewed
