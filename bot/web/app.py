"""The WebhookManager: an aiohttp application on its own port that receives votes and serves the bot's APIs.

Modelled on topggpy's manager: build it, add routes through :attr:`webserver` if you like, then
``await manager.run(port)``; ``await manager.close()`` stops it.

Routes: ``POST /webhooks/{topserver,topgg,gamemonitoring}/{server_id}``, ``POST /integrations/topgg``,
the PULL API, badges, ``GET /healthz`` (database and dispatcher lag) and ``GET /metrics`` (Prometheus).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import asyncpg
from aiohttp import web

from bot.app.config import Config
from bot.db.claims import ClaimRepository
from bot.db.intake import IntakeRepository
from bot.db.servers import ServerRepository
from bot.web.intake import DATABASE_ERRORS, INTAKE_KEY, Intake, IntakeSettings
from bot.web.routes import events as events_route
from bot.web.routes import gamemonitoring as gamemonitoring_route
from bot.web.routes import integrations as topgg_integration
from bot.web.routes import pull_api, widget
from bot.web.routes import topgg as topgg_route
from bot.web.routes import topserver as topserver_route

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
POOL_KEY = web.AppKey("pool", asyncpg.Pool)


async def healthz(request: web.Request) -> web.Response:
    started = time.perf_counter()
    try:
        async with request.app[POOL_KEY].acquire(timeout=2) as connection:
            stats = await IntakeRepository(connection).outbox_stats()
    except DATABASE_ERRORS as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return web.json_response(
        {
            "ok": True,
            "database": "ok",
            "database_ms": elapsed_ms,
            "outbox_backlog": stats.backlog,
            "dispatcher_lag_seconds": round(stats.lag_seconds, 3),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    backlog: int | None = None
    lag: float | None = None
    try:
        async with request.app[POOL_KEY].acquire(timeout=2) as connection:
            stats = await IntakeRepository(connection).outbox_stats()
        backlog, lag = stats.backlog, stats.lag_seconds
    except DATABASE_ERRORS as exc:  # counters are still worth serving
        log.warning("metrics: outbox gauges unavailable: %s", type(exc).__name__)
    text = request.app[INTAKE_KEY].metrics.render(outbox_backlog=backlog, dispatch_lag=lag)
    return web.Response(body=text.encode(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


class WebhookManager:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        host: str = "0.0.0.0",  # noqa: S104
        port: int = 8080,
        settings: IntakeSettings | None = None,
        group_commit: bool = True,
    ) -> None:
        self._host = host
        self._port = port
        self._app = web.Application(client_max_size=MAX_BODY)
        self._app[POOL_KEY] = pool
        self._app[pull_api.CLAIMS_KEY] = ClaimRepository(pool)
        self._app[widget.SERVERS_KEY] = ServerRepository(pool)
        self.intake = Intake(pool, settings or IntakeSettings(), group_commit=group_commit)
        self._app[INTAKE_KEY] = self.intake
        self._app.router.add_get("/healthz", healthz)
        self._app.router.add_get("/metrics", metrics)
        pull_api.add_routes(self._app)
        widget.add_routes(self._app)
        topserver_route.add_routes(self._app)
        topgg_route.add_routes(self._app)
        topgg_integration.add_routes(self._app)
        gamemonitoring_route.add_routes(self._app)
        self.events = events_route.add_routes(self._app, pool)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @classmethod
    def from_config(cls, config: Config, pool: asyncpg.Pool) -> WebhookManager:
        settings = IntakeSettings(
            public_url=config.webhooks.public_url,
            topgg_replay_window=config.webhooks.topgg_replay_window,
            gamemonitoring_api_base=config.gamemonitoring.api_base_url,
        )
        return cls(pool, host=config.webhooks.host, port=config.webhooks.port, settings=settings)

    def attach_bot(self, bot: Any) -> None:
        """Pushed events wake the bot at once when it runs in this process (else its sweep finds them)."""
        self.events.dispatch = bot.dispatch

    @property
    def webserver(self) -> web.Application:
        """The aiohttp application, for adding custom routes before :meth:`run`."""
        return self._app

    @property
    def is_running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._site is None or self._runner is None:
            return self._port
        for address in self._runner.addresses:
            return int(address[1])
        return self._port

    async def run(self, port: int | None = None) -> None:
        if self._runner is not None:
            raise RuntimeError("the webhook manager is already running")
        if port is not None:
            self._port = port
        await self.intake.start()
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self.intake.close()
            raise
        self._runner, self._site = runner, site
        log.info("webhook server listening on %s:%s", self._host, self.port)

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner, self._site = self._runner, None, None
            await runner.cleanup()
            await self.intake.close()
