"""The demo's second year: the action plan made from the approved 2024 report, followed through
2025 (some items done with evidence, some overdue, reminders through the outbox), then a short
2025 cycle whose report checks the plan and compares the years (report-2025.pdf)."""

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
import yaml

from api.demo.answers import questionnaires_for, survey_answers
from api.demo.http import checked
from models.clock import KYIV, FixedClock

# 52 weeks: the 2025 stages fall on the same weekdays as the seed's 2024 ones.
YEAR_SHIFT = timedelta(weeks=52)
PLAN_DEADLINE = "2025-03-31"


def _at(day: date | str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(str(day)), dtime(hour, 0), tzinfo=KYIV)


def _shift(day: date | str) -> str:
    return str(date.fromisoformat(str(day)) + YEAR_SHIFT)


def _unit_of(task: str, units: list[str]) -> str | None:
    fitting = [u for u in units if task.startswith(f"{u}: ")]
    return max(fitting, key=len) if fitting else None


def record_action_plan(
    client: httpx.Client,
    *,
    cycle_id: int,
    org_id: int,
    login: Callable[[], dict[str, str]],
    seed: dict[str, Any],
    clock: FixedClock,
    progress: Callable[[str], None],
) -> None:
    """The plan from the 2024 recommendations; by autumn 2025 two units have done their part
    (their datasets republished in CSV), one is on it, the rest are overdue."""
    from flows.reminders import action_plan_reminders  # Prefect: imported when needed

    clock.set(_at("2024-10-16"))
    headers = login()
    base = f"/api/cycles/{cycle_id}/action-plan"
    plan = checked(client.post(base, headers=headers, json={"due_on": PLAN_DEADLINE}), 201)
    items = plan["items"]
    units = [u["name"] for u in seed["units"]]
    by_unit = [(i, u) for i in items if (u := _unit_of(i["task"], units))]
    holder = [i for i in items if not _unit_of(i["task"], units)]
    later = holder[-1]  # the next audit's plan: due before the 2025 audit
    fields = ("task", "indicator", "responsible_unit_id", "responsible_person", "metric")
    checked(
        client.put(
            f"{base}/items/{later['id']}",
            headers=headers,
            json={
                **{k: later[k] for k in fields},
                "due_on": "2025-09-15",
                "responsible_email": later["responsible_email"],
                "baseline": "плану немає",
            },
        )
    )
    progress(f"План дій складено з рекомендацій звіту 2024 року: завдань {len(items)}")

    clock.set(_at("2025-03-17"))
    reminded = action_plan_reminders(clock.now())["recorded"]
    clock.set(_at("2025-03-20"))
    headers = login()
    done_units = [u for _, u in by_unit[:2]]
    for row in seed["register"]:
        if any(u in row["units"] for u in done_units):
            checked(
                client.post(
                    f"/api/organizations/{org_id}/register/{row['number']}/publication",
                    headers=headers,
                    json={
                        "state": "published",
                        "observed_on": "2025-03-20",
                        "last_updated_on": "2025-03-20",
                        "formats": ["CSV"],
                    },
                ),
                201,
            )
    notes = [
        (item, "done", f"Набори даних підрозділу «{unit}» оновлено й оприлюднено у форматі CSV")
        for item, unit in by_unit[:2]
    ]
    notes += [(item, "in_progress", "Готуються ресурси у форматі CSV") for item, _ in by_unit[2:3]]
    notes.append((later, "done", "План наступного аудиту затверджено розпорядженням №170-р"))
    for item, status, text in notes:
        value = "план затверджено" if item is later else ""
        checked(
            client.post(
                f"{base}/items/{item['id']}/notes",
                headers=headers,
                json={"noted_on": "2025-03-20", "status": status, "text": text, "value": value},
            ),
            201,
        )
    clock.set(_at("2025-04-01"))
    reminded += action_plan_reminders(clock.now())["recorded"]
    done = sum(status == "done" for _, status, _ in notes)
    progress(
        f"План дій: виконано {done}, виконується {len(notes) - done}, решта прострочена; "
        f"нагадувань відповідальним у черзі пошти: {reminded}"
    )


def _plan_2025(seed: dict[str, Any]) -> dict[str, Any]:
    cycle = seed["cycle"]
    return {
        "year": 2025,
        "order": {
            "number": "201-р",
            "date": _shift(cycle["order_date"]),
            "title": cycle["order_title"],
        },
        "units": [u["name"] for u in seed["units"]],
        "auditors": cycle["auditors"],
        "interview_schedule_on": _shift(cycle["interview_schedule_on"]),
        "open_data_order": cycle.get("open_data_order", ""),
        "survey_unit": cycle.get("survey_unit", ""),
        "stages": {
            kind: {k: _shift(v) if k != "skip_reason" else v for k, v in dates.items()}
            for kind, dates in cycle["stages"].items()
        },
        "questions": [
            {
                "text": q["text"],
                "kind": q["kind"],
                "required": False,
                **({"options": q["options"]} if q["kind"] != "text" else {}),
            }
            for q in seed["survey"]["questions"]
        ],
    }


def run_next_cycle(
    client: httpx.Client,
    *,
    login: Callable[[], dict[str, str]],
    seed: dict[str, Any],
    clock: FixedClock,
    people: Iterator[str],
    out_dir: Path,
    progress: Callable[[str], None],
) -> Path:
    """A short 2025 cycle: questionnaires on one day, the survey, reporting; writes
    report-2025.pdf with the previous audit's section and the year-over-year table."""
    from flows.audit_cycle import audit_cycle  # Prefect: imported when needed

    plan = _plan_2025(seed)
    stages = plan["stages"]
    clock.set(_at(plan["order"]["date"], 9))
    cycle = checked(
        client.post(
            "/api/cycles",
            headers={**login(), "Content-Type": "application/yaml"},
            content=yaml.safe_dump(plan, allow_unicode=True).encode(),
        ),
        201,
    )
    cycle_id = cycle["id"]

    def advance(day: str) -> None:
        clock.set(_at(day))
        audit_cycle(cycle_id, clock.now())

    advance(stages["preparation"]["starts_on"])
    links = {link["unit"]: link["url"].rsplit("/", 1)[1] for link in cycle["links"]}
    clock.set(_at(stages["remote_audit"]["starts_on"], 11))
    submitted = 0
    silent = [u for u in links if not questionnaires_for(seed, u)]
    for unit in links:
        bodies = questionnaires_for(seed, unit)
        if unit == silent[0]:  # a unit that did not answer in 2024 does now
            bodies = [{"systems": [{"name": "Система електронного документообігу"}]}]
        for body in bodies:
            respondent = {"full_name": next(people), "position": "головний спеціаліст"}
            checked(
                client.post(
                    f"/api/questionnaire/{links[unit]}", json={"respondent": respondent, **body}
                ),
                201,
            )
            submitted += 1
    slug = cycle["survey_url"].rsplit("/", 1)[1]
    questions = checked(client.get(f"/api/survey/{slug}"))["questions"]
    participants = seed["survey"]["participants"]
    residence = next(q for q in questions if "прожива" in q["text"])
    answers = survey_answers(seed["survey"]["questions"], questions, participants)
    for n, answer in enumerate(answers):
        answer = answer or [
            {"question_id": residence["id"], "option_ids": [residence["options"][0]["id"]]}
        ]
        checked(
            client.post(
                f"/api/survey/{slug}/responses",
                json={"answers": answer, "idempotency_key": f"demo-2025-{n:04d}"},
            ),
            201,
        )
    advance(_shift(date.fromisoformat(str(seed["cycle"]["stages"]["consultation"]["due_on"]))))
    advance(stages["reporting"]["starts_on"])  # reporting opens: version 1 is rendered
    pdf = checked(client.get(f"/api/cycles/{cycle_id}/report/download", headers=login()))
    path = out_dir / "report-2025.pdf"
    path.write_bytes(pdf.content)
    progress(
        f"Цикл 2025 року: анкет {submitted}, учасників опитування {participants}; звіт з розділом "
        f"«Стан виконання рекомендацій попереднього аудиту» ({len(pdf.content) // 1024} КБ): "
        f"{path.name}"
    )
    return path
