"""``GET /healthz`` (database, delivery backlog, dead letters) and ``GET /metrics`` (Prometheus text).

Both are public unless ``webhooks.metrics_token`` is set (then ``/metrics`` wants ``Authorization: Bearer …``).
Their database reads run inside the public-read bound, so polling them can never starve vote intake.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from bot.votes.repository import OutboxStats, outbox_stats
from bot.web.guard import PUBLIC_READS_KEY
from bot.web.intake import DATABASE_ERRORS, INTAKE_KEY

log = logging.getLogger(__name__)

POOL_KEY = web.AppKey("pool", asyncpg.Pool)
UNAVAILABLE: tuple[type[BaseException], ...] = (web.HTTPServiceUnavailable, *DATABASE_ERRORS)


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/healthz`` reports (the owners' instance page shows the same): the database and the vote outbox."""

    database_ok: bool
    database_ms: float = 0.0
    stats: OutboxStats | None = None  # None: the database is unreachable


async def outbox_health(pool: asyncpg.Pool) -> Health:
    """The database's answer time and the outbox's backlog, dead letters and dispatcher lag; never raises for an
    unreachable database."""
    started = time.perf_counter()
    try:
        async with pool.acquire(timeout=2) as connection:
            stats = await outbox_stats(connection)
    except DATABASE_ERRORS as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return Health(False)
    return Health(True, round((time.perf_counter() - started) * 1000, 2), stats)


async def _stats(request: web.Request) -> OutboxStats:
    async with request.app[PUBLIC_READS_KEY].slot(), request.app[POOL_KEY].acquire(timeout=2) as connection:
        return await outbox_stats(connection)


def _metrics_allowed(request: web.Request) -> bool:
    token = request.app[INTAKE_KEY].limits.metrics_token
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    given_bytes = given.strip().encode("utf-8", "surrogateescape")
    return scheme.lower() == "bearer" and hmac.compare_digest(given_bytes, token.encode())


async def healthz(request: web.Request) -> web.Response:
    async with request.app[PUBLIC_READS_KEY].slot():
        health = await outbox_health(request.app[POOL_KEY])
    stats = health.stats
    if stats is None:
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    return web.json_response(
        {
            "ok": True,
            "database": "ok",
            "database_ms": health.database_ms,
            "outbox_backlog": stats.backlog,
            "outbox_retrying": stats.retrying,
            "dead_letters": stats.dead_letters,
            "dispatcher_lag_seconds": round(stats.lag_seconds, 3),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    if not _metrics_allowed(request):
        return web.json_response(
            {"ok": False, "error": "metrics need the bearer token (webhooks.metrics_token)"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="votebot metrics"'},
        )
    stats: OutboxStats | None = None
    try:
        stats = await _stats(request)
    except UNAVAILABLE as exc:  # counters are still worth serving
        log.warning("metrics: outbox gauges unavailable: %s", type(exc).__name__)
    text = request.app[INTAKE_KEY].metrics.render(stats)
    return web.Response(body=text.encode(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
