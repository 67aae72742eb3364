"""What every provider route shares: body cap, server and credential lookup, error mapping, recording.

A route module supplies one ``process(intake, delivery)`` coroutine that verifies and parses (raising
:class:`~bot.web.providers.ProviderError`) and returns a :class:`Vote` or :class:`NotAVote`;
:func:`handle_delivery` does the rest. Nothing Discord-related happens inside a request: the answer
is sent once the vote is committed (200), or 503 when the database failed so the provider retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import aiohttp
import asyncpg
from aiohttp import web

from bot.core.ratelimit import SourceBudget
from bot.core.time import Clock, utcnow
from bot.db.credentials import (
    CredentialRepository,
    ProviderCredential,
    add_change_listener,
    remove_change_listener,
)
from bot.votes.group_commit import GroupCommitter
from bot.votes.ledger import RecordResult, VoteLedger
from bot.votes.model import Vote
from bot.web.guard import WebLimits, client_address
from bot.web.metrics import IntakeMetrics
from bot.web.providers import MAX_BODY, NotAVote, PayloadTooLarge, ProviderError

log = logging.getLogger(__name__)

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. a pooled connection whose backend was just terminated
    OSError,
    TimeoutError,
)
"""Transient failures that must answer 503 (the provider retries), never 2xx."""


class NotConfigured(ProviderError):
    """The server exists but has no credential for this provider → the uniform 401 (the reason is only logged)."""

    def __init__(self, reason: str) -> None:
        super().__init__(401, reason)


class ClientGone(Exception):
    """The sender disconnected or stalled before its body arrived: nothing to record, nothing to blame."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


UNAUTHORIZED = "invalid or missing signature"
"""The one answer to every authentication failure: which check failed is logged, never told to the sender."""


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    public_url: str = ""
    topgg_replay_window: int = 300
    gamemonitoring_api_base: str = "https://api.gamemonitoring.net"
    credential_ttl: float = 10.0


@dataclass(frozen=True, slots=True)
class Credentials:
    server_exists: bool
    credential: ProviderCredential | None
    connection_secrets: tuple[str, ...] = field(default=(), repr=False)  # Top.gg integration connections


@dataclass(frozen=True, slots=True)
class Delivery:
    provider: str
    server_id: int
    raw_body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    credentials: Credentials
    received_at: dt.datetime


class Intake:
    """Per-manager state shared by the routes: repositories, the committer, metrics, a credential cache."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: IntakeSettings,
        *,
        group_commit: bool = True,
        clock: Clock = utcnow,
        limits: WebLimits | None = None,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.clock = clock
        self.limits = limits or WebLimits()
        self.failed_auth = SourceBudget(self.limits.failed_auth_per_minute, clock)
        self.credentials = CredentialRepository(pool)
        self.ledger = VoteLedger(pool)
        self.committer = GroupCommitter(pool, self.ledger) if group_commit else None
        self.metrics = IntakeMetrics()
        self._cache: dict[tuple[int, str], tuple[float, Credentials]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        add_change_listener(self._invalidate)
        if self.committer is not None:
            self.committer.start()

    async def close(self) -> None:
        remove_change_listener(self._invalidate)
        if self.committer is not None:
            await self.committer.close()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        """One client session for outgoing API calls (GAMEMONITORING), created on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "votebot"})
        return self._session

    def _invalidate(self, server_id: int, provider: str) -> None:
        if server_id == 0:
            self._cache.clear()
        else:
            self._cache.pop((server_id, provider), None)

    async def lookup(self, server_id: int, provider: str) -> Credentials:
        now = time.monotonic()
        cached = self._cache.get((server_id, provider))
        if cached is not None and cached[0] > now:
            return cached[1]
        exists, credential = await self.credentials.lookup(server_id, provider)
        secrets: tuple[str, ...] = ()
        if exists and provider == "topgg":
            secrets = tuple(c.webhook_secret for c in await self.credentials.topgg_connections(server_id))
        found = Credentials(exists, credential, secrets)
        if len(self._cache) > 10_000:
            self._cache.clear()
        # Misses are kept only briefly so a server or secret added by the CLI in another process works at once.
        ttl = (
            self.settings.credential_ttl
            if credential is not None or secrets
            else min(1.0, self.settings.credential_ttl)
        )
        self._cache[(server_id, provider)] = (now + ttl, found)
        return found

    async def record(self, vote: Vote) -> RecordResult:
        if self.committer is not None:
            return await self.committer.record(vote)
        return await self.ledger.record(vote)


INTAKE_KEY = web.AppKey("intake", Intake)
Process = Callable[[Intake, Delivery], Awaitable[Vote | NotAVote]]


def json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


# The two success answers, serialised once (same text as ``json_response`` would produce for them).
_RECORDED_BODY = b'{"ok": true, "duplicate": false}'
_DUPLICATE_BODY = b'{"ok": true, "duplicate": true}'


async def read_body(request: web.Request, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
    """The raw body, refusing anything over 64 KiB with :class:`PayloadTooLarge` (413).

    A body that does not arrive within ``timeout`` seconds (default: the manager's ``body_timeout``) or whose
    sender disconnects raises :class:`ClientGone`.
    """
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(request.content_length)
    if timeout is None:
        timeout = request.app[INTAKE_KEY].limits.body_timeout
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(MAX_BODY + 1) from None
    except TimeoutError:
        raise ClientGone(f"body not received within {timeout:g} s") from None
    except (ConnectionError, aiohttp.ClientPayloadError) as exc:
        raise ClientGone(f"client disconnected ({type(exc).__name__})") from None


def client_gone(request: web.Request, provider: str, exc: ClientGone) -> web.Response:
    """Log and count a sender that went away; the answer (408) reaches it only if it is still listening."""
    log.info("%s request from %s dropped: %s", provider, request.remote, exc.reason)
    request.app[INTAKE_KEY].metrics.rejected[(provider, "client_gone")] += 1
    return json_error(408, "request body not received")


def throttled(request: web.Request) -> web.Response | None:
    """A 429 when this source failed authentication too often lately (checked before any secret is tried)."""
    intake = request.app[INTAKE_KEY]
    source = client_address(request, intake.limits.trusted_proxies)
    if intake.failed_auth.allows(source):
        return None
    retry = max(1, round(intake.failed_auth.retry_after(source)))
    return web.json_response(
        {"ok": False, "error": "too many failed attempts, retry later"}, status=429, headers={"Retry-After": str(retry)}
    )


def unauthorized(request: web.Request, what: str, reason: str) -> web.Response:
    """Log why (truncated), charge the source's failure budget, answer the uniform 401."""
    intake = request.app[INTAKE_KEY]
    source = client_address(request, intake.limits.trusted_proxies)
    intake.failed_auth.charge(source)
    log.warning("%s from %s refused (401): %s", what, source, reason[:200])
    return json_error(401, UNAUTHORIZED)


def parse_server_id(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


_REASONS = {401: "signature", 400: "bad_payload", 413: "too_large", 403: "wrong_server", 404: "not_configured"}


def _reason_label(status: int) -> str:
    return _REASONS.get(status, "upstream" if status >= 500 else "other")


async def handle_delivery(request: web.Request, provider: str, process: Process) -> web.Response:
    intake = request.app[INTAKE_KEY]
    metrics = intake.metrics
    started = time.perf_counter()
    metrics.received[provider] += 1
    server_id = parse_server_id(request.match_info.get("server_id", ""))
    try:
        refusal = throttled(request)
        if refusal is not None:
            metrics.rejected[(provider, "throttled")] += 1
            return refusal
        if server_id is None:
            metrics.rejected[(provider, "unknown_server")] += 1
            return json_error(404, "unknown server")
        try:
            raw_body = await read_body(request)
            credentials = await intake.lookup(server_id, provider)
            if not credentials.server_exists:
                log.warning("%s delivery for unknown server %s refused (404)", provider, server_id)
                metrics.rejected[(provider, "unknown_server")] += 1
                return json_error(404, "unknown server")
            delivery = Delivery(provider, server_id, raw_body, request.headers, credentials, intake.clock())
            outcome = await process(intake, delivery)
            if isinstance(outcome, NotAVote):
                log.info(
                    "%s %s delivery for server %s acknowledged: %s", provider, outcome.kind, server_id, outcome.detail
                )
                return web.Response(status=outcome.status)
            result = await intake.record(outcome)
        except ClientGone as exc:
            return client_gone(request, provider, exc)
        except ProviderError as exc:
            if exc.status == 401:
                metrics.rejected[(provider, "signature")] += 1
                return unauthorized(request, f"{provider} delivery for server {server_id}", exc.reason)
            level = logging.INFO if exc.status == 413 else logging.WARNING
            log.log(level, "%s delivery for server %s rejected (%d): %s", provider, server_id, exc.status, exc.reason)
            metrics.rejected[(provider, _reason_label(exc.status))] += 1
            return json_error(exc.status, exc.reason)
        except DATABASE_ERRORS as exc:
            log.warning(
                "%s delivery for server %s: database unavailable (%s), answering 503 so it is retried",
                provider,
                server_id,
                type(exc).__name__,
            )
            metrics.rejected[(provider, "database")] += 1
            return json_error(503, "temporarily unavailable, retry later")
        if result.duplicate:
            metrics.duplicate[provider] += 1
            body = _DUPLICATE_BODY
        else:
            metrics.recorded[provider] += 1
            body = _RECORDED_BODY
        return web.Response(body=body, content_type="application/json")
    finally:
        metrics.observe(time.perf_counter() - started)
