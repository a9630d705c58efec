"""The HTTP transport every portal call goes through: it connects only where the allow list says.

Checking the URL when it is saved is not enough: a listed name may later resolve to a private
address (DNS rebinding), and a name is resolved again for every connection. So the check is
in the network backend itself: each connection resolves the name once, refuses it if any
address is private, loopback or link-local (unless the allow-list entry is that very
address), and connects to the checked address, while TLS still verifies the certificate
against the name. No proxy from the environment is used, and redirects are never followed
(the client sets follow_redirects=False), so a request can reach no other host.
"""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from models.portal.hosts import PortalHosts


class RefusedDestination(httpcore.ConnectError):
    """A connection the allow list does not permit (the message stays in the logs only)."""


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, connecting only to allowed, checked addresses."""

    def __init__(self, hosts: PortalHosts) -> None:
        self._hosts = hosts
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve, check every address, then connect to a checked one."""
        entry = self._hosts.entry_for(host, port)
        if entry is None:
            raise RefusedDestination(f"portal host not allowed: {host}:{port}")
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in found))
        if not addresses:
            raise httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            # One bad answer refuses the name: a rebinding server mixes them.
            if not self._hosts.address_allowed(entry, ipaddress.ip_address(address)):
                raise RefusedDestination(f"portal address not allowed: {host}")
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Never: a portal is reached over TCP."""
        raise RefusedDestination("unix sockets are not portal destinations")

    def sleep(self, seconds: float) -> None:
        """As httpcore's own backend."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the guarded backend (no proxies, no Unix sockets)."""

    def __init__(self, hosts: PortalHosts) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to pass a network backend: build the same one
        # (default limits, certificate checks on) around ours.
        limits = httpx.Limits(max_connections=10, max_keepalive_connections=5)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(hosts),
        )
