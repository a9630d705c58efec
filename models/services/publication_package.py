"""The open-data package of an audit's results: the portal's "results of information audit"
dataset, the register, the consolidated inventory and the anonymised survey aggregates as CSV
and JSON, the report's PDF, and a datapackage.json validated with `frictionless`."""

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.clock import KYIV
from models.errors import Conflict
from models.organization import Organization
from models.questionnaire import AccessCategory, ConsolidationKind
from models.report import ReportStatus, SignatureKind
from models.services.consolidation import consolidate
from models.services.cycles import get_cycle
from models.services.inventory_export import item_rows, system_rows
from models.services.report.context import build_report_context
from models.services.report.signoff import load_signature_data
from models.services.report.versions import load_pdf, ready_version, signatures_of

AUDIT_RESULTS_FIELDS = [
    ("number", "integer", "№"),
    ("title", "string", "Назва"),
    ("type", "string", "Тип"),
    ("description", "string", "Опис"),
    ("purpose", "string", "Мета / правова підстава"),
    ("format", "string", "Формат"),
    ("updating_frequency", "string", "Частота оновлення"),
    ("restricted_fields", "string", "Поля з обмеженим доступом"),
    ("url", "string", "Посилання"),
    ("units", "string", "Підрозділи"),
    ("access_category", "string", "Категорія доступу"),
    ("open_data_candidate", "string", "Кандидат у набір відкритих даних"),
    ("approximate_records", "string", "Приблизна кількість записів"),
    ("questionnaire_records", "integer", "Записів в анкетах"),
]
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
REGISTER_FIELDS = [
    ("number", "integer", "№"),
    ("name", "string", "Найменування набору даних"),
    ("units", "string", "Структурні підрозділи"),
    ("official", "string", "Відповідальна особа"),
    ("periodicity", "string", "Періодичність"),
    ("publication_state", "string", "Стан оприлюднення"),
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
    "register": "Перелік наборів даних, які підлягають оприлюдненню",
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
    """The package: its files (datapackage.json included) and the portal dataset's metadata."""

    name: str  # the portal dataset's name (stable per organization and year)
    title: str
    notes: str
    files: list[PackageFile]

    def write(self, folder: Path) -> list[Path]:
        """Write every file into ``folder``; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in self.files:
            path = folder / file.name
            path.write_bytes(file.data)
            paths.append(path)
        return paths


def _csv(fields: list[tuple[str, str, str]], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name, _, _ in fields])
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def _json(fields: list[tuple[str, str, str]], rows: list[list[Any]]) -> bytes:
    records = [dict(zip([f for f, _, _ in fields], row, strict=True)) for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


def _schema(fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "fields": [{"name": name, "type": kind, "title": title} for name, kind, title in fields]
    }


def dataset_name(organization: Organization, year: int) -> str:
    """The portal dataset's name: stable, so a rerun updates instead of creating another."""
    holder = organization.edrpou or f"org{organization.id}"
    return f"infoaudit-{holder}-{year}".lower()


def build_package(session: Session, *, cycle_id: int, now: datetime) -> PublicationPackage:
    """The package of an approved or signed report; refused before approval."""
    cycle = get_cycle(session, cycle_id=cycle_id)
    organization = session.get(Organization, cycle.organization_id)
    assert organization is not None
    try:
        version = ready_version(session, cycle_id=cycle_id)
    except Exception as exc:
        raise Conflict(
            "Оприлюднити можна лише затверджений або підписаний звіт: спершу затвердьте звіт."
        ) from exc
    pades = [
        s for s in signatures_of(session, version_id=version.id) if s.kind == SignatureKind.PADES
    ]
    pdf = (
        load_signature_data(session, signature_id=pades[-1].id)
        if pades
        else load_pdf(session, version_id=version.id)
    )
    context = build_report_context(
        session, cycle_id=cycle_id, now=now, version=version.number, as_of=version.figures_as_of
    )
    items = [
        g
        for g in consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.ITEM)
        if g.first("access_category") != AccessCategory.SECRET
    ]
    systems = consolidate(session, cycle_id=cycle_id, kind=ConsolidationKind.SYSTEM)
    register_rows = [
        [
            row["number"],
            row["name"],
            "; ".join(row["units"]),
            row["official"],
            row["periodicity"],
            (row.get("state") or {}).get("label", ""),
        ]
        for row in context["annex1"]
    ]
    # Aggregates only: counts per option; free-text answers are not published.
    survey_rows = [
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
        for q in context["annex3"]
        for o in q["options"]
    ]
    tables = [
        ("audit-results", TITLES["audit-results"], AUDIT_RESULTS_FIELDS, item_rows(items)),
        ("register", TITLES["register"], REGISTER_FIELDS, register_rows),
        ("inventory-systems", TITLES["inventory-systems"], SYSTEM_FIELDS, system_rows(systems)),
        ("survey-aggregates", TITLES["survey-aggregates"], SURVEY_FIELDS, survey_rows),
    ]
    files: list[PackageFile] = []
    resources: list[dict[str, Any]] = []
    for name, title, fields, rows in tables:
        csv_file = PackageFile(f"{name}.csv", title, "text/csv", _csv(fields, rows))
        json_file = PackageFile(f"{name}.json", title, "application/json", _json(fields, rows))
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
                "schema": _schema(fields),
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
    title = f"Результати інформаційного аудиту {cycle.year} – {organization.name}"
    name = dataset_name(organization, cycle.year)
    notes = (
        f"Результати інформаційного аудиту {organization.name} за {cycle.year} рік "
        f"(розпорядження №{cycle.order_number} від {cycle.order_date:%d.%m.%Y}), версія звіту "
        f"{version.number}."
    )
    descriptor: dict[str, Any] = {
        "name": name,
        "title": title,
        "description": notes,
        "created": now.astimezone(KYIV).isoformat(),
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
    return PublicationPackage(name=name, title=title, notes=notes, files=files)


def validate_package(folder: Path) -> list[str]:
    """Frictionless's errors for the written package (empty when valid)."""
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    if report.valid:
        return []
    return [f"{error.title}: {error.message}" for task in report.tasks for error in task.errors] + [
        f"{error.title}: {error.message}" for error in report.errors
    ]
