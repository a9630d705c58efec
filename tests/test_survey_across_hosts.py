"""On PostgreSQL, the survey's rate limit and one-answer-per-browser rule hold across web hosts.

Two engines (two connection pools, as two `infoaudit web` hosts have) take a burst at the
same moment; the database, not any process's memory, decides.
"""

import os
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from models.clock import FixedClock
from models.db import session_scope
from models.errors import Conflict
from models.services.surveys.submission import AnswerInput, RateLimited
from models.services.surveys.submission_io import start_submission
from models.survey import Response
from tests.factories import at, create_organization, launch, plan

pytestmark = pytest.mark.skipif(
    not os.environ.get("INFOAUDIT_TEST_DATABASE_URL"), reason="PostgreSQL only (many hosts)"
)
BURST = 16


def _burst(
    client: TestClient, clock: FixedClock, database_url: str, **who: Any
) -> list[BaseException | None]:
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 12))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    single = client.get(f"/api/survey/{slug}").json()["questions"][0]
    hosts = [create_engine(database_url, pool_size=BURST) for _ in range(2)]
    try:
        futures: list[Future[Any]] = [
            start_submission(
                hosts[n % 2],
                slug=slug,
                answers=[AnswerInput(single["id"], [single["options"][0]["id"]])],
                idempotency_key=f"burst-{n:04d}",
                now=clock.now(),
                **who,
            )
            for n in range(BURST)
        ]
        return [future.exception(30) for future in futures]
    finally:
        for engine in hosts:
            engine.dispose()


def _stored() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count(Response.id))) or 0)


def test_the_rate_limit_is_exact_across_two_hosts(
    client: TestClient, clock: FixedClock, database_url: str
) -> None:
    errors = _burst(client, clock, database_url, ip_hash="one-address", rate_limit=3)
    assert sum(error is None for error in errors) == 3
    assert all(isinstance(error, RateLimited) for error in errors if error is not None)
    assert _stored() == 3


def test_one_browser_answers_once_across_two_hosts(
    client: TestClient, clock: FixedClock, database_url: str
) -> None:
    errors = _burst(client, clock, database_url, ip_hash=None, browser_hash="one-browser")
    assert sum(error is None for error in errors) == 1
    assert all(isinstance(error, Conflict) for error in errors if error is not None)
    assert _stored() == 1
