"""Which portal hosts the server may call: the administrator's allow list (INFOAUDIT_PORTAL_HOSTS).

A coordinator chooses the portal's address, but the server makes the calls, with the
organization's API key: an address outside the list would let one tenant aim the server at
an internal service (SSRF) or at a host collecting keys. An entry is `host` (HTTPS on port
443) or `host:port` (that port, HTTP or HTTPS); IPv6 as `[::1]:8443`. Private, loopback and
link-local addresses are refused even for a listed name (checked again on every connection,
models/portal/guard.py); only an entry that is itself such an address literal permits it
(a CKAN test double on `127.0.0.1:8501`, a portal inside the council's own network).
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTAL_HOSTS = "data.gov.ua"
HTTPS_PORT = 443
NOT_ALLOWED = (
    "Адреса порталу не входить до переліку дозволених адміністратором установки "
    "(INFOAUDIT_PORTAL_HOSTS). Зверніться до адміністратора."
)
MALFORMED = "Адреса порталу: вкажіть адресу на кшталт https://data.gov.ua."


@dataclass(frozen=True)
class HostEntry:
    """One allowed destination: a host name or address literal, and its port (None: HTTPS)."""

    host: str
    port: int | None

    @property
    def literal(self) -> IPAddress | None:
        """The entry's address, when it names one instead of a host name."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    def permits(self, host: str, port: int) -> bool:
        """Whether a connection to host:port falls under this entry."""
        wanted = self.port if self.port is not None else HTTPS_PORT
        return host == self.host and port == wanted


def _normal_host(host: str) -> str:
    """Lower case, without IPv6 brackets or a trailing dot; address literals in one spelling."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def parse_hosts(text: str) -> tuple[HostEntry, ...]:
    """The allow list from its setting (comma- or space-separated); malformed entries skipped."""
    entries: list[HostEntry] = []
    for raw in text.replace(",", " ").split():
        item = raw.split("://", 1)[-1].rstrip("/")
        try:
            parts = urlsplit(f"//{item}")
            port = parts.port
        except ValueError:
            continue
        if parts.hostname and not parts.username and not parts.path:
            entries.append(HostEntry(_normal_host(parts.hostname), port))
    return tuple(entries)


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, reserved…)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class PortalHosts:
    """The administrator's allow list of portal hosts."""

    entries: tuple[HostEntry, ...]

    @classmethod
    def from_text(cls, text: str) -> "PortalHosts":
        """The list from the setting's text."""
        return cls(parse_hosts(text))

    def entry_for(self, host: str, port: int) -> HostEntry | None:
        """The entry permitting host:port, if any."""
        host = _normal_host(host)
        return next((e for e in self.entries if e.permits(host, port)), None)

    def address_allowed(self, entry: HostEntry, address: IPAddress) -> bool:
        """A resolved address may be connected to: public, or the entry's own literal."""
        return is_public(address) or entry.literal == address


@dataclass(frozen=True)
class PortalOrigin:
    """A portal URL's scheme, host and port (the token belongs to exactly this origin)."""

    scheme: str
    host: str
    port: int

    def key(self) -> str:
        """A stable text for comparisons and storage."""
        return f"{self.scheme}://{self.host}:{self.port}"


def portal_origin(url: str) -> PortalOrigin:
    """The URL's origin; a URL with credentials, a query or no host is Invalid."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Invalid(MALFORMED, field="portal_url") from None
    scheme = parts.scheme.lower()
    if (
        scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise Invalid(MALFORMED, field="portal_url")
    default = HTTPS_PORT if scheme == "https" else 80
    return PortalOrigin(scheme, _normal_host(parts.hostname), port or default)


def check_portal_url(url: str, hosts: PortalHosts) -> PortalOrigin:
    """The URL's origin if the allow list permits it; otherwise Invalid beside the field.

    A listed name is not resolved here: what it resolves to is checked on every connection.
    """
    origin = portal_origin(url)
    entry = hosts.entry_for(origin.host, origin.port)
    if entry is None or (entry.port is None and origin.scheme != "https"):
        raise Invalid(NOT_ALLOWED, field="portal_url")
    return origin


def same_origin(first: str, second: str) -> bool:
    """Whether two portal URLs share scheme, host and port (a malformed one shares none)."""
    try:
        return portal_origin(first) == portal_origin(second)
    except Invalid:
        return False
