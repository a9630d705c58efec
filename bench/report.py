"""Report rendering benchmark: a large city's cycle, the full report rendered in parallel parts.

Builds (SQLite, Alembic schema) a cycle of N register entries, 0.4·N information systems,
0.6·N information items, N/25 units and 20·N survey responses (defaults for N = 5,000:
2,000 systems, 3,000 items, 200 units, 100,000 responses), builds the report context, renders
it with `report_templates.render.render` (parts in worker processes, merged, numbered) and, in
the same run, the baseline: the same HTML as one WeasyPrint document in one process. Prints
one JSON line. Targets on a 2-core machine: seconds <= 60, peak memory of the process tree
<= 1.5 GB, seconds <= 0.6 x baseline; doubling N at most 2.2 x the time.

    python bench/report.py [--rows 5000] [--no-baseline] [--tagged]

--tagged also renders the tagged PDF (one document in one worker, report_templates/tagged.py)
and reports its time against the parallel render.
"""

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from api.lifetime import start_reaper, stop_on_signals  # noqa: E402
from models.actor import Actor  # noqa: E402
from models.cycle import AuditedUnit  # noqa: E402
from models.plan import CyclePlan  # noqa: E402
from models.questionnaire import (  # noqa: E402
    InformationItem,
    InformationSystem,
    QuestionnaireSubmission,
    SubmissionStatus,
)
from models.schemas import RegisterEntryCreate  # noqa: E402
from models.survey import Answer, Option, Question, QuestionKind, Response  # noqa: E402

NOW = datetime(2024, 9, 20, 7, 0, tzinfo=UTC)  # launched before the first stage
PERIODICITIES = ["щороку", "щоквартально", "щомісячно та в міру потреби", "щопівроку"]
BATCH = 5_000
WATCHDOG: set[int] = set()


class PeakMemory:
    """Samples the resident memory of this process and all its descendants, and their CPU time.

    The CPU time (user + system, a child's as last seen before it ended) does not depend on how
    busy the shared machine is, unlike the seconds on the clock.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._cpu: dict[int, float] = {}
        self._cpu_before: dict[int, float] = {}
        self._own_cpu = 0.0
        self.cpu_seconds = 0.0  # set on leaving
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            if child.pid in WATCHDOG:
                continue  # api.reaper: not part of what is measured
            try:
                total += child.memory_info().rss
                times = child.cpu_times()
                self._cpu[child.pid] = times.user + times.system
            except psutil.Error:
                pass
        return total

    def _cpu_since_entering(self) -> float:
        times = psutil.Process().cpu_times()
        children = sum(cpu - self._cpu_before.get(pid, 0.0) for pid, cpu in self._cpu.items())
        return times.user + times.system - self._own_cpu + children

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self.interval)

    def __enter__(self) -> "PeakMemory":
        times = psutil.Process().cpu_times()
        self._own_cpu = times.user + times.system
        self.peak = self._sample()
        # Children from before (an idle fork server) count only for what they do from now on.
        self._cpu_before = dict(self._cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = self._cpu_since_entering()


def build_cycle(rows: int) -> int:
    """The large city's cycle in the database configured by INFOAUDIT_DATABASE_URL."""
    from models.db import session_scope
    from models.services.cycles import launch_cycle
    from models.services.organizations import add_unit, create_organization
    from models.services.register import add_register_entries
    from models.services.surveys.questions import default_questions

    unit_count = max(4, rows // 25)
    with session_scope() as session:
        org = create_organization(
            session, name="Велика міська рада", edrpou=None, at=NOW, actor=Actor(label="bench")
        )
        units = [
            add_unit(session, organization_id=org.id, name=f"Управління № {n} міської ради")
            for n in range(1, unit_count + 1)
        ]
        day = date(2024, 9, 23)
        plan = CyclePlan.model_validate(
            {
                "year": 2024,
                "order": {"number": "1-р", "date": "2024-09-23"},
                "units": [u.name for u in units],
                "auditors": [{"full_name": "Аудиторенко Оксана", "position": "спеціаліст"}],
                # A question lists units as options (at most 100): the first 50 here.
                "questions": [
                    q.model_dump(mode="json")
                    for q in default_questions([u.name for u in units[:50]])
                ],
                "stages": {
                    "preparation": {"starts_on": day, "due_on": "2024-09-27"},
                    "consultation": {"starts_on": day, "due_on": "2024-10-06"},
                    "remote_audit": {"starts_on": day, "due_on": "2024-09-27"},
                    "interviews": {"starts_on": "2024-09-30", "due_on": "2024-09-30"},
                    "reporting": {"starts_on": "2024-10-07", "due_on": "2024-10-14"},
                },
            }
        )
        cycle = launch_cycle(
            session,
            organization_id=org.id,
            plan=plan,
            secret_key="bench",
            now=NOW,
            actor=Actor(label="bench"),
        )
        add_register_entries(
            session,
            organization_id=org.id,
            rows=[
                RegisterEntryCreate(
                    number=n,
                    name=f"Набір даних № {n}: перелік об’єктів і показників діяльності",
                    units=[units[n % unit_count].name],
                    periodicity=PERIODICITIES[n % len(PERIODICITIES)],
                )
                for n in range(1, rows + 1)
            ],
        )
        audited = session.scalars(
            select(AuditedUnit.id).where(AuditedUnit.cycle_id == cycle.id)
        ).all()
        submissions = []
        for audited_id in audited:
            submission = QuestionnaireSubmission(
                audited_unit_id=audited_id,
                respondent_name="Працівник",
                status=SubmissionStatus.SUBMITTED,
                submitted_at=NOW,
            )
            session.add(submission)
            submissions.append(submission)
        session.flush()
        ids = [s.id for s in submissions]
        session.execute(
            insert(InformationSystem),
            [
                {
                    "submission_id": ids[n % len(ids)],
                    "position": n,
                    "name": f"Інформаційна система № {n}",
                    "url": f"https://system{n}.example.org",
                    "basis": "Дані підрозділу; адміністратор – відділ цифрової трансформації",
                    "description": "Облік звернень, документів і показників діяльності підрозділу.",
                    "holds_personal_data": n % 5 == 0,
                }
                for n in range(1, int(rows * 0.4) + 1)
            ],
        )
        session.execute(
            insert(InformationItem),
            [
                {
                    "submission_id": ids[n % len(ids)],
                    "position": n,
                    "name": f"Публічна інформація № {n}",
                    "description": "Відомості, які створюються під час виконання повноважень.",
                }
                for n in range(1, int(rows * 0.6) + 1)
            ],
        )
        cycle_id = cycle.id
    fill_survey(cycle_id, responses=rows * 20)
    return cycle_id


def fill_survey(cycle_id: int, *, responses: int) -> None:
    """Bulk-insert the survey's responses: every choice question answered, a few proposals."""
    from models.db import session_scope

    with session_scope() as session:
        questions = session.scalars(select(Question).where(Question.cycle_id == cycle_id)).all()
        options = {
            q.id: session.scalars(select(Option.id).where(Option.question_id == q.id)).all()
            for q in questions
        }
        kinds = {q.id: q.kind for q in questions}
    with session_scope() as session:
        for start in range(0, responses, BATCH):
            stop = min(start + BATCH, responses)
            session.execute(
                insert(Response),
                [
                    {
                        "id": i + 1,
                        "cycle_id": cycle_id,
                        "submitted_at": NOW,
                        "idempotency_key": f"bench-{i:08d}",
                    }
                    for i in range(start, stop)
                ],
            )
            answers: list[dict[str, Any]] = []
            for i in range(start, stop):
                for question_id, kind in kinds.items():
                    if kind == QuestionKind.TEXT:
                        if i % 200 == 0:  # a proposal from one resident in 200
                            answers.append(
                                {
                                    "response_id": i + 1,
                                    "question_id": question_id,
                                    "text": f"Оприлюднити дані про ремонт доріг, пропозиція {i}",
                                }
                            )
                    elif options[question_id]:
                        choices = options[question_id]
                        answers.append(
                            {
                                "response_id": i + 1,
                                "question_id": question_id,
                                "option_id": choices[(i * 7 + question_id) % len(choices)],
                            }
                        )
            session.execute(insert(Answer), answers)


def context_for(cycle_id: int) -> dict[str, Any]:
    """The full report context, as the flow builds it."""
    from models.db import session_scope
    from models.services.report.context import full_report_context

    with session_scope() as session:
        return full_report_context(session, cycle_id=cycle_id, now=NOW, version=1)


def pages(pdf: bytes) -> int:
    """Pages of a PDF."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> int:
    """Build, render, render the baseline, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="register entries (N)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-document render")
    parser.add_argument(
        "--tagged", action="store_true", help="also the tagged (accessible) one-document render"
    )
    args = parser.parse_args()
    stop_on_signals()  # killed or failed: nothing it started outlives it (api.lifetime)
    reaper = start_reaper()
    WATCHDOG.update([reaper.pid] if reaper else [])

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        os.environ["INFOAUDIT_DATABASE_URL"] = url
        from models.migrate import upgrade_database
        from models.settings import get_settings
        from report_templates.parallel import worker_count
        from report_templates.render import render, render_single

        upgrade_database(url)
        started = time.monotonic()
        cycle_id = build_cycle(args.rows)
        built = time.monotonic() - started
        started = time.monotonic()
        context = context_for(cycle_id)
        context_seconds = time.monotonic() - started

        settings = get_settings()
        load_before = os.getloadavg()[0]
        with PeakMemory() as memory:
            started = time.monotonic()
            pdf = render(
                context, workers=settings.render_workers, memory_mb=settings.render_memory_mb
            )
            seconds = time.monotonic() - started
        result: dict[str, Any] = {
            "rows": args.rows,
            "seconds": round(seconds, 1),
            "peak_memory_mb": round(memory.peak / 2**20),
            "pages": pages(pdf),
            "cpu_seconds": round(memory.cpu_seconds, 1),
            "workers": worker_count(settings.render_workers),
            "build_seconds": round(built, 1),
            "context_seconds": round(context_seconds, 1),
        }
        if not args.no_baseline:
            with PeakMemory() as baseline_memory:
                started = time.monotonic()
                single = render_single(context)
                baseline = time.monotonic() - started
            result |= {
                "baseline_seconds": round(baseline, 1),
                "baseline_pages": pages(single),
                "baseline_peak_memory_mb": round(baseline_memory.peak / 2**20),
                "baseline_cpu_seconds": round(baseline_memory.cpu_seconds, 1),
                "ratio": round(seconds / baseline, 2),
            }
        if args.tagged:
            with PeakMemory() as tagged_memory:
                started = time.monotonic()
                tagged = render(context, memory_mb=settings.render_memory_mb, tagged=True)
                tagged_seconds = time.monotonic() - started
            result |= {
                "tagged_seconds": round(tagged_seconds, 1),
                "tagged_pages": pages(tagged),
                "tagged_peak_memory_mb": round(tagged_memory.peak / 2**20),
                "tagged_cpu_seconds": round(tagged_memory.cpu_seconds, 1),
                "tagged_ratio": round(tagged_seconds / seconds, 2),
            }
    # The machine is shared: the 1-minute load average before and after tells how busy it was.
    result["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
