"""HTTP as probes speak it (FiveM, and opengsq's HTTP-based protocols: ElDewrito, Satisfactory, Palworld, EOS …):
no redirects (a 3xx is a bad answer), no transparent decompression, a size cap, and every connection — the
first one and any other a protocol opens — checked against the instance's address policy by the connector.

opengsq builds its own ``aiohttp.ClientSession`` in each HTTP protocol module; :func:`install` points those
modules' ``aiohttp`` at a copy whose ``ClientSession`` is :func:`probe_session`, as ``wire.install`` does for
the socket clients. The policy comes from :func:`address_policy`, which each probe enters.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import types
from collections.abc import Iterator
from typing import Any

import aiohttp

from bot.core import guarded_http
from cogs.status.wire import MAX_RESPONSE_BYTES, BadAnswer, too_large

HTTP_PROTOCOL_MODULES = ("eldewrito", "eos", "fivem", "kaillera", "palworld", "satisfactory")

_ALLOW_PRIVATE: contextvars.ContextVar[bool] = contextvars.ContextVar("status_allow_private", default=False)


@contextlib.contextmanager
def address_policy(*, allow_private: bool) -> Iterator[None]:
    """The address policy of the HTTP connections made inside (tasks created inside inherit it)."""
    token = _ALLOW_PRIVATE.set(allow_private)
    try:
        yield
    finally:
        _ALLOW_PRIVATE.reset(token)


class AddressRefused(BadAnswer):
    pass


class PolicyConnector(guarded_http.PolicyConnector):
    """The core's policy connector (:mod:`bot.core.guarded_http`); a refusal is a bad answer of the probe."""

    def refused(self, host: str, ip: str) -> Exception:
        return AddressRefused(f"HTTP connection to a private or local address ({ip}) refused")


class CappedResponse(aiohttp.ClientResponse):
    """Reads at most MAX_RESPONSE_BYTES, whatever the server claims or streams."""

    async def read(self) -> bytes:
        if self._body is None:
            if (self.content_length or 0) > MAX_RESPONSE_BYTES:
                self.close()
                raise too_large()
            body = bytearray()
            while chunk := await self.content.read(65536):
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    self.close()
                    raise too_large()
            self._body = bytes(body)
        return await super().read()


async def refuse_redirects(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """A game server's status endpoint answers itself; a redirect (possibly to an internal URL) is refused."""
    response = await handler(request)
    if 300 <= response.status < 400:
        response.close()
        raise BadAnswer(f"redirect (HTTP {response.status}) refused")
    return response


def probe_session(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
    """An ``aiohttp.ClientSession`` for one probe; opengsq's own arguments (auth, timeout …) are kept."""
    kwargs.pop("connector", None)
    headers = {**dict(kwargs.pop("headers", None) or {}), "Accept-Encoding": "identity"}
    return aiohttp.ClientSession(
        *args,
        connector=PolicyConnector(allow_private=_ALLOW_PRIVATE.get(), limit=4, force_close=True),
        middlewares=(refuse_redirects,),
        response_class=CappedResponse,
        auto_decompress=False,  # no gzip bombs: the body is read as sent, and capped
        trust_env=False,  # never through the operator's HTTP(S)_PROXY
        headers=headers,
        **kwargs,
    )


def _guarded_aiohttp() -> types.ModuleType:
    shim = types.ModuleType("aiohttp", "aiohttp with ClientSession replaced by cogs.status.http_probe.probe_session")
    shim.__dict__.update({k: v for k, v in vars(aiohttp).items() if not k.startswith("__")})
    shim.ClientSession = probe_session  # type: ignore[attr-defined]
    shim.votebot_probe_shim = True  # type: ignore[attr-defined]
    return shim


def install() -> None:
    """Make opengsq's HTTP-based protocols use probe sessions. Idempotent; a Prober calls it. A shim of an earlier
    copy of this module (the extension unloaded and loaded again: a new module, a new policy variable) is replaced,
    so the policy in force is always the one this module's :func:`address_policy` sets."""
    shim: types.ModuleType | None = None
    for name in HTTP_PROTOCOL_MODULES:
        module = sys.modules.get(f"opengsq.protocols.{name}")
        current = getattr(module, "aiohttp", None)
        ours = current is not None and getattr(current, "ClientSession", None) is probe_session
        if module is not None and not ours and (current is aiohttp or getattr(current, "votebot_probe_shim", False)):
            shim = shim or _guarded_aiohttp()
            module.aiohttp = shim  # type: ignore[attr-defined]
