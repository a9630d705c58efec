"""32 residents answer at once, on SQLite, through real uvicorn: none lost, no 500."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.clock import FixedClock
from models.db import session_scope
from models.services.surveys.submission import AnswerInput, RateLimited
from models.services.surveys.submission_io import start_submission
from models.survey import Answer, Response
from tests.factories import at, create_organization, launch, plan

CLIENTS = 32


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_32_concurrent_submissions_none_lost(
    client: TestClient, clock: FixedClock, live_server: str, database_url: str
) -> None:
    assert database_url.startswith("sqlite")
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 12))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    questions = client.get(f"/api/survey/{slug}").json()["questions"]
    single, multiple = questions[0], questions[1]
    proposals = next(q for q in questions if q["kind"] == "text")

    start = threading.Barrier(CLIENTS)

    def answer(n: int) -> list[int]:
        body: dict[str, Any] = {
            "idempotency_key": f"concurrent-{n:04d}",
            "answers": [
                {"question_id": single["id"], "option_ids": [single["options"][n % 2]["id"]]},
                {
                    "question_id": multiple["id"],
                    "option_ids": [o["id"] for o in multiple["options"][: 1 + n % 3]],
                },
                {"question_id": proposals["id"], "text": f"Пропозиція {n}"},
            ],
        }
        url = f"{live_server}/api/survey/{slug}/responses"
        with httpx.Client(timeout=60) as http:
            start.wait()  # all 32 at the same moment
            # Each resident sends twice (a retry): the second must not add a response.
            return [http.post(url, json=body).status_code for _ in range(2)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(answer, range(CLIENTS)))
    assert all(first == 201 and again == 200 for first, again in statuses), statuses
    with session_scope() as session:
        assert session.scalar(select(func.count(Response.id))) == CLIENTS
        texts = session.scalar(select(func.count(Answer.id)).where(Answer.text.is_not(None)))
        assert texts == CLIENTS
        # Single choice: exactly one answer per response.
        assert (
            session.scalar(select(func.count(Answer.id)).where(Answer.question_id == single["id"]))
            == CLIENTS
        )


@pytest.mark.sqlite_only
def test_the_rate_limit_holds_exactly_for_a_burst_from_one_address(
    client: TestClient, clock: FixedClock, app: FastAPI
) -> None:
    """On SQLite the writer checks each submission in turn, seeing the ones before it: twelve
    sent at once from one address under a limit of three store exactly three."""
    org = create_organization(client)
    cycle = launch(client, org["coordinator"], plan())
    clock.set(at("2024-09-24", 12))
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    single = client.get(f"/api/survey/{slug}").json()["questions"][0]

    futures = [
        start_submission(
            app.state.engine,
            slug=slug,
            answers=[AnswerInput(single["id"], [single["options"][0]["id"]])],
            idempotency_key=f"burst-{n:04d}",
            ip_hash="one-address",
            now=clock.now(),
            rate_limit=3,
        )
        for n in range(12)
    ]
    errors = [future.exception(10) for future in futures]

    assert sum(error is None for error in errors) == 3
    assert all(isinstance(error, RateLimited) for error in errors if error is not None)
    with session_scope() as session:
        assert session.scalar(select(func.count(Response.id))) == 3
