"""Where the holder publishes and with which key: the coordinator's portal settings.

The portal's address must be on the administrator's allow list (INFOAUDIT_PORTAL_HOSTS). The
API key is the organization's own, stored sealed, never shown back, and sent only to the
origin it was entered for: moving the portal to another host drops it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models.actor import SYSTEM, Actor
from models.clock import SystemClock
from models.errors import Invalid
from models.portal.hosts import PortalHosts, check_portal_url, portal_origin
from models.portal.tokens import open_token, seal_token
from models.publication import PortalSource
from models.services.events import record_event
from models.services.publication import get_portal_source
from models.settings import get_settings

MAX_TOKEN = 500


def allowed_hosts() -> PortalHosts:
    """The administrator's allow list, as configured now."""
    return PortalHosts.from_text(get_settings().portal_hosts)


@dataclass(frozen=True)
class PortalTarget:
    """What a portal call needs: the address, the holder's organization there, its key."""

    portal_url: str
    portal_organization: str
    token: str | None


def set_portal_source(
    session: Session,
    *,
    organization_id: int,
    portal_url: str,
    portal_organization: str,
    api_token: str | None = None,
    remove_token: bool = False,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> PortalSource:
    """Say where the holder publishes (one portal organization per holder), and its API key.

    `api_token` None keeps the stored key (if the portal stays on the same origin); a key is
    never read back from here.
    """
    url = portal_url.strip().rstrip("/")
    origin = check_portal_url(url, allowed_hosts())
    token = (api_token or "").strip()
    if len(token) > MAX_TOKEN or any(c.isspace() for c in token):
        raise Invalid(
            f"Ключ API: до {MAX_TOKEN} символів, без пробілів "
            "(скопіюйте його з профілю на порталі).",
            field="api_token",
        )
    source = get_portal_source(session, organization_id=organization_id)
    if source is None:
        source = PortalSource(organization_id=organization_id)
        session.add(source)
    moved = source.portal_url is not None and portal_origin(source.portal_url) != origin
    had_token = source.api_token is not None
    if moved or remove_token:
        source.api_token = None  # a key belongs to its origin: never sent to another host
    if token:
        source.api_token = seal_token(token, secret_key=get_settings().secret_key)
    source.portal_url = url
    source.portal_organization = portal_organization.strip()
    session.flush()
    record_event(
        session,
        organization_id=organization_id,
        action="portal.source_set",
        at=now or SystemClock().now(),
        actor=actor,
        details={
            "portal_url": url,
            "portal_organization": source.portal_organization,
            "token": "set" if token else ("removed" if had_token and not source.api_token else ""),
        },
    )
    return source


def portal_target(session: Session, *, organization_id: int) -> PortalTarget | None:
    """The holder's portal with its own key opened (None: no portal configured)."""
    source = get_portal_source(session, organization_id=organization_id)
    if source is None:
        return None
    return PortalTarget(
        portal_url=source.portal_url,
        portal_organization=source.portal_organization,
        token=open_token(source.api_token, secret_key=get_settings().secret_key),
    )


def token_is_set(source: PortalSource | None) -> bool:
    """Whether the holder has a usable key stored (it is never shown)."""
    if source is None:
        return False
    return open_token(source.api_token, secret_key=get_settings().secret_key) is not None
