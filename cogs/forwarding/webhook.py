"""Votes out over HTTP: one signed POST per vote, following the Standard Webhooks specification.

**Request**::

    POST <the destination's URL>
    Content-Type: application/json
    User-Agent: votebot
    webhook-id: vote_<vote id>_<destination id>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>

    {"type":"vote.created","timestamp":"2026-12-01T15:04:05+00:00","data":{
      "server":{"id":12,"name":"My Server"},     the game server in the bot
      "provider":"topgg",                         the listing site: topgg, topserver, gamemonitoring, votifier …
      "vote_id":"4711",                           the bot's id of the vote (the same in every attempt)
      "provider_vote_id":"…",                     the listing site's own id of the vote
      "player":"Notch",                           the player name (a Top.gg voter's linked name)
      "discord_user_id":"123456789012345678",     a string, or null when the voter's Discord account is unknown
      "voted_at":"2026-12-01T15:04:05+00:00",     when the vote was cast (ISO 8601, UTC)
      "weight":1}}                                2 for a Top.gg weekend vote

- The body is sent as compact JSON, ASCII only (other characters as ``\\uXXXX`` escapes); it is laid out above for
  reading. Every id is a string except ``server.id``.
- The secret is the destination's ``whsec_…`` secret (:func:`new_webhook_secret`: ``whsec_`` + base64 of 24
  random bytes); the HMAC key is the base64-decoded part after ``whsec_``.
- ``webhook-id`` is the same in every attempt of a vote to a destination: a receiver that has seen it answers 2xx
  and does nothing (the bot retries until it gets a 2xx, so a vote may arrive more than once).
- ``webhook-timestamp`` is the attempt's time: receivers reject one more than 5 minutes off (replay protection).
- Verify against the raw body bytes, e.g. ``standardwebhooks.webhooks.Webhook(secret).verify(body, headers)``
  (Python) or ``new Webhook(secret).verify(body, headers)`` (JavaScript, ``standardwebhooks`` on npm).

**Answer**: any 2xx means delivered (the answer's first bytes are shown by ``/forward test``). 3xx is not followed
(a failure: use the final URL). 401/403: the signature was refused. Other 4xx are not helped by retrying, except
408 and 429; 5xx and network errors are retried. The answer is read up to :data:`MAX_ANSWER` bytes.

Connections keep to the address policy (:class:`bot.core.guarded_http.PolicyConnector`: private addresses refused
unless allowed, checked on the addresses actually connected to), never through a proxy from the environment, no
cookies, at most :data:`CONNECTIONS_PER_HOST` at once to one host.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
from types import SimpleNamespace

import aiohttp
from aiohttp import hdrs
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from bot.core.guarded_http import AddressRefused, PolicyConnector
from bot.core.i18n import N_
from bot.core.time import Clock, utcnow
from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Sender, Written
from cogs.forwarding.votifier import BAD_SETTINGS, NETWORK_ERROR, NO_ANSWER, NO_SUCH_HOST, PRIVATE, shown_text

__all__ = ["WebhookSender", "new_webhook_secret"]

USER_AGENT = "votebot"
EXCHANGE_SECONDS = 12.0  # connect, send and read the answer (under the forwarding service's 15 s per attempt)
MAX_ANSWER = 4096
CONNECTIONS_PER_HOST = 2
KEEPALIVE_SECONDS = 4.0  # a burst reuses its connection; an idle one is not reused after the receiver may have
# closed it (Node.js closes idle connections after 5 s: reusing a closed one fails the attempt)
SECRET_BYTES = 24

SIGNATURE_REFUSED = N_("the receiver refused the signature — is the secret right? (HTTP {status})")
HTTP_ERROR = N_("the receiver answered HTTP {status}")
REDIRECT = N_("the receiver answered with a redirect (HTTP {status}) to {location}; use that URL, redirects are not "
              "followed")  # fmt: skip


def new_webhook_secret() -> str:
    """A new ``whsec_`` secret: 24 random bytes, base64 (the standardwebhooks library has no generator)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _detail(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    return type(exc).__name__


class WebhookSender(Sender):
    """Sends each vote as a signed POST. One aiohttp session, made on first use; :meth:`close` it at the end."""

    def __init__(
        self,
        allow_private: bool,
        *,
        clock: Clock = utcnow,
        timeout: float = EXCHANGE_SECONDS,
        connections_per_host: int = CONNECTIONS_PER_HOST,
    ) -> None:
        self.allow_private = allow_private
        self._clock = clock
        self._timeout = timeout
        self._per_host = connections_per_host
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            trace = aiohttp.TraceConfig()
            trace.on_connection_create_end.append(_connected)
            trace.on_connection_reuseconn.append(_connected)
            self._session = aiohttp.ClientSession(
                connector=PolicyConnector(
                    allow_private=self.allow_private,
                    limit=100,
                    limit_per_host=self._per_host,
                    keepalive_timeout=KEEPALIVE_SECONDS,
                ),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                trace_configs=[trace],
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # the answer is read as sent, and capped
                trust_env=False,  # never through the operator's HTTP(S)_PROXY
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        if destination.url is None:
            raise ValueError(f"webhook destination {destination.id} has no URL")
        try:
            signer = Webhook(destination.secret)
        except (binascii.Error, ValueError, EmptyWebhookSecretError, RuntimeError):
            raise DeliveryFailed(BAD_SETTINGS, retry=False) from None
        payload = json.dumps(vote.body(), separators=(",", ":"))
        message_id = vote.message_id(destination.id)
        now = self._clock()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": signer.sign(message_id, now, payload),
        }
        try:
            async with self._open().post(
                destination.url,
                data=payload.encode(),
                headers=headers,
                allow_redirects=False,
                trace_request_ctx=_Once(written),
            ) as response:
                status = response.status
                location = response.headers.get(hdrs.LOCATION, "")
                body = await _read_capped(response)
        except AddressRefused as exc:
            raise DeliveryFailed(PRIVATE, {"host": exc.host, "ip": exc.ip}, retry=False) from None
        except TimeoutError:
            raise DeliveryFailed(NO_ANSWER, {"seconds": round(self._timeout)}) from None
        except aiohttp.ClientConnectorDNSError as exc:
            raise DeliveryFailed(NO_SUCH_HOST, {"host": repr(exc.host)}) from None
        except aiohttp.InvalidURL as exc:
            raise DeliveryFailed(NETWORK_ERROR, {"detail": type(exc).__name__}, retry=False) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryFailed(NETWORK_ERROR, {"detail": _detail(exc)}) from None
        return _answer(status, location, body)


def _answer(status: int, location: str, body: bytes) -> str:
    if 200 <= status < 300:
        text = shown_text(body, 100)
        return f"HTTP {status}: {text}" if text else f"HTTP {status}"
    if 300 <= status < 400:
        raise DeliveryFailed(REDIRECT, {"status": status, "location": shown_text(location) or "?"}, retry=False)
    if status in (401, 403):
        raise DeliveryFailed(SIGNATURE_REFUSED, {"status": status}, retry=False)
    raise DeliveryFailed(HTTP_ERROR, {"status": status}, retry=status >= 500 or status in (408, 429))


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """At most MAX_ANSWER bytes of the answer (the rest is never read: the connection is closed, not reused)."""
    body = b""
    while len(body) < MAX_ANSWER and (chunk := await response.content.read(MAX_ANSWER - len(body))):
        body += chunk
    return body


class _Once:
    """``written`` for one request: awaited once, when its connection is ready (new or reused), before it is sent."""

    def __init__(self, written: Written) -> None:
        self._written: Written | None = written

    async def __call__(self) -> None:
        written, self._written = self._written, None
        if written is not None:
            await written()


async def _connected(session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
    once = context.trace_request_ctx
    if isinstance(once, _Once):
        await once()
