"""A client of a CKAN portal's action API (data.gov.ua is CKAN): the holder's published datasets,
and the write actions that publish the open-data package.

Every failure (network, timeout, 403, a malformed answer) becomes a PortalError whose message is
Ukrainian and says what to do; the caller keeps the previous snapshot. A failed write is a
PublishError that says whether trying again may help.
"""

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from models.errors import Invalid
from models.portal.guard import GuardedTransport, RefusedDestination
from models.portal.hosts import PortalHosts, check_portal_url
from models.services.publication import PortalDataset, PortalResource
from models.services.publication_package import PackageFile
from models.settings import get_settings

PAGE_SIZE = 100  # CKAN's package_search allows up to 1000; small pages keep answers light
MAX_PAGES = 200  # a portal that never stops paging is a malformed answer, not a loop
# Where a coordinator enters the organization's CKAN API key (private datasets are read too).
TOKEN_PLACE = "консоль: Підрозділи → Портал відкритих даних"
REDIRECTED = (
    "Портал переадресовує запит на іншу адресу; переадресацію не виконано. "
    "Перевірте адресу порталу (наприклад, https:// замість http://)."
)
# A field name CKAN's validation error names (values are not repeated back).
FIELD = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# A package not yet active on a moderated portal: CKAN's "pending"/"draft" states, or a
# moderation extra that is not (yet) approved.
MODERATION_STATES = frozenset({"pending", "draft"})
MODERATION_EXTRAS = ("moderation_status", "moderation")
MODERATED_VALUES = frozenset({"pending", "moderation", "on_moderation", "на модерації"})


class PortalError(Exception):
    """The portal could not be read; the message is Ukrainian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def connection_message(exc: httpx.HTTPError) -> str:
    """A failed connection in plain words, naming no address the server resolved or refused."""
    if isinstance(exc.__cause__, RefusedDestination) or isinstance(exc, httpx.UnsupportedProtocol):
        return (
            "З’єднання з цією адресою порталу заборонено: дозволені адреси визначає "
            "адміністратор установки."
        )
    return "Не вдалося з’єднатися з порталом: перевірте адресу порталу та мережу."


def parse_timestamp(value: Any) -> datetime | None:
    """CKAN's ISO timestamps (naive UTC, e.g. "2024-05-01T10:00:00.123456") as aware UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _extra(package: dict[str, Any], key: str) -> Any:
    if key in package:
        return package[key]
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") == key:
            return extra.get("value")
    return None


def awaiting_moderation(package: dict[str, Any]) -> bool:
    """Whether the portal still moderates the package (not published, not missing either)."""
    if str(package.get("state") or "active").lower() in MODERATION_STATES:
        return True
    return any(
        str(_extra(package, key) or "").strip().lower() in MODERATED_VALUES
        for key in MODERATION_EXTRAS
    )


def tracking_total(item: dict[str, Any], key: str = "total") -> int | None:
    """A figure of CKAN's tracking summary ({"total": n, "recent": m}), if the portal gives it."""
    summary = item.get("tracking_summary")
    if not isinstance(summary, dict):
        return None
    value = summary.get(key)
    return value if isinstance(value, int) and value >= 0 else None


def parse_package(
    package: Any, *, portal_url: str, portal_organization: str | None = None
) -> PortalDataset:
    """A CKAN package dict as a PortalDataset; a package without id or title is malformed."""
    if not isinstance(package, dict) or not package.get("id") or not package.get("name"):
        raise PortalError("Портал повернув опис набору даних без ідентифікатора.")
    resources = package.get("resources") or []
    if not isinstance(resources, list):
        raise PortalError(
            f"Портал повернув некоректний перелік ресурсів набору «{package['name']}»."
        )
    frequency = _extra(package, "update_frequency")
    return PortalDataset(
        portal_id=str(package["id"]),
        name=str(package["name"]),
        title=str(package.get("title") or package["name"]),
        url=f"{portal_url}/dataset/{package['name']}",
        private=bool(package.get("private")),
        metadata_modified=parse_timestamp(package.get("metadata_modified")),
        update_frequency=str(frequency) if frequency else None,
        resources=[
            PortalResource(
                name=str(r.get("name") or ""),
                format=str(r.get("format") or ""),
                url=r.get("url") or None,
                last_modified=parse_timestamp(r.get("last_modified"))
                or parse_timestamp(r.get("created")),
                downloads=tracking_total(r),
            )
            for r in resources
            if isinstance(r, dict)
        ],
        portal_organization=portal_organization,
        moderation=awaiting_moderation(package),
        views_total=tracking_total(package),
        views_recent=tracking_total(package, "recent"),
    )


class CkanClient:
    """Reads a holder's datasets through `organization_show` and paged `package_search`."""

    def __init__(
        self,
        portal_url: str,
        *,
        token: str | None = None,
        timeout: float = 20.0,
        page_size: int = PAGE_SIZE,
        hosts: PortalHosts | None = None,
    ) -> None:
        self.portal_url = portal_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.page_size = page_size
        allowed = hosts or PortalHosts.from_text(get_settings().portal_hosts)
        try:
            # The list may have changed since the address was saved: checked on every use.
            check_portal_url(self.portal_url, allowed)
        except Invalid as exc:
            raise self.error(exc.message) from None
        headers = {"User-Agent": "infoaudit (information audit)"}
        if token:
            headers["Authorization"] = token  # CKAN takes the API token as is
        # Only this origin is ever called: relative action names, no redirects followed, no
        # proxies from the environment, and each connection's resolved address checked.
        self._client = httpx.Client(
            base_url=f"{self.portal_url}/api/3/action/",
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=GuardedTransport(allowed),
        )

    def error(self, message: str) -> PortalError:
        """The error this client raises (a publisher's is a PublishError)."""
        return PortalError(message)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> "CkanClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def action(self, name: str, params: dict[str, Any]) -> Any:
        """Call one action; returns its `result` or raises PortalError."""
        try:
            response = self._client.get(name, params=params)
        except httpx.TimeoutException as exc:
            raise PortalError(
                f"Портал не відповів за {self.timeout:g} с. Спробуйте пізніше; "
                "використано попередній знімок."
            ) from exc
        except httpx.HTTPError as exc:
            raise PortalError(connection_message(exc)) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 403:
            raise PortalError(
                "Портал відмовив у доступі (HTTP 403): перевірте ключ API організації "
                f"({TOKEN_PLACE}) і права облікового запису в організації на порталі."
            )
        if response.status_code == 404:
            raise PortalError(
                f"Портал не знайшов запитане ({name}): перевірте ідентифікатор організації."
            )
        if response.is_redirect:
            raise PortalError(REDIRECTED)
        if response.status_code != 200:
            # The body is not repeated: a page shows only what the portal is known to say.
            raise PortalError(f"Портал повернув помилку HTTP {response.status_code}.")
        if not isinstance(body, dict) or "success" not in body:
            raise PortalError("Портал повернув відповідь не у форматі CKAN API (очікувався JSON).")
        if body["success"] is not True:
            raise PortalError(f"Портал повідомив про помилку ({name}).")
        return body.get("result")

    def organization_show(self, organization: str) -> dict[str, Any]:
        """The portal organization (by id or name), without its datasets."""
        result = self.action("organization_show", {"id": organization, "include_datasets": "false"})
        if not isinstance(result, dict) or not result.get("id"):
            raise PortalError("Портал повернув некоректний опис організації.")
        return result

    def package_search(self, owner_org_id: str, *, include_private: bool) -> list[dict[str, Any]]:
        """Every package of the organization, page by page (`rows`/`start`)."""
        packages: list[dict[str, Any]] = []
        start = 0
        for _ in range(MAX_PAGES):
            result = self.action(
                "package_search",
                {
                    "fq": f'owner_org:"{owner_org_id}"',
                    "rows": self.page_size,
                    "start": start,
                    "sort": "name asc",
                    "include_private": "true" if include_private else "false",
                    # The token's own drafts and datasets awaiting moderation (CKAN 2.9+).
                    "include_drafts": "true" if include_private else "false",
                },
            )
            if (
                not isinstance(result, dict)
                or not isinstance(result.get("count"), int)
                or not isinstance(result.get("results"), list)
            ):
                raise PortalError("Портал повернув некоректну відповідь на пошук наборів даних.")
            page = result["results"]
            packages.extend(page)
            start += len(page)
            if not page or start >= result["count"]:
                return packages
        raise PortalError("Портал повертає нескінченний перелік наборів даних.")

    def holder_datasets(
        self, organization: str, *, unit_organization: bool = False
    ) -> tuple[dict[str, Any], list[PortalDataset]]:
        """The organization and its datasets (private ones too when a token is given).

        A unit's own organization marks its datasets with the name it was asked by.
        """
        org = self.organization_show(organization)
        packages = self.package_search(str(org["id"]), include_private=bool(self.token))
        datasets: dict[str, PortalDataset] = {}
        label = organization if unit_organization else None
        for package in packages:
            dataset = parse_package(package, portal_url=self.portal_url, portal_organization=label)
            datasets[dataset.portal_id] = dataset  # a package repeated across pages counts once
        return org, list(datasets.values())

    def with_tracking(
        self,
        datasets: list[PortalDataset],
        *,
        on_progress: Callable[[int], None] | None = None,
        every: int = 50,
    ) -> list[PortalDataset]:
        """Views and downloads from `package_show(include_tracking=True)`, where the search lacks
        them; a portal that does not track (no summary, or an error) is asked no further."""
        result: list[PortalDataset] = []
        tracked = True
        for done, dataset in enumerate(datasets, start=1):
            if tracked and dataset.views_total is None:
                try:
                    package = self.action(
                        "package_show", {"id": dataset.portal_id, "include_tracking": "true"}
                    )
                except PortalError:
                    package = None  # the figures are extra: the datasets are kept without them
                if isinstance(package, dict) and tracking_total(package) is not None:
                    fresh = parse_package(
                        package,
                        portal_url=self.portal_url,
                        portal_organization=dataset.portal_organization,
                    )
                    dataset = replace(
                        dataset,
                        views_total=fresh.views_total,
                        views_recent=fresh.views_recent,
                        resources=fresh.resources,
                    )
                else:
                    tracked = False
            result.append(dataset)
            if on_progress is not None and (done % every == 0 or done == len(datasets)):
                on_progress(done)
        return result


class PublishError(PortalError):
    """A write to the portal failed; ``retryable`` for timeouts, lost connections and 5xx."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class CkanPublisher(CkanClient):
    """The CKAN client (issue 5's reader) with the write actions (POST, token required)."""

    def error(self, message: str) -> PortalError:
        """A publisher's refusals are PublishErrors (never worth retrying here)."""
        return PublishError(message)

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
        # CKAN 2.7 has no API tokens: the user's API key, which its multipart uploads read from
        # X-CKAN-API-Key (Authorization is already on every request).
        headers = {"X-CKAN-API-Key": self.token} if self.token else {}
        try:
            response = self._client.post(name, json=json, data=data, files=files, headers=headers)
        except httpx.TimeoutException as exc:
            raise PublishError(
                f"Портал не відповів за {self.timeout:g} с ({name}).", retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            refused = isinstance(exc.__cause__, RefusedDestination)
            message = (
                connection_message(exc)
                if refused
                else f"З’єднання з порталом перервалося ({name})."
            )
            raise PublishError(message, retryable=not refused) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        # Only the names of the fields CKAN refused are repeated, never its text or values.
        fields = sorted(k for k in error if FIELD.match(str(k))) if isinstance(error, dict) else []
        if response.status_code == 403:
            raise PublishError(
                f"Портал відмовив у доступі ({name}, HTTP 403): перевірте ключ API організації "
                f"({TOKEN_PLACE}) і право облікового запису публікувати в організації."
            )
        if response.status_code == 409:
            named = f": поля {', '.join(fields[:10])}" if fields else ""
            raise PublishError(f"Портал не прийняв дані ({name}) – помилка перевірки{named}.")
        if response.status_code >= 500:
            raise PublishError(
                f"Портал повернув помилку HTTP {response.status_code} ({name}).", retryable=True
            )
        if response.is_redirect:
            raise PublishError(REDIRECTED)
        if response.status_code != 200 or not isinstance(body, dict):
            raise PublishError(f"Портал повернув HTTP {response.status_code} ({name}).")
        if body.get("success") is not True:
            raise PublishError(f"Портал повідомив про помилку ({name}).")
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
