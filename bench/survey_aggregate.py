"""Survey aggregation benchmark: results of 100,000 stored responses, on PostgreSQL and SQLite.

Builds the schema (Alembic), launches a cycle with the default nine questions, bulk-inserts
N responses with their answers, then times `survey_results` (every question: answered,
per-option counts, texts) and one cross-tab, aggregated in SQL. Prints one JSON line per
database. Target: results for all questions < 1 s.

    python bench/survey_aggregate.py [--pg URL] [--n 100000] [--only sqlite|postgresql]

The default PostgreSQL URL is INFOAUDIT_BENCH_PG_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test
(its public schema is dropped and rebuilt).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from api.lifetime import start_reaper, stop_on_signals  # noqa: E402
from bench.survey_ingest import DEFAULT_PG, launch_survey, prepare_database  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from models.services.surveys.results import crosstab, survey_results  # noqa: E402
from models.survey import Answer, Response  # noqa: E402

BATCH = 5_000


def fill(url: str, n: int, slug: str, questions: list[dict[str, Any]]) -> int:
    """Bulk-insert n responses (with explicit ids) and their answers; returns answer rows."""
    engine = create_engine(url)
    with engine.connect() as connection:
        cycle_id = connection.execute(
            text("SELECT id FROM audit_cycle WHERE survey_slug = :slug"), {"slug": slug}
        ).scalar_one()
    now = datetime.now(UTC)
    answers_total = 0
    for start in range(0, n, BATCH):
        responses, answers = [], []
        for i in range(start, min(start + BATCH, n)):
            response_id = i + 1
            responses.append(
                {
                    "id": response_id,
                    "cycle_id": cycle_id,
                    "submitted_at": now,
                    "idempotency_key": f"agg-{i:08d}",
                    "ip_hash": f"{i % 5000:064x}",
                }
            )
            for q_index, question in enumerate(questions):
                if (i + q_index) % 7 == 0:
                    continue  # not every question is answered: denominators differ
                base = {"response_id": response_id, "question_id": question["id"]}
                if question["kind"] == "text":
                    if i % 4 == 0:
                        answers.append({**base, "option_id": None, "text": f"Пропозиція {i}"})
                    continue
                options = question["options"]
                if question["kind"] == "single":
                    chosen = [options[(i * 7 + q_index) % len(options)]]
                else:
                    chosen = [o for k, o in enumerate(options) if (i >> k) % 3 == 0] or options[:1]
                for option in chosen:
                    text_value = f"Інше {i}" if option["is_other"] else None
                    answers.append({**base, "option_id": option["id"], "text": text_value})
        with engine.begin() as connection:
            connection.execute(insert(Response), responses)
            connection.execute(insert(Answer), [{**a, "is_hidden": False} for a in answers])
        answers_total += len(answers)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if url.startswith("postgresql"):
            connection.execute(text("SELECT setval('response_id_seq', :n)"), {"n": n})
            connection.execute(text("VACUUM ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return answers_total


def bench_database(name: str, url: str, n: int) -> dict[str, Any]:
    """Fill one database and time the aggregation (best of three, after one warm-up)."""
    prepare_database(url)
    slug, questions = launch_survey(url)
    started = time.perf_counter()
    answers = fill(url, n, slug, questions)
    fill_seconds = time.perf_counter() - started
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        cycle_id = session.execute(
            text("SELECT id FROM audit_cycle WHERE survey_slug = :slug"), {"slug": slug}
        ).scalar_one()
        survey_results(session, cycle_id=cycle_id)  # warm-up: caches, pages
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            results = survey_results(session, cycle_id=cycle_id)
            timings.append(time.perf_counter() - started)
        by = next(q for q in questions if q["kind"] == "single" and len(q["options"]) > 2)
        started = time.perf_counter()
        areas = questions[1]["id"]
        crosstab(session, cycle_id=cycle_id, question_id=areas, by_question_id=by["id"])
        crosstab_seconds = time.perf_counter() - started
    engine.dispose()
    seconds = min(timings)
    return {
        "bench": "survey_aggregate",
        "database": name,
        "responses": results[0].participants,
        "answer_rows": answers,
        "questions": len(results),
        "first_question": results[0].denominator,
        "seconds": round(seconds, 3),
        "crosstab_seconds": round(crosstab_seconds, 3),
        "fill_seconds": round(fill_seconds, 1),
        "target_met": seconds < 1.0,
    }


def main() -> None:
    """Parse arguments and run on each database."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=os.environ.get("INFOAUDIT_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    args = parser.parse_args()
    stop_on_signals()  # killed or failed: nothing it started outlives it (api.lifetime)
    start_reaper()
    with tempfile.TemporaryDirectory() as tmp:
        databases = {"postgresql": args.pg, "sqlite": f"sqlite:///{tmp}/aggregate.db"}
        for name, url in databases.items():
            if args.only and name != args.only:
                continue
            print(json.dumps(bench_database(name, url, args.n)), flush=True)


if __name__ == "__main__":
    main()
