"""Views and downloads of the register's datasets as the portal counts them (CKAN's tracking
summary), per unit and the most used datasets, for the report's "Перегляд та завантаження"."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.publication import PublishedDataset
from models.services.publication import confirmed_matches
from models.services.register import list_register
from models.ukrainian import collation_key

TOP_DATASETS = 10


def usage_context(
    session: Session, *, organization_id: int, snapshot_id: int | None, top: int = TOP_DATASETS
) -> dict[str, Any] | None:
    """The report's `publication.usage`; None when the snapshot has no tracking figures."""
    if snapshot_id is None:
        return None
    figures = {
        portal_id: (title, url, views, recent, downloads)
        for portal_id, title, url, views, recent, downloads in session.execute(
            select(
                PublishedDataset.portal_id,
                PublishedDataset.title,
                PublishedDataset.url,
                PublishedDataset.views_total,
                PublishedDataset.views_recent,
                PublishedDataset.downloads_total,
            ).where(PublishedDataset.snapshot_id == snapshot_id)
        ).tuples()
    }
    if not any(f[2] is not None or f[4] is not None for f in figures.values()):
        return None
    matches = confirmed_matches(session, organization_id=organization_id)
    units: dict[str, dict[str, Any]] = {}
    datasets: list[dict[str, Any]] = []
    for entry in list_register(session, organization_id=organization_id):
        found = figures.get(matches.get(entry.id, ""))
        if found is None:
            continue
        title, url, views, recent, downloads = found
        row: dict[str, Any] = {
            "number": entry.number,
            "name": entry.name,
            "title": title,
            "url": url,
            "units": [u.name for u in entry.units],
            "views": views or 0,
            "views_recent": recent or 0,
            "downloads": downloads or 0,
        }
        datasets.append(row)
        for unit in row["units"]:  # a dataset counts for each of its units, as in the ratings
            total = units.setdefault(
                unit, {"name": unit, "datasets": 0, "views": 0, "downloads": 0}
            )
            total["datasets"] += 1
            total["views"] += row["views"]
            total["downloads"] += row["downloads"]
    most_used = sorted(datasets, key=lambda d: (-(d["views"] + d["downloads"]), d["number"]))[:top]
    return {
        "units": sorted(
            units.values(),
            key=lambda u: (-(u["views"] + u["downloads"]), collation_key(u["name"])),
        ),
        "top": [d for d in most_used if d["views"] or d["downloads"]],
        "totals": {
            "datasets": len(datasets),
            "views": sum(d["views"] for d in datasets),
            "downloads": sum(d["downloads"] for d in datasets),
        },
    }
