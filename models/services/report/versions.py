"""The report's versions: which one is due, storing a rendered one and what may be downloaded.
Draft → approved (models.services.report.approval: its PDF frozen; any change renders a new
version) → signed."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.account import Role
from models.actor import Actor
from models.clock import local_date
from models.cycle import AuditCycle
from models.errors import NotFound
from models.report import Report, ReportStatus, ReportVersion, Signature
from models.security import sha256_hex
from models.services.events import record_event

READY = (ReportStatus.APPROVED, ReportStatus.SIGNED)


def get_report(session: Session, *, cycle_id: int) -> Report | None:
    """The cycle's report, if one was rendered."""
    return session.scalar(select(Report).where(Report.cycle_id == cycle_id))


def ensure_report(session: Session, *, cycle_id: int) -> Report:
    """The cycle's report row, created on first use."""
    report = session.scalar(select(Report).where(Report.cycle_id == cycle_id))
    if report is None:
        if session.get(AuditCycle, cycle_id) is None:
            raise NotFound("Цикл аудиту не знайдено.")
        report = Report(cycle_id=cycle_id)
        session.add(report)
        session.flush()
    return report


def latest_version(session: Session, *, cycle_id: int) -> ReportVersion | None:
    """The newest rendered version of the cycle's report."""
    return session.scalar(
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.cycle_id == cycle_id)
        .order_by(ReportVersion.number.desc())
        .limit(1)
    )


def next_version_number(session: Session, *, cycle_id: int) -> int:
    """The number the next rendered version gets."""
    latest = latest_version(session, cycle_id=cycle_id)
    return 1 if latest is None else latest.number + 1


def render_due(session: Session, *, cycle_id: int) -> bool:
    """No version yet, or the text changed since the newest version's context was built."""
    if latest_version(session, cycle_id=cycle_id) is None:
        return True
    report = get_report(session, cycle_id=cycle_id)
    return report is not None and report.render_requested_at is not None


def store_version(
    session: Session,
    *,
    cycle_id: int,
    pdf: bytes,
    number: int,
    now: datetime,
    figures_as_of: date | None = None,
) -> ReportVersion:
    """Store a rendered PDF as a new draft version of the cycle's report."""
    report = get_report(session, cycle_id=cycle_id)
    if report is None:
        report = Report(cycle_id=cycle_id)
        session.add(report)
        session.flush()
    version = ReportVersion(
        report_id=report.id,
        number=number,
        status=ReportStatus.DRAFT,
        generated_at=now,
        figures_as_of=figures_as_of,
        sha256=sha256_hex(pdf),
        size=len(pdf),
        pdf=pdf,
    )
    session.add(version)
    session.flush()
    cycle = session.get(AuditCycle, cycle_id)
    if cycle is None:
        raise NotFound("Цикл аудиту не знайдено.")
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle_id,
        action="report.rendered",
        at=now,
        details={"version": number, "sha256": version.sha256, "size": len(pdf)},
        dedup_key=f"report:{report.id}:version:{number}",
    )
    return version


def load_pdf(session: Session, *, version_id: int) -> bytes:
    """The PDF bytes of a version (a deferred column, loaded only on download)."""
    pdf = session.scalar(select(ReportVersion.pdf).where(ReportVersion.id == version_id))
    if pdf is None:
        raise NotFound("Звіт не знайдено.")
    return pdf


def list_versions(session: Session, *, cycle_id: int) -> list[ReportVersion]:
    """Every version of the cycle's report, newest first."""
    return list(
        session.scalars(
            select(ReportVersion)
            .join(Report, Report.id == ReportVersion.report_id)
            .where(Report.cycle_id == cycle_id)
            .order_by(ReportVersion.number.desc())
        )
    )


def get_version(session: Session, *, cycle_id: int, number: int) -> ReportVersion:
    """One version by its number (404 for an unknown one)."""
    version = session.scalar(
        select(ReportVersion)
        .join(Report, Report.id == ReportVersion.report_id)
        .where(Report.cycle_id == cycle_id, ReportVersion.number == number)
    )
    if version is None:
        raise NotFound(f"Версію звіту {number} не знайдено.")
    return version


def record_version_event(
    session: Session,
    version: ReportVersion,
    *,
    action: str,
    now: datetime,
    actor: Actor,
    details: dict[str, Any],
) -> None:
    """Record in the cycle's audit trail something done to a report version."""
    report = session.get(Report, version.report_id)
    assert report is not None
    cycle = session.get(AuditCycle, report.cycle_id)
    assert cycle is not None
    record_event(
        session,
        organization_id=cycle.organization_id,
        cycle_id=cycle.id,
        action=action,
        at=now,
        actor=actor,
        details=details,
    )


def signatures_of(session: Session, *, version_id: int) -> list[Signature]:
    """A version's signatures, oldest first."""
    return list(
        session.scalars(
            select(Signature)
            .where(Signature.report_version_id == version_id)
            .order_by(Signature.id)
        )
    )


def downloadable_version(session: Session, *, cycle_id: int, role: Role) -> ReportVersion:
    """The version a role may download: the newest for the working group; for the mayor's office
    only a signed one (the newest), and it is told so while none is."""
    versions = list_versions(session, cycle_id=cycle_id)
    if not versions:
        raise NotFound("Звіт ще не сформовано: він з’явиться на етапі підготовки звіту.")
    if role != Role.MAYOR_OFFICE:
        return versions[0]
    signed = [v for v in versions if v.status == ReportStatus.SIGNED]
    if signed:
        return signed[0]
    raise NotFound(MAYOR_WAITS[any(v.status in READY for v in versions)])


def ready_version(session: Session, *, cycle_id: int) -> ReportVersion:
    """The version to publish: the newest signed one, else the newest approved (404 before)."""
    ready = [v for v in list_versions(session, cycle_id=cycle_id) if v.status in READY]
    signed = [v for v in ready if v.status == ReportStatus.SIGNED]
    if signed or ready:
        return (signed or ready)[0]
    raise NotFound("Звіт ще не затверджено.")


# What the mayor's office is told while no version is signed (by whether one is approved).
MAYOR_WAITS = {
    True: (
        "Підписаного звіту ще немає: звіт затверджено, його можна буде завантажити, "
        "щойно його підпишуть КЕП."
    ),
    False: (
        "Підписаного звіту ще немає: звіт ще не затверджено й не підписано. "
        "Керівництво отримує лише підписаний КЕП звіт."
    ),
}


def approved_text_notice(session: Session, *, cycle_id: int) -> str | None:
    """What editing the text means once the newest version is approved (None before that).

    The approved (and signed) version never changes: an edit makes a new draft version, which
    has to be approved again.
    """
    latest = latest_version(session, cycle_id=cycle_id)
    if latest is None or latest.status not in READY:
        return None
    assert latest.approved_at is not None
    return (
        f"Версію {latest.number} звіту затверджено {local_date(latest.approved_at):%d.%m.%Y}; "
        "вона не зміниться. Збережені зміни увійдуть до нової версії-чернетки, яку потрібно "
        "буде затвердити знову."
    )
