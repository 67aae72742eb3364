"""HTTP connections that keep to the address policy (:mod:`bot.core.addresses`): the status feature's HTTP probes
and the webhooks that hand votes on both connect through :class:`PolicyConnector`.

The check is made where aiohttp connects, on the very addresses it is about to connect to — every one a host
name resolves to, on every connection (the first, a redirect's if one were followed, a reconnection) — so a name
that resolves to a public address when a destination is added and to a private one later (DNS rebinding) is
still refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.tracing import Trace

from bot.core.addresses import is_public

__all__ = ["AddressRefused", "PolicyConnector"]


class AddressRefused(Exception):
    """A connection to a private or local address, refused by the policy; ``str()`` is the refused address."""

    def __init__(self, host: str, ip: str) -> None:
        super().__init__(ip)
        self.host = host
        self.ip = ip


class PolicyConnector(aiohttp.TCPConnector):
    """Refuses to connect where the policy forbids: IP literals and every address a host name resolves to.

    What it raises comes from :meth:`refused` (a feature may raise its own kind of error).
    """

    def __init__(self, *, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._allow_private = allow_private

    def refused(self, host: str, ip: str) -> Exception:
        return AddressRefused(host, ip)

    async def _resolve_host(self, host: str, port: int, traces: Sequence[Trace] | None = None) -> list[ResolveResult]:
        hosts = await super()._resolve_host(host, port, traces=traces)
        if not self._allow_private:
            for found in hosts:
                if not is_public(found["host"]):
                    raise self.refused(host, found["host"])
        return hosts
