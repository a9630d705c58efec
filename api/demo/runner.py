"""`infoaudit demo`: a whole audit cycle built from seed 000, run through the real HTTP API
(uvicorn on loopback) and the real `audit_cycle` flow, with the clock moved stage by stage."""

import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as dtime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from api.app import create_app
from api.demo.answers import questionnaires_for, survey_answers
from api.demo.http import checked
from api.demo.mailsink import demo_mail
from api.demo.next_cycle import record_action_plan, run_next_cycle
from api.demo.publication import publication_records
from api.demo.signoff import approve_and_sign, write_narrative
from models.account import Role
from models.actor import CLI
from models.clock import KYIV, FixedClock
from models.cycle import describe_statuses
from models.db import get_engine, session_scope
from models.migrate import upgrade_database
from models.security import new_token
from models.services.link_mailing import enqueue_unit_links
from models.services.organizations import create_account
from models.settings import get_settings

FIRST_NAMES = ["Олена", "Андрій", "Марія", "Тарас", "Ірина", "Василь", "Наталія", "Роман"]
LAST_NAMES = ["Коваль", "Бойко", "Ткачук", "Мельник", "Савчук", "Гнатюк", "Дячук", "Стасюк"]


def load_seed() -> dict[str, Any]:
    """The demo organization built from seed 000 (person names are invented)."""
    text = resources.files("api.demo").joinpath("kalush.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def at(day: date | str, hour: int = 10) -> datetime:
    """A moment on a Kyiv calendar day."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, dtime(hour, 0), tzinfo=KYIV)


class Progress:
    """Prints each step with the seconds since the start."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.started = time.monotonic()
        self.echo = echo

    def __call__(self, message: str) -> None:
        self.echo(f"[{time.monotonic() - self.started:6.1f} с] {message}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_app(clock: FixedClock) -> Iterator[str]:
    """The real app under uvicorn on a loopback port, in a thread; yields its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = get_settings().model_copy(update={"base_url": base_url})
    app = create_app(clock=clock, settings=settings, engine=get_engine())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="demo-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("Не вдалося запустити вебсервер демонстрації.")
        time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    token = checked(client.post("/api/auth/login", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {token['token']}"}


def _people() -> Iterator[str]:
    for last, first in itertools.cycle(itertools.product(LAST_NAMES, FIRST_NAMES)):
        yield f"{last} {first}"


def run_demo(out_dir: Path, echo: Callable[[str], None] = print) -> Path:
    """Run the demo (2024, its action plan, a short 2025); returns the path of report.pdf."""
    progress = Progress(echo)
    out_dir.mkdir(parents=True, exist_ok=True)
    mail_dir = out_dir / "mail"
    with demo_mail(mail_dir) as mail:
        report_path = _run_demo(out_dir, progress)
    progress(
        f"Листів, які система надіслала б: {mail.count}; збережено в {mail_dir.resolve()} "
        "(файли .eml відкриває будь-яка поштова програма)"
    )
    return report_path


def _run_demo(out_dir: Path, progress: Progress) -> Path:
    if "INFOAUDIT_DATABASE_URL" not in os.environ:
        db_file = out_dir / "infoaudit-demo.db"
        for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
            stale.unlink(missing_ok=True)
        os.environ["INFOAUDIT_DATABASE_URL"] = f"sqlite:///{db_file.resolve()}"
        get_settings.cache_clear()
        get_engine.cache_clear()
    settings = get_settings()
    upgrade_database(settings.database_url)
    progress(f"База даних готова: {settings.database_url}")

    # Imported here: importing Prefect is slow and only the flow steps need it.
    from flows.audit_cycle import audit_cycle

    seed = load_seed()
    cycle_seed = seed["cycle"]
    stages = cycle_seed["stages"]
    clock = FixedClock(at(cycle_seed["order_date"], 9))
    admin_password = new_token(18)
    admin_email = f"admin-{new_token(4).lower()}@demo.example.org"
    with session_scope() as session:
        create_account(
            session,
            email=admin_email,
            password=admin_password,
            role=Role.ADMIN,
            organization_id=None,
            actor=CLI,
            at=clock.now(),
        )
    coordinator_email = f"coordinator-{new_token(4).lower()}@kalush.example.org"
    coordinator_password = new_token(12)
    people = _people()

    with running_app(clock) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        progress(f"Вебсервер працює на {base_url}")
        admin = _login(client, admin_email, admin_password)
        unit_names = [u["name"] for u in seed["units"]]
        extra_units = sorted(
            {u for r in seed["register"] for u in r["units"] if u not in unit_names}
        )
        organization = checked(
            client.post(
                "/api/organizations",
                headers=admin,
                json={
                    "name": seed["organization"]["name"],
                    "place": seed["organization"].get("place"),
                    "website": seed["organization"].get("website"),
                    "units": [
                        {
                            "name": u["name"],
                            "kind": u["kind"],
                            "head_name": u.get("head"),
                            "email": u.get("email"),
                        }
                        for u in seed["units"]
                    ]
                    + [{"name": name, "kind": "other"} for name in extra_units],
                    "coordinator": {
                        "email": coordinator_email,
                        "password": coordinator_password,
                        "full_name": "Координатор робочої групи",
                    },
                },
            ),
            201,
        )
        org_id = organization["id"]
        coordinator = _login(client, coordinator_email, coordinator_password)
        mayor_email = f"mayor-office-{new_token(4).lower()}@kalush.example.org"
        mayor_password = new_token(12)
        checked(
            client.post(
                f"/api/organizations/{org_id}/accounts",
                headers=coordinator,
                json={
                    "email": mayor_email,
                    "password": mayor_password,
                    "role": "mayor_office",
                    "full_name": "Апарат міського голови",
                },
            ),
            201,
        )
        register = [
            {
                k: v
                for k, v in row.items()
                if k in {"number", "name", "units", "officials", "periodicity"}
            }
            for row in seed["register"]
        ]
        added = checked(
            client.post(
                f"/api/organizations/{org_id}/register", headers=coordinator, json=register
            ),
            201,
        )
        progress(
            f"Організація «{organization['name']}»: {len(organization['units'])} підрозділів, "
            f"реєстр наборів даних: {added['added']}"
        )
        records = publication_records(seed)
        for number, record in records:
            checked(
                client.post(
                    f"/api/organizations/{org_id}/register/{number}/publication",
                    headers=coordinator,
                    json=record,
                ),
                201,
            )
        progress(
            f"Стан оприлюднення на порталі: {sum(r['state'] != 'missing' for _, r in records)} "
            f"наборів оприлюднено, з них у приватному режимі "
            f"{sum(r['state'] == 'private' for _, r in records)} (записи аудиторів)"
        )

        plan = {
            "year": cycle_seed["year"],
            "order": {
                "number": cycle_seed["order_number"],
                "date": str(cycle_seed["order_date"]),
                "title": cycle_seed["order_title"],
            },
            "units": unit_names,
            "auditors": cycle_seed["auditors"],
            "interview_schedule_on": str(cycle_seed["interview_schedule_on"]),
            "open_data_order": cycle_seed.get("open_data_order", ""),
            "survey_unit": cycle_seed.get("survey_unit", ""),
            "stages": {
                kind: {k: str(v) if k != "skip_reason" else v for k, v in dates.items()}
                for kind, dates in stages.items()
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
        cycle = checked(
            client.post(
                "/api/cycles",
                headers={**coordinator, "Content-Type": "application/yaml"},
                content=yaml.safe_dump(plan, allow_unicode=True).encode(),
            ),
            201,
        )
        cycle_id = cycle["id"]
        progress(
            f"Цикл {cycle_id} запущено розпорядженням №{cycle['order_number']} від "
            f"{date.fromisoformat(cycle['order_date']):%d.%m.%Y}: {len(cycle['links'])} посилань "
            "для підрозділів, опитування за адресою " + cycle["survey_url"]
        )

        def advance(day: str, hour: int = 10) -> None:
            clock.set(at(day, hour))
            statuses = audit_cycle(cycle_id, clock.now())
            progress(f"{clock.now():%d.%m.%Y}: {describe_statuses(statuses)}")

        with session_scope() as session:  # as the console's "Надіслати посилання" does
            mailed = enqueue_unit_links(
                session,
                cycle_id=cycle_id,
                settings=get_settings().model_copy(update={"base_url": base_url}),
                now=clock.now(),
                request_key=new_token(8),
                actor=CLI,
            )
        progress(f"Листів з посиланнями підрозділам поставлено в чергу пошти: {mailed}")
        advance(str(stages["preparation"]["starts_on"]))

        remote = seed["remote_audit"]
        accepted = _days(remote["accepted_from"], remote["accepted_to"])
        links = {link["unit"]: link["url"].rsplit("/", 1)[1] for link in cycle["links"]}
        answering = [u for u in unit_names if questionnaires_for(seed, u)]
        # Spread over the days questionnaires were really accepted, the first and last included.
        days = {
            unit: accepted[round(i * (len(accepted) - 1) / max(len(answering) - 1, 1))]
            for i, unit in enumerate(answering)
        }
        extended = False
        submitted = 0
        for unit in answering:
            if not extended and days[unit] > date.fromisoformat(str(remote["extended_on"])):
                clock.set(at(remote["extended_on"], 16))
                coordinator = _login(client, coordinator_email, coordinator_password)
                _extend_remote_audit(client, cycle_id, coordinator, remote)
                extended = True
                progress(
                    f"Віддалений аудит продовжено до {accepted[-1]:%d.%m.%Y}: "
                    f"{remote['extension_reason']}"
                )
            for questionnaire in questionnaires_for(seed, unit):
                clock.set(at(days[unit], 11))
                person = next(people)
                body = {
                    "respondent": {"full_name": person, "position": "головний спеціаліст"},
                    **questionnaire,
                }
                checked(client.post(f"/api/questionnaire/{links[unit]}", json=body), 201)
                submitted += 1
        progress(f"Анкетування: {submitted} анкет від підрозділів через їхні секретні посилання")

        slug = cycle["survey_url"].rsplit("/", 1)[1]
        questions = checked(client.get(f"/api/survey/{slug}"))["questions"]
        participants = seed["survey"]["participants"]
        per_respondent = survey_answers(seed["survey"]["questions"], questions, participants)
        residence = next(q for q in questions if "прожива" in q["text"])
        consultation_days = _days(
            stages["consultation"]["starts_on"], stages["consultation"]["due_on"]
        )
        for respondent, answers in enumerate(per_respondent):
            if not answers:  # visited but only said where they live
                answers = [
                    {"question_id": residence["id"], "option_ids": [residence["options"][0]["id"]]}
                ]
            clock.set(at(consultation_days[respondent % len(consultation_days)], 12))
            checked(
                client.post(
                    f"/api/survey/{slug}/responses",
                    json={"answers": answers, "idempotency_key": f"demo-{respondent:04d}"},
                ),
                201,
            )
        progress(f"Опитування: {participants} анонімних відповідей мешканців")

        advance(_next_day(remote["accepted_to"]))
        late = client.post(
            f"/api/questionnaire/{links[unit_names[0]]}",
            json={
                "respondent": {"full_name": next(people)},
                "systems": [{"name": "Запізніла система"}],
            },
        )
        progress(f"Запізніла анкета: HTTP {late.status_code} — {late.json()['detail']}")
        if str(stages["interviews"]["starts_on"]) > _next_day(remote["accepted_to"]):
            advance(str(stages["interviews"]["starts_on"]))
        advance(str(stages["reporting"]["starts_on"]))
        coordinator = _login(client, coordinator_email, coordinator_password)
        write_narrative(client, cycle_id, coordinator, seed)  # the next run renders a new version
        advance(_next_day(stages["reporting"]["due_on"]))
        coordinator = _login(client, coordinator_email, coordinator_password)
        approve_and_sign(client, cycle_id, coordinator, out_dir, progress)

        mayor = _login(client, mayor_email, mayor_password)
        status = checked(client.get(f"/api/cycles/{cycle_id}", headers=mayor))
        pdf: httpx.Response = checked(
            client.get(f"/api/cycles/{cycle_id}/report.pdf", headers=mayor)
        )
        report_path = out_dir / "report.pdf"
        report_path.write_bytes(pdf.content)
        progress(
            f"Цикл {'завершено' if status['status'] == 'completed' else 'триває'}; "
            f"анкет {status['questionnaires']} від "
            f"{status['units_with_questionnaire']} з {status['units']} підрозділів, записів про "
            f"інформаційні системи {status['information_systems']}, учасників опитування "
            f"{status['survey_participants']}; звіт версії {status['report_version']} "
            f"({len(pdf.content) // 1024} КБ) завантажено апаратом міського голови"
        )

        def login() -> dict[str, str]:
            return _login(client, coordinator_email, coordinator_password)

        record_action_plan(
            client,
            cycle_id=cycle_id,
            org_id=org_id,
            login=login,
            seed=seed,
            clock=clock,
            progress=progress,
        )
        run_next_cycle(
            client,
            login=login,
            seed=seed,
            clock=clock,
            people=people,
            out_dir=out_dir,
            progress=progress,
        )
    return report_path


def _extend_remote_audit(
    client: httpx.Client, cycle_id: int, headers: dict[str, str], remote: dict[str, Any]
) -> None:
    """The working group extends the remote audit to the day questionnaires were accepted till."""
    checked(
        client.post(
            f"/api/cycles/{cycle_id}/stages/remote_audit/extend",
            headers=headers,
            json={"due_on": str(remote["accepted_to"]), "reason": remote["extension_reason"]},
        )
    )


def _days(first: date | str, last: date | str) -> list[date]:
    start, end = date.fromisoformat(str(first)), date.fromisoformat(str(last))
    return [date.fromordinal(n) for n in range(start.toordinal(), end.toordinal() + 1)]


def _next_day(day: date | str) -> str:
    return str(date.fromordinal(date.fromisoformat(str(day)).toordinal() + 1))
