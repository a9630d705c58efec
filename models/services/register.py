"""The dataset register: importing rows in the shape of Annex 1."""

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.errors import Invalid
from models.periodicity import PeriodicityError, parse_periodicity, split_note
from models.register import RegisterEntry
from models.schemas import RegisterEntryCreate
from models.services.organizations import get_or_create_official, units_by_name


def add_register_entries(
    session: Session, *, organization_id: int, rows: list[RegisterEntryCreate]
) -> list[RegisterEntry]:
    """Add register rows; a bad periodicity or unknown unit is a 422 naming the row."""
    numbers = [row.number for row in rows]
    taken = set(
        session.scalars(
            select(RegisterEntry.number).where(
                RegisterEntry.organization_id == organization_id, RegisterEntry.number.in_(numbers)
            )
        )
    )
    repeated = sorted(taken | {n for n, times in Counter(numbers).items() if times > 1})
    if repeated:
        raise Invalid(
            "Номери рядків реєстру вже використано: " + ", ".join(map(str, repeated)) + ".",
            field="number",
        )
    entries = []
    for row in rows:
        phrase, note = split_note(row.periodicity)
        try:
            periodicity = parse_periodicity(phrase)
            units = units_by_name(session, organization_id=organization_id, names=row.units)
        except PeriodicityError as exc:
            raise Invalid(f"Рядок {row.number}: {exc}", field="periodicity") from exc
        except Invalid as exc:
            raise Invalid(f"Рядок {row.number}: {exc.message}", field="units") from exc
        official = (
            get_or_create_official(
                session,
                organization_id=organization_id,
                full_name=row.official.full_name,
                position=row.official.position,
                email=row.official.email,
                unit_id=units[0].id,
            )
            if row.official
            else None
        )
        entry = RegisterEntry(
            organization_id=organization_id,
            number=row.number,
            name=row.name,
            official_id=official.id if official else None,
            legal_basis=row.legal_basis,
            portal_url=row.portal_url,
            periodicity=periodicity,
            periodicity_note=note,
        )
        entry.units = units
        session.add(entry)
        entries.append(entry)
    session.flush()
    return entries


def list_register(session: Session, *, organization_id: int) -> list[RegisterEntry]:
    """The register in its order, with units and officials loaded."""
    return list(
        session.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.organization_id == organization_id)
            .options(selectinload(RegisterEntry.units), selectinload(RegisterEntry.official))
            .order_by(RegisterEntry.number)
        )
    )


def count_register(session: Session, *, organization_id: int) -> int:
    """How many rows the register has."""
    return (
        session.scalar(
            select(func.count(RegisterEntry.id)).where(
                RegisterEntry.organization_id == organization_id
            )
        )
        or 0
    )
