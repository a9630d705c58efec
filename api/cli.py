"""The `infoaudit` command line."""

import argparse
import getpass
import os
import sys
import time
import traceback
from pathlib import Path

from pydantic import ValidationError

from api import cli_roles
from api.cli_db import add_db_commands
from api.lifetime import Stopped, start_reaper, stop_on_signals
from models.errors import DomainError
from models.validation import ukrainian_errors

# Prefect's own chatter would drown the demo's progress lines; users can raise it again.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# No telemetry from a council's server (and the network is often closed anyway).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


# Prefect's temporary server gets 20 s to start by default: too few on a busy machine.
DEMO_PREFECT_STARTUP_SECONDS = "180"


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    # Prefect's temporary server, the renderer's workers: none outlives the demo.
    stop_on_signals(forced_exit_code=130)
    start_reaper()
    # Everything the demo makes stays under --out, Prefect's own database included (set before
    # Prefect is first imported: it reads its settings then).
    os.environ.setdefault("PREFECT_HOME", str((out / "prefect").resolve()))
    # Made now: Prefect warns at import that it could not create a missing home.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", DEMO_PREFECT_STARTUP_SECONDS
    )
    from api.demo.runner import run_demo

    started = time.monotonic()
    try:
        path = run_demo(out)
    except (DomainError, ValidationError):
        raise
    except (Stopped, KeyboardInterrupt):
        print("Демонстрацію зупинено.", file=sys.stderr)
        return 130
    except Exception as exc:  # the demo's user gets what to do, the traceback goes to a file
        return _demo_failed(out, exc)
    print(f"Звіт: {path.resolve()}")
    print(f"Тривалість: {time.monotonic() - started:.1f} с")
    return 0


def _demo_failed(out: Path, exc: Exception) -> int:
    log = out / "demo-error.log"
    out.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    if "ephemeral" in str(exc).lower() or "prefect api" in str(exc).lower():
        advice = (
            "Тимчасовий сервер Prefect не запустився вчасно: машина, мабуть, перевантажена. "
            "Запустіть демонстрацію ще раз, коли навантаження спаде, або дайте серверу більше "
            "часу: PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=600 infoaudit demo …"
        )
    else:
        advice = "Запустіть демонстрацію ще раз; якщо помилка повториться, надішліть файл журналу."
    print(f"Помилка: демонстрацію перервано ({type(exc).__name__}). {advice}", file=sys.stderr)
    print(f"Подробиці для розробників: {log.resolve()}", file=sys.stderr)
    return 1


def _serve(args: argparse.Namespace) -> int:
    # SIGTERM (systemd, docker) at any moment: the same clean stop as Ctrl+C.
    stop_on_signals(forced_exit_code=0)
    start_reaper()
    own_prefect_server = not os.environ.get("PREFECT_API_URL")
    if own_prefect_server:
        # Before Prefect is first imported (api.serve imports it through the app's routes):
        # it reads its settings once, and without this its client starts a temporary server.
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{args.prefect_port}/api"
    from api.prefect_server import PrefectServerError
    from api.serve import serve

    try:
        serve(
            host=args.host,
            port=args.port,
            interval_seconds=args.interval,
            prefect_port=args.prefect_port if own_prefect_server else None,
        )
    except (Stopped, KeyboardInterrupt):
        pass
    except PrefectServerError as exc:
        print(f"Помилка: сервер Prefect не запустився (подробиці нижче).\n{exc}", file=sys.stderr)
        return 1
    print("Зупинено.", flush=True)
    # Everything serve started is stopped by now; Prefect's background workers (logs, events)
    # would still wait at interpreter exit for the server that is gone.
    sys.stderr.flush()
    os._exit(0)


def _advance(args: argparse.Namespace) -> int:
    from flows.audit_cycle import audit_cycle
    from models.clock import parse_now
    from models.cycle import describe_statuses

    now = parse_now(args.now) if args.now else None
    print(describe_statuses(audit_cycle(args.cycle_id, now)))
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from flows.monitoring import quarterly_monitoring
    from models.clock import parse_now

    now = parse_now(args.now) if args.now else None
    result = quarterly_monitoring(args.organization_id, now, args.out)
    print(result["message"])
    for path in result["files"]:
        print(f"Картка: {Path(path).resolve()}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from flows.publish import PublishError, publish
    from models.clock import parse_now

    try:
        # The organization's own key, sent only to its own portal (flows/publish.py).
        result = publish(
            args.cycle_id,
            args.out,
            portal_url=args.portal,
            owner_org=args.organization,
            now=parse_now(args.now) if args.now else None,
        )
    except PublishError as exc:
        print(f"Помилка публікації: {exc.message}", file=sys.stderr)
        return 3
    print(f"Пакет даних: {Path(args.out).resolve()} ({len(result['files'])} файлів)")
    published = result["published"]
    if published:
        print(f"Набір даних на порталі: {published['dataset_url']}")
        print(f"Завантажено: {len(published['uploaded'])}, без змін: {len(published['unchanged'])}")
    else:
        print("Портал не вказано (--portal): пакет лише сформовано і перевірено.")
    return 0


def _status(args: argparse.Namespace) -> int:
    from models.cycle import STAGE_LABELS, STAGE_STATUS_LABELS
    from models.db import session_scope
    from models.services.cycles import get_cycle

    with session_scope() as session:
        cycle = get_cycle(session, cycle_id=args.cycle_id)
        state = "завершено" if cycle.status == "completed" else "триває"
        print(f"Цикл {cycle.id} ({cycle.year}), розпорядження №{cycle.order_number}: {state}")
        for stage in cycle.stages:
            print(
                f"  {STAGE_LABELS[stage.kind]}: {stage.starts_on:%d.%m.%Y} – "
                f"{stage.due_on:%d.%m.%Y}, {STAGE_STATUS_LABELS[stage.status]}"
            )
    return 0


def _upgrade(_args: argparse.Namespace) -> int:
    from models.migrate import upgrade_database
    from models.settings import get_settings

    upgrade_database(get_settings().database_url)
    print("Схему бази даних оновлено.")
    return 0


def _create_account(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from models.account import Role
    from models.actor import CLI
    from models.db import session_scope
    from models.services.organizations import create_account

    with session_scope() as session:
        account = create_account(
            session,
            email=args.email,
            password=_new_password(),
            role=Role(args.role),
            organization_id=args.organization_id,
            full_name=args.full_name,
            actor=CLI,
            at=datetime.now(UTC),
        )
        print(f"Створено обліковий запис {account.id} ({account.role.value}).")
    return 0


def _new_password() -> str:
    return os.environ.get("INFOAUDIT_NEW_PASSWORD") or getpass.getpass("Пароль: ")


def _create_organization(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from models.actor import CLI
    from models.db import session_scope
    from models.schemas import OrganizationCreate
    from models.services.organizations import create_organization_with_coordinator

    document = OrganizationCreate.model_validate(
        {
            "name": args.name,
            "edrpou": args.edrpou,
            "coordinator": {
                "email": args.coordinator_email,
                "password": _new_password(),
                "full_name": args.coordinator_name,
            },
        }
    )
    with session_scope() as session:
        organization = create_organization_with_coordinator(
            session, document=document, at=datetime.now(UTC), actor=CLI
        )
        print(
            f"Створено організацію {organization.id} «{organization.name}» і координатора "
            f"{args.coordinator_email}: увійдіть на сторінці /login."
        )
    return 0


def _verify_signature(args: argparse.Namespace) -> int:
    from models.clock import KYIV
    from models.kep import CHAIN_LABELS, KepError, parse_trust_list, verify_detached

    try:
        trusted = parse_trust_list(Path(args.trusted).read_bytes()) if args.trusted else None
        result = verify_detached(
            Path(args.p7s).read_bytes(), Path(args.document).read_bytes(), trusted=trusted
        )
    except KepError as exc:
        print(f"Помилка: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Помилка: не вдалося прочитати файл {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    total = len(result.signers)
    for number, signer in enumerate(result.signers, 1):
        when = (
            f"{signer.signed_at.astimezone(KYIV):%d.%m.%Y %H:%M} (Київ)"
            if signer.signed_at
            else "—"
        )
        print(f"Підпис {number} з {total}: {signer.verdict}")
        for label, value in (
            ("Підписувач", signer.name),
            ("Посада", signer.position),
            ("Організація", signer.organization),
            ("ЄДРПОУ", signer.edrpou),
            ("РНОКПП", signer.rnokpp),
            ("Час підпису", when),
            ("Алгоритм", signer.algorithm),
            ("Видавець сертифіката", signer.issuer),
            ("Серійний номер", signer.serial),
        ):
            print(f"  {label}: {value or '—'}")
        if signer.problem:
            print(f"  Причина: {signer.problem}")
        print(f"  Ланцюжок: {CHAIN_LABELS[signer.chain]}. {signer.chain_note}")
    good = result.trusted if trusted is not None else result.valid
    if good and trusted is not None:
        print("Результат: підпис дійсний, ланцюжок до довіреного списку перевірено.")
    elif good:
        print(
            "Результат: підпис математично дійсний, ланцюжок не перевірено "
            "(вкажіть --trusted CACertificates.p7b)."
        )
    elif result.valid:
        print("Результат: підпис математично дійсний, але ланцюжок не доходить до списку.")
    elif result.checked:
        print("Результат: підпис недійсний.")
    else:
        print("Результат: підпис тут не перевірено.")
    return 0 if good else 1


def build_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = argparse.ArgumentParser(
        prog="infoaudit", description="Щорічний інформаційний аудит (Постанова КМУ № 835)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="КОМАНДА")

    demo = commands.add_parser("demo", help="повний демонстраційний цикл аудиту і звіт PDF")
    demo.add_argument("--out", default="report", help="тека для report.pdf (типово: report)")
    demo.set_defaults(handler=_demo)

    serve = commands.add_parser("serve", help="вебзастосунок і планувальник циклів")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--interval", type=int, default=None, help="секунд між обходами циклів")
    serve.add_argument(
        "--prefect-port",
        type=int,
        default=4200,  # api.serve.DEFAULT_PREFECT_PORT (not imported here: slow)
        help="порт власного сервера Prefect на 127.0.0.1 (типово: 4200)",
    )
    serve.set_defaults(handler=_serve)
    cli_roles.register(commands)  # web, worker, deploy: the roles of a multi-host installation

    monitor = commands.add_parser(
        "monitor", help="квартальний моніторинг відкритих даних: знімок порталу і картка"
    )
    monitor.add_argument("organization_id", type=int, metavar="ОРГАНІЗАЦІЯ")
    monitor.add_argument("--now", help="дата РРРР-ММ-ДД або час ISO замість поточного")
    monitor.add_argument("--out", default="monitoring", help="тека для картки (CSV і PDF)")
    monitor.set_defaults(handler=_monitor)

    cycle = commands.add_parser("cycle", help="дії з циклом аудиту")
    cycle_commands = cycle.add_subparsers(dest="cycle_command", required=True, metavar="ДІЯ")
    advance = cycle_commands.add_parser("advance", help="просунути етапи циклу до поточної дати")
    advance.add_argument("cycle_id", type=int)
    advance.add_argument("--now", help="дата РРРР-ММ-ДД або час ISO замість поточного")
    advance.set_defaults(handler=_advance)
    status = cycle_commands.add_parser("status", help="етапи циклу та їхній стан")
    status.add_argument("cycle_id", type=int)
    status.set_defaults(handler=_status)

    publish_cmd = commands.add_parser(
        "publish", help="пакет відкритих даних аудиту і публікація на порталі CKAN"
    )
    publish_cmd.add_argument("cycle_id", type=int, metavar="ЦИКЛ")
    publish_cmd.add_argument("--out", default="publication", help="тека для пакета даних")
    publish_cmd.add_argument("--portal", help="адреса порталу CKAN, напр. https://data.gov.ua")
    publish_cmd.add_argument("--organization", help="організація на порталі (id або name)")
    publish_cmd.add_argument("--now", help="дата РРРР-ММ-ДД або час ISO замість поточного")
    publish_cmd.set_defaults(handler=_publish)

    db = commands.add_parser("db", help="база даних")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ДІЯ")
    db_commands.add_parser("upgrade", help="створити або оновити схему").set_defaults(
        handler=_upgrade
    )
    add_db_commands(db_commands)

    account = commands.add_parser("account", help="облікові записи")
    account_commands = account.add_subparsers(dest="account_command", required=True, metavar="ДІЯ")
    create = account_commands.add_parser(
        "create", help="створити обліковий запис (пароль: INFOAUDIT_NEW_PASSWORD або запит)"
    )
    create.add_argument("--email", required=True)
    create.add_argument(
        "--role",
        required=True,
        choices=["admin", "coordinator", "working_group", "auditor", "mayor_office"],
    )
    create.add_argument("--organization-id", type=int, default=None)
    create.add_argument("--full-name", default="")
    create.set_defaults(handler=_create_account)

    signature = commands.add_parser("signature", help="електронні підписи звіту")
    signature_commands = signature.add_subparsers(
        dest="signature_command", required=True, metavar="ДІЯ"
    )
    verify = signature_commands.add_parser(
        "verify",
        help="перевірити відокремлений підпис .p7s (КЕП: ДСТУ 4145, а також RSA/ECDSA)",
        description="Код виходу 0 лише тоді, коли всі підписи дійсні і (з --trusted) "
        "ланцюжок кожного сертифіката доходить до довіреного списку.",
    )
    verify.add_argument("document", metavar="ЗВІТ.pdf", help="підписаний документ (точні байти)")
    verify.add_argument("p7s", metavar="ЗВІТ.pdf.p7s", help="відокремлений підпис CAdES")
    verify.add_argument(
        "--trusted",
        metavar="CACertificates.p7b",
        help="список сертифікатів кваліфікованих надавачів (від czo.gov.ua)",
    )
    verify.set_defaults(handler=_verify_signature)

    organization = commands.add_parser("organization", help="організації (розпорядники)")
    organization_commands = organization.add_subparsers(
        dest="organization_command", required=True, metavar="ДІЯ"
    )
    new_org = organization_commands.add_parser(
        "create",
        help="створити організацію та її координатора (пароль: INFOAUDIT_NEW_PASSWORD або запит)",
    )
    new_org.add_argument("--name", required=True, help="назва розпорядника інформації")
    new_org.add_argument("--edrpou", default=None, help="код ЄДРПОУ (8 цифр)")
    new_org.add_argument("--coordinator-email", required=True)
    new_org.add_argument("--coordinator-name", default="")
    new_org.set_defaults(handler=_create_organization)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `infoaudit` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except DomainError as exc:
        print(f"Помилка: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for error in ukrainian_errors(exc.errors()):
            print(f"Помилка: {error['field']}: {error['message']}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"Помилка: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
