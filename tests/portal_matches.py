"""The register's portal matches as the open-data tests read them back from the database."""

from sqlalchemy import select

from models.db import session_scope
from models.publication import DatasetMatch, MatchMethod
from models.register import RegisterEntry


def stored_matches(org_id: int) -> dict[int, tuple[str, bool, MatchMethod]]:
    """Per register entry number: its dataset's portal id, whether confirmed, and how matched."""
    with session_scope() as session:
        rows = session.execute(
            select(
                RegisterEntry.number,
                DatasetMatch.portal_id,
                DatasetMatch.confirmed,
                DatasetMatch.method,
            )
            .join(DatasetMatch, DatasetMatch.register_entry_id == RegisterEntry.id)
            .where(RegisterEntry.organization_id == org_id)
        ).tuples()
        return {n: (pid, confirmed, method) for n, pid, confirmed, method in rows}
