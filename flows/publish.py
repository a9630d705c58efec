"""`infoaudit publish <cycle>`: the open-data package pushed to a CKAN portal (data.gov.ua).

Writes go through CKAN's action API with an API token: `package_show` then `package_create` or
`package_update`, and per file `resource_create` or `resource_update`. Every step first reads
the portal's current state, so a retry after a timeout (the portal may have done the work
anyway) finds the dataset or resource by its name and never creates a duplicate; a resource
whose hash is unchanged is not uploaded again.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from prefect import flow, get_run_logger

from flows.ckan_client import CkanClient, PortalError
from models.clock import SystemClock
from models.db import session_scope
from models.services.cycles import get_cycle
from models.services.publication import get_portal_source
from models.services.publication_package import (
    PackageFile,
    PublicationPackage,
    build_package,
    validate_package,
)

TOKEN_VARIABLE = "INFOAUDIT_PORTAL_TOKEN"


class PublishError(PortalError):
    """A write to the portal failed; ``retryable`` for timeouts, lost connections and 5xx."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class PublishResult:
    """What the run did on the portal."""

    dataset_url: str
    created: bool
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class CkanPublisher(CkanClient):
    """The CKAN client (issue 5's reader) with the write actions (POST, token required)."""

    def post_action(
        self,
        name: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        upload: PackageFile | None = None,
    ) -> Any:
        """Call a write action; returns its `result` or raises PublishError."""
        files = None
        if upload is not None:
            files = {"upload": (upload.name, upload.data, upload.media_type)}
        try:
            response = self._client.post(name, json=json, data=data, files=files)
        except httpx.TimeoutException as exc:
            raise PublishError(
                f"Портал {self.portal_url} не відповів за {self.timeout:g} с ({name}).",
                retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise PublishError(
                f"З’єднання з порталом {self.portal_url} перервалося ({name}).", retryable=True
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        message = ""
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = body["error"]
            details = "; ".join(
                f"{k}: {v}" for k, v in error.items() if k not in ("__type", "message")
            )
            message = str(error.get("message") or details or error.get("__type") or "")[:300]
        if response.status_code == 403:
            raise PublishError(
                f"Портал відмовив у доступі ({name}, HTTP 403): перевірте ключ API "
                f"({TOKEN_VARIABLE}) і право облікового запису публікувати в організації."
            )
        if response.status_code == 409:
            raise PublishError(
                f"Портал не прийняв дані ({name}): {message or 'помилка перевірки'}."
            )
        if response.status_code >= 500:
            raise PublishError(
                f"Портал повернув помилку HTTP {response.status_code} ({name}).", retryable=True
            )
        if response.status_code != 200 or not isinstance(body, dict):
            detail = f": {message}" if message else ""
            raise PublishError(f"Портал повернув HTTP {response.status_code} ({name}){detail}.")
        if body.get("success") is not True:
            raise PublishError(
                f"Портал повідомив про помилку ({name}): {message or 'без пояснення'}."
            )
        return body.get("result")

    def find_package(self, name: str) -> dict[str, Any] | None:
        """The dataset by name, or None when the portal has none."""
        try:
            result = self.action("package_show", {"id": name})
        except PortalError as exc:
            if "не знайшов" in exc.message:
                return None
            raise PublishError(exc.message, retryable="не відповів" in exc.message) from exc
        if not isinstance(result, dict) or not result.get("id"):
            raise PublishError("Портал повернув некоректний опис набору даних.")
        return result


def _with_retries(step: Any, *, attempts: int, delay: float) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except PublishError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            time.sleep(delay * attempt)
    raise AssertionError("unreachable")


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
        raise PublishError(f"Для публікації потрібен ключ API порталу ({TOKEN_VARIABLE}).")
    ckan = CkanPublisher(portal_url, token=token, timeout=timeout)
    try:
        metadata = {
            "name": package.name,
            "title": package.title,
            "notes": package.notes,
            "owner_org": owner_org,
            "license_id": "cc-by",
            "tags": [{"name": "інформаційний аудит"}],
        }
        created = False

        def ensure_dataset() -> dict[str, Any]:
            nonlocal created
            existing = ckan.find_package(package.name)
            if existing is None:
                created = True
                return dict(ckan.post_action("package_create", json=metadata))
            # Resources are passed back as they are: package_update must not drop them.
            update = {**existing, **metadata, "resources": existing.get("resources", [])}
            return dict(ckan.post_action("package_update", json=update))

        dataset = _with_retries(ensure_dataset, attempts=attempts, delay=delay)
        result = PublishResult(
            dataset_url=f"{ckan.portal_url}/dataset/{dataset.get('name', package.name)}",
            created=created,
        )
        for file in package.files:

            def ensure_resource(file: PackageFile = file) -> str:
                current = ckan.find_package(package.name) or {}
                existing = next(
                    (r for r in current.get("resources", []) if r.get("name") == file.name), None
                )
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
                    fields["package_id"] = str(current.get("id") or dataset["id"])
                    ckan.post_action("resource_create", data=fields, upload=file)
                else:
                    fields["id"] = str(existing["id"])
                    ckan.post_action("resource_update", data=fields, upload=file)
                return "uploaded"

            outcome = _with_retries(ensure_resource, attempts=attempts, delay=delay)
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
    token: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build the package; push it to the portal when one is given or configured for the holder."""
    logger = get_run_logger()
    moment = now or SystemClock().now()
    package = prepare_package(cycle_id, Path(out_dir), moment)
    if portal_url is None:
        with session_scope() as session:
            cycle = get_cycle(session, cycle_id=cycle_id)
            source = get_portal_source(session, organization_id=cycle.organization_id)
            if source is not None:
                portal_url, owner_org = source.portal_url, owner_org or source.portal_organization
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
