"""`infoaudit publish <cycle>`: the open-data package pushed to a CKAN portal (data.gov.ua).

Writes go through CKAN's action API (data.gov.ua runs CKAN 2.7.2) with the user's API key in
the `Authorization` header (and `X-CKAN-API-Key`, which 2.7's multipart uploads read):
`package_show` then `package_create` or `package_update`, and per file `resource_create` or
`resource_update` (the file uploaded as multipart). Each is a Prefect task that Prefect
retries after a timeout, a lost connection or a 5xx. Every retry first reads the portal's
current state, so a retry after a timeout (the portal may have done the work anyway) finds the
dataset or resource by its name and never creates a duplicate; a resource whose hash is
unchanged is not uploaded again.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.states import State

from models.clock import SystemClock
from models.db import session_scope
from models.portal.ckan import TOKEN_PLACE, CkanPublisher, PublishError  # the CLI's too
from models.portal.hosts import same_origin
from models.services.cycles import get_cycle
from models.services.portal_source import portal_target
from models.services.publication_package import (
    PackageFile,
    PublicationPackage,
    build_package,
    validate_package,
)
from models.standards import PORTAL_LANGUAGE, PORTAL_PURPOSE_MAX


@dataclass
class PublishResult:
    """What the run did on the portal."""

    dataset_url: str
    created: bool
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def retry_delays(delay: float, attempts: int) -> list[float]:
    """The waits before each retry: `delay`, then twice it, and so on."""
    return [delay * attempt for attempt in range(1, attempts)]


def is_retryable(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a step only when trying again may help (timeouts, lost connections, 5xx)."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, PublishError) and error.retryable


# One step on the portal, retried by Prefect. These are a real portal's defaults;
# publish_package sets each run's attempts and delay with `with_options`.
portal_step = task(
    retries=2,
    retry_delay_seconds=retry_delays(0.5, 3),
    retry_condition_fn=is_retryable,
    cache_policy=NO_CACHE,  # a step's inputs hold a live HTTP client and the token
)


@portal_step
def find_dataset(ckan: CkanPublisher, name: str) -> dict[str, Any] | None:
    """The dataset as the portal has it now, or None."""
    return ckan.find_package(name)


@portal_step
def ensure_dataset(
    ckan: CkanPublisher, metadata: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """Create the dataset, or update it with its resources kept."""
    if task_run.run_count > 1:
        # A retry: the failed attempt (a timeout) may have created the dataset after all.
        existing = ckan.find_package(str(metadata["name"]))
    if existing is None:
        return dict(ckan.post_action("package_create", json=metadata))
    # Resources are passed back as they are: package_update must not drop them.
    update = {**existing, **metadata, "resources": existing.get("resources", [])}
    return dict(ckan.post_action("package_update", json=update))


@portal_step
def ensure_resource(
    ckan: CkanPublisher, package_name: str, dataset_id: str, file: PackageFile
) -> str:
    """Upload the file (multipart, never a URL) as a new or updated resource unless its hash is
    unchanged."""
    # Every attempt re-reads the dataset: a timed-out upload may have been stored anyway.
    current = ckan.find_package(package_name) or {}
    existing = next((r for r in current.get("resources", []) if r.get("name") == file.name), None)
    if existing is not None and existing.get("hash") == file.sha256:
        return "unchanged"
    fields = {
        "name": file.name,
        "description": file.title,
        "format": file.format,
        "mimetype": file.media_type,
        "hash": file.sha256,
    }
    if existing is None:
        fields["package_id"] = str(current.get("id") or dataset_id)
        ckan.post_action("resource_create", data=fields, upload=file)
    else:
        fields["id"] = str(existing["id"])
        ckan.post_action("resource_update", data=fields, upload=file)
    return "uploaded"


def portal_metadata(package: PublicationPackage, *, owner_org: str) -> dict[str, Any]:
    """The dataset's fields as data.gov.ua (CKAN 2.7.2) wants them, all from the frozen package:
    its own update_frequency code, language `ua`, the purpose (≤ 512), tags."""
    return {
        "name": package.name,
        "title": package.title[:254],
        "notes": package.notes,
        "owner_org": owner_org,
        "license_id": "cc-by",
        "language": PORTAL_LANGUAGE,
        "update_frequency": package.update_frequency,
        "purpose_of_collecting_information": package.purpose[:PORTAL_PURPOSE_MAX],
        "tag_string": ",".join(package.tags),
        "tags": [{"name": tag} for tag in package.tags],
        "version": str(package.version),
    }


def publish_package(
    package: PublicationPackage,
    *,
    portal_url: str,
    token: str,
    owner_org: str,
    attempts: int = 3,
    delay: float = 0.5,
    timeout: float = 60.0,
) -> PublishResult:
    """Create or update the dataset and its resources; safe to rerun at any point."""
    if not token:
        raise PublishError(f"Для публікації потрібен ключ API порталу організації ({TOKEN_PLACE}).")
    retries, delays = attempts - 1, retry_delays(delay, attempts)
    ckan = CkanPublisher(portal_url, token=token, timeout=timeout)
    try:
        metadata = portal_metadata(package, owner_org=owner_org)
        existing = find_dataset.with_options(retries=retries, retry_delay_seconds=delays)(
            ckan, package.name
        )
        dataset = ensure_dataset.with_options(retries=retries, retry_delay_seconds=delays)(
            ckan, metadata, existing
        )
        result = PublishResult(
            dataset_url=f"{ckan.portal_url}/dataset/{dataset.get('name', package.name)}",
            created=existing is None,
        )
        upload = ensure_resource.with_options(retries=retries, retry_delay_seconds=delays)
        for file in package.files:
            outcome = upload(ckan, package.name, str(dataset["id"]), file)
            (result.uploaded if outcome == "uploaded" else result.unchanged).append(file.name)
        return result
    finally:
        ckan.close()


def prepare_package(cycle_id: int, out_dir: Path, now: datetime) -> PublicationPackage:
    """Build, write and validate the package; raises PublishError listing frictionless's errors."""
    with session_scope() as session:
        package = build_package(session, cycle_id=cycle_id, now=now)
    package.write(out_dir)
    errors = validate_package(out_dir)
    if errors:
        raise PublishError(
            "Пакет даних не пройшов перевірки frictionless: " + "; ".join(errors[:5])
        )
    return package


@flow(name="publish")
def publish(
    cycle_id: int,
    out_dir: str,
    portal_url: str | None = None,
    owner_org: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build the package; push it to the portal when one is given or configured for the holder.

    The key is the organization's own, read here (flow parameters are stored by Prefect), and
    only sent when the portal is the organization's: another `portal_url` gets none.
    """
    logger = get_run_logger()
    moment = now or SystemClock().now()
    package = prepare_package(cycle_id, Path(out_dir), moment)
    token: str | None = None
    with session_scope() as session:
        cycle = get_cycle(session, cycle_id=cycle_id)
        target = portal_target(session, organization_id=cycle.organization_id)
    if target is not None and (portal_url is None or same_origin(portal_url, target.portal_url)):
        portal_url, owner_org = target.portal_url, owner_org or target.portal_organization
        token = target.token
    if portal_url is None:
        return {"folder": out_dir, "files": [f.name for f in package.files], "published": None}
    if not owner_org:
        raise PublishError("Вкажіть організацію на порталі (--organization).")
    result = publish_package(package, portal_url=portal_url, token=token or "", owner_org=owner_org)
    logger.info(
        "Published %s: %s uploaded, %s unchanged",
        result.dataset_url,
        len(result.uploaded),
        len(result.unchanged),
    )
    return {
        "folder": out_dir,
        "files": [f.name for f in package.files],
        "published": {
            "dataset_url": result.dataset_url,
            "created": result.created,
            "uploaded": result.uploaded,
            "unchanged": result.unchanged,
        },
    }
