"""The open-data package of an audit's results: the portal's "results of information audit"
dataset, the register, the consolidated inventory and the anonymised survey aggregates as CSV
and JSON, the report's PDF, and a datapackage.json validated with `frictionless`."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.clock import KYIV
from models.errors import Conflict
from models.organization import Organization
from models.questionnaire import AccessCategory, ConsolidationKind
from models.report import ReportStatus, ReportVersion, SignatureKind
from models.services.consolidation import consolidate, is_official_use, official_use_note
from models.services.cycles import get_cycle
from models.services.inventory_export import system_rows
from models.services.open_data import frozen_annex1, info_audit_rows, pdf_attachment, register_rows
from models.services.report.context import build_report_context
from models.services.report.signoff import authoritative, load_signature_data
from models.services.report.versions import load_pdf, ready_version, signatures_of
from models.standards import INFO_AUDIT, PORTAL_PURPOSE_MAX, REGISTER, field_names, load_schema
from models.tabular import data_csv
from report_templates.attachments import annex3_results, annex_tables, rating_rows

SYSTEM_FIELDS = [
    ("number", "integer", "№"),
    ("name", "string", "Назва"),
    ("units", "string", "Підрозділи"),
    ("url", "string", "Посилання"),
    ("basis", "string", "На основі якої інформації створено"),
    ("administrator", "string", "Адміністратор"),
    ("owner_type", "string", "Власність"),
    ("description", "string", "Опис"),
    ("holds_personal_data", "string", "Містить персональні дані"),
    ("export_formats", "string", "Формати експорту"),
    ("has_api", "string", "Має API"),
    ("questionnaire_records", "integer", "Записів в анкетах"),
]
STATE_FIELDS = [
    ("number", "integer", "№"),
    ("name", "string", "Найменування набору даних"),
    ("units", "string", "Структурні підрозділи"),
    ("official", "string", "Відповідальна особа"),
    ("periodicity", "string", "Періодичність"),
    ("publication_state", "string", "Стан оприлюднення"),
    ("state", "string", "Стан"),
    ("last_updated", "date", "Дата останнього оновлення"),
    ("due_on", "date", "Строк оновлення"),
    ("overdue_days", "integer", "Днів прострочення"),
    ("formats", "string", "Формати"),
    ("machine_readable", "string", "Машиночитаний"),
]
RATING_FIELDS = [
    ("rank", "integer", "Місце"),
    ("name", "string", "Підрозділ"),
    ("required", "integer", "Наборів у переліку"),
    ("published", "integer", "Оприлюднено"),
    ("private", "integer", "Приховано"),
    ("overdue", "integer", "Не оновлено вчасно"),
    ("not_machine_readable", "integer", "Не машиночитані"),
    ("meeting_all", "integer", "Відповідають усім вимогам"),
    ("percent_published", "number", "Оприлюднено, %"),
    ("share_meeting_all", "number", "Відповідають усім вимогам, %"),
    ("score", "number", "Бал"),
]
SURVEY_FIELDS = [
    ("question", "integer", "№ питання"),
    ("text", "string", "Питання"),
    ("kind", "string", "Тип питання"),
    ("option", "string", "Варіант відповіді"),
    ("count", "integer", "Кількість"),
    ("answered", "integer", "Відповіли на питання"),
    ("participants", "integer", "Учасників опитування"),
    ("percent", "number", "Частка від тих, хто відповів, %"),
]

TITLES = {
    "audit-results": "Результати інформаційного аудиту",
    "register": "Реєстр наборів даних, які підлягають оприлюдненню",
    "register-state": "Стан оприлюднення наборів даних (додаток 1 до звіту)",
    "units-rating": "Рейтинг підрозділів за оприлюдненням наборів даних",
    "inventory-systems": "Інформаційні системи та сервіси (зведений перелік)",
    "survey-aggregates": "Консультації з громадськістю: зведені результати",
}


@dataclass(frozen=True)
class PackageFile:
    """One file of the package."""

    name: str  # e.g. "register.csv"
    title: str
    media_type: str
    data: bytes

    @property
    def format(self) -> str:
        """CKAN's resource format: CSV, JSON, PDF."""
        return self.name.rsplit(".", 1)[-1].upper()

    @property
    def sha256(self) -> str:
        """The file's hash; the publisher skips unchanged resources by it."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PublicationPackage:
    """The package: its files (datapackage.json included) and the portal dataset's metadata,
    all frozen to the approved report's version and its figures date."""

    name: str  # the portal dataset's name (stable per organization and year)
    title: str
    notes: str
    files: list[PackageFile]
    version: int = 0  # the report version the package is made of
    as_of: date | None = None  # that version's figures date ("станом на")
    purpose: str = ""  # data.gov.ua's purpose_of_collecting_information (≤ 512)
    update_frequency: str = "once a year"  # data.gov.ua's code: the audit is annual
    tags: tuple[str, ...] = ("інформаційний аудит", "відкриті дані")

    def write(self, folder: Path) -> list[Path]:
        """Write every file into ``folder``; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in self.files:
            path = folder / file.name
            path.write_bytes(file.data)
            paths.append(path)
        return paths


def _json(header: list[str], rows: list[list[Any]]) -> bytes:
    records = [dict(zip(header, row, strict=True)) for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


def _schema(fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "fields": [{"name": name, "type": kind, "title": title} for name, kind, title in fields]
    }


def dataset_name(organization: Organization, year: int) -> str:
    """The portal dataset's name: stable, so a rerun updates instead of creating another."""
    holder = organization.edrpou or f"org{organization.id}"
    return f"infoaudit-{holder}-{year}".lower()


def _rebuilt(
    session: Session, *, cycle_id: int, now: datetime, version: ReportVersion
) -> tuple[list[dict[str, Any]], list[list[Any]], list[dict[str, Any]]]:
    """Annex 1, the rating and Annex 3 of a version whose PDF predates their own columns:
    rebuilt as of its figures date (never as of today)."""
    context = build_report_context(
        session, cycle_id=cycle_id, now=now, version=version.number, as_of=version.figures_as_of
    )
    header, rows = annex_tables(context)["annex1"]
    annex1 = [dict(zip(header, row, strict=True)) for row in rows]
    return annex1, rating_rows(context), annex3_results(context)


def _survey_rows(annex3: list[dict[str, Any]]) -> list[list[Any]]:
    # Aggregates only: counts per option; free-text answers are not published.
    return [
        [
            q["number"],
            q["text"],
            q["kind"],
            o["label"],
            o["count"],
            q["answered"],
            q["participants"],
            round(float(o["percent"]), 1),
        ]
        for q in annex3
        for o in q["options"]
    ]


def purpose_text(organization: Organization, cycle: Any) -> str:
    """data.gov.ua's purpose_of_collecting_information (at most 512 characters)."""
    text = (
        f"Оприлюднення результатів щорічного інформаційного аудиту {organization.name} "
        f"відповідно до постанови Кабінету Міністрів України від 21 жовтня 2015 р. № 835 "
        f"(розпорядження №{cycle.order_number} від {cycle.order_date:%d.%m.%Y})."
    )
    return text if len(text) <= PORTAL_PURPOSE_MAX else text[: PORTAL_PURPOSE_MAX - 1] + "…"


def build_package(session: Session, *, cycle_id: int, now: datetime) -> PublicationPackage:
    """The package of an approved or signed report; refused before approval.

    Annex 1 (states, dates, formats), the rating and the survey are read from the approved PDF
    itself, so a package built any day later has the same rows; ``now`` is used only to rebuild
    the annexes of a PDF made before they had their own columns."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    try:
        version = ready_version(session, cycle_id=cycle_id)
    except Exception as exc:
        raise Conflict(
            "Оприлюднити можна лише затверджений або підписаний звіт: спершу затвердьте звіт."
        ) from exc
    # The authoritative signature's PDF (the first valid one), never a later signature's.
    official = authoritative(signatures_of(session, version_id=version.id))
    pades = [official] if official is not None and official.kind == SignatureKind.PADES else []
    approved_pdf = load_pdf(session, version_id=version.id)
    pdf = load_signature_data(session, signature_id=pades[-1].id) if pades else approved_pdf
    annex1 = frozen_annex1(approved_pdf)
    rating = pdf_attachment(approved_pdf, "annex1-rating.json")
    annex3 = pdf_attachment(approved_pdf, "annex3.json")
    if annex1 is None or rating is None or annex3 is None:
        annex1, rating_table, annex3 = _rebuilt(
            session, cycle_id=cycle_id, now=now, version=version
        )
    else:
        rating_table = [[r[name] for name, _, _ in RATING_FIELDS] for r in rating]
    # Secret items are outside the audit; ДСК ones are protected: published as a count only.
    groups = consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.ITEM)
    items = [
        g
        for g in groups
        if g.first("access_category") != AccessCategory.SECRET and not is_official_use(g)
    ]
    systems = consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.SYSTEM)
    state_rows = [[r.get(name, "") for name, _, _ in STATE_FIELDS] for r in annex1]
    standard = [
        ("audit-results", TITLES["audit-results"], INFO_AUDIT,
         info_audit_rows(session, items, year=cycle.year)),
        ("register", TITLES["register"], REGISTER, register_rows(annex1, organization)),
    ]  # fmt: skip
    own = [
        ("register-state", TITLES["register-state"], STATE_FIELDS, state_rows),
        ("units-rating", TITLES["units-rating"], RATING_FIELDS, rating_table),
        ("inventory-systems", TITLES["inventory-systems"], SYSTEM_FIELDS, system_rows(systems)),
        ("survey-aggregates", TITLES["survey-aggregates"], SURVEY_FIELDS, _survey_rows(annex3)),
    ]
    tables = [(n, t, field_names(k), load_schema(k), rows) for n, t, k, rows in standard] + [
        (n, t, [f for f, _, _ in fields], _schema(fields), rows) for n, t, fields, rows in own
    ]
    files: list[PackageFile] = []
    resources: list[dict[str, Any]] = []
    for name, title, header, schema, rows in tables:
        csv_file = PackageFile(f"{name}.csv", title, "text/csv", data_csv(header, rows))
        json_file = PackageFile(f"{name}.json", title, "application/json", _json(header, rows))
        files += [csv_file, json_file]
        resources.append(
            {
                "name": name,
                "title": title,
                "path": csv_file.name,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": f"sha256:{csv_file.sha256}",
                "schema": schema,
            }
        )
        resources.append(
            {
                "name": f"{name}-json",
                "title": title,
                "path": json_file.name,
                "format": "json",
                "mediatype": "application/json",
                "hash": f"sha256:{json_file.sha256}",
            }
        )
    signed = version.status == ReportStatus.SIGNED
    report_file = PackageFile(
        "report.pdf",
        "Звіт за результатами інформаційного аудиту" + (" (підписаний)" if signed else ""),
        "application/pdf",
        pdf,
    )
    files.append(report_file)
    resources.append(
        {
            "name": "report",
            "title": report_file.title,
            "path": report_file.name,
            "format": "pdf",
            "mediatype": "application/pdf",
            "hash": f"sha256:{report_file.sha256}",
        }
    )
    title = f"Результати інформаційного аудиту {cycle.year} – {organization.name}"[:254]
    name = dataset_name(organization, cycle.year)
    as_of = version.figures_as_of
    notes = (
        f"Результати інформаційного аудиту {organization.name} за {cycle.year} рік "
        f"(розпорядження №{cycle.order_number} від {cycle.order_date:%d.%m.%Y}), версія звіту "
        f"{version.number}" + (f", дані станом на {as_of:%d.%m.%Y}." if as_of else ".")
    )
    official_use = len(groups) - len([g for g in groups if not is_official_use(g)])
    if official_use:
        notes += (
            f" Не наводиться {official_use_note(official_use)} — лише кількість (стаття 6 "
            "Закону України «Про доступ до публічної інформації»)."
        )
    made = version.approved_at or version.generated_at
    descriptor: dict[str, Any] = {
        "name": name,
        "title": title,
        "description": notes,
        "version": str(version.number),
        "created": (made.replace(tzinfo=UTC) if made.tzinfo is None else made)
        .astimezone(KYIV)
        .isoformat(),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "title": "Creative Commons Attribution 4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
        "resources": resources,
    }
    files.append(
        PackageFile(
            "datapackage.json",
            "Опис пакета даних (Frictionless Data Package)",
            "application/json",
            json.dumps(descriptor, ensure_ascii=False, indent=1).encode("utf-8"),
        )
    )
    return PublicationPackage(
        name=name,
        title=title,
        notes=notes,
        files=files,
        version=version.number,
        as_of=as_of,
        purpose=purpose_text(organization, cycle),
    )


def validate_package(folder: Path) -> list[str]:
    """Frictionless's errors for the written package (empty when valid), each naming the file,
    the row and the field."""
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    if report.valid:
        return []
    problems = [f"{error.title}: {error.message}" for error in report.errors]
    for task in report.tasks:
        for error in task.errors:
            where = [str(task.name)]
            if getattr(error, "row_number", None):
                where.append(f"рядок {error.row_number}")
            if getattr(error, "field_name", None):
                where.append(f"поле {error.field_name}")
            problems.append(f"{', '.join(where)}: {_in_ukrainian(error)}")
    return problems


def _in_ukrainian(error: Any) -> str:
    """Frictionless's error as the working group reads it (its own text for the rare kinds)."""
    constraint = str(getattr(error, "note", ""))
    if error.type == "constraint-error" and '"required"' in constraint:
        return "обов’язкове поле не заповнено"
    if error.type == "constraint-error" and '"pattern"' in constraint:
        return "значення не відповідає формату стандарту"
    if error.type == "type-error":
        return "значення не того типу (дата, число, адреса)"
    return f"{error.title} ({error.note})"
