"""What keeps the webhook port usable under abuse: connection caps, the client's address, a bound on public reads.

The process that serves the webhooks also runs the bot, so nothing a client does may pile up in it:

- :class:`ConnectionGuard` caps open connections in all and per source address; a connection over a cap is
  answered ``503`` and closed before any byte of it is parsed. Idle and half-sent requests are cut by the
  server's keep-alive timeout (see :class:`~bot.web.app.WebhookManager`), bodies by ``body_timeout``.
- :func:`client_address` is the peer, or the ``X-Forwarded-For`` hop a trusted reverse proxy added.
- :class:`PublicReads` bounds how many unauthenticated reads (badges, health, metrics, the PULL API) use the
  database at once, so they can never take the connections vote intake needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 5\r\n\r\n"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16"]`` → networks; raises ``ValueError`` naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def _in(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: web.Request, trusted_proxies: tuple[Network, ...] = ()) -> str:
    """The address to throttle by: the peer, or the last untrusted ``X-Forwarded-For`` hop behind a trusted proxy."""
    peer = request.remote or "unknown"
    if not _in(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the proxy appends; the hops before it are whatever the client wrote
        if not _in(hop, trusted_proxies):
            return hop[:64]
    return peer


class ConnectionGuard:
    """Admission control for one aiohttp server: ``max_total`` connections, ``max_per_source`` from one address."""

    def __init__(self, *, max_total: int, max_per_source: int) -> None:
        self.max_total = max_total
        self.max_per_source = max_per_source
        self.refused: Counter[str] = Counter()  # reason -> connections refused
        self._open: dict[RequestHandler, str] = {}
        self._per_source: Counter[str] = Counter()

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def install(self, server: web.Server) -> None:
        """Wrap the server's connection hooks (aiohttp has no admission hook of its own)."""
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            source = _peer_host(transport)
            reason = self._over_cap(source)
            if reason is not None:
                self.refused[reason] += 1
                transport.write(_BUSY)
                transport.pause_reading()  # nothing this connection sends is parsed
                # Closed on the next loop turn: the handler's own start-up must see its manager first.
                asyncio.get_running_loop().call_soon(handler.force_close)
                return
            self._open[handler] = source
            self._per_source[source] += 1
            made(handler, transport)

        def connection_lost(handler: RequestHandler, exc: BaseException | None = None) -> None:
            source = self._open.pop(handler, None)
            if source is not None:
                self._per_source[source] -= 1
                if self._per_source[source] <= 0:
                    del self._per_source[source]
            lost(handler, exc)

        setattr(server, "connection_made", connection_made)  # noqa: B010 - instance hook, mypy rejects assignment
        setattr(server, "connection_lost", connection_lost)  # noqa: B010

    def _over_cap(self, source: str) -> str | None:
        if len(self._open) >= self.max_total:
            return "total"
        if self._per_source[source] >= self.max_per_source:
            return "per_source"
        return None


def _peer_host(transport: asyncio.BaseTransport) -> str:
    peer: Any = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "unix"


class PublicReads:
    """At most ``limit`` unauthenticated reads use the database at once; a reader waits ``wait`` seconds at most."""

    def __init__(self, limit: int, *, wait: float = 2.0) -> None:
        self.limit = limit
        self.wait = wait
        self.busy_refusals = 0
        self._slots = asyncio.Semaphore(limit)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A database slot, or ``503`` (with ``Retry-After``) when none frees up in time."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait)
        except TimeoutError:
            self.busy_refusals += 1
            raise web.HTTPServiceUnavailable(
                text='{"ok": false, "error": "busy, retry later"}',
                content_type="application/json",
                headers={"Retry-After": "2"},
            ) from None
        try:
            yield
        finally:
            self._slots.release()


PUBLIC_READS_KEY = web.AppKey("public_reads", PublicReads)


@dataclass(frozen=True, slots=True)
class WebLimits:
    """The webhook server's limits (``webhooks.*`` settings); the defaults suit a public instance."""

    keepalive_timeout: float = 15.0
    body_timeout: float = 10.0
    max_connections: int = 2000
    max_connections_per_source: int = 200
    public_read_concurrency: int = 4
    failed_auth_per_minute: int = 30
    metrics_token: str = field(default="", repr=False)
    trusted_proxies: tuple[Network, ...] = ()
