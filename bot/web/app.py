"""The WebhookManager: an aiohttp application on its own port that receives votes and serves the bot's APIs.

Modelled on topggpy's manager: build it, add routes through :attr:`webserver` if you like, then
``await manager.run(port)``; ``await manager.close()`` stops it.

Routes: ``POST /webhooks/{topserver,topgg,gamemonitoring}/{server_id}``, ``POST /integrations/topgg``,
the PULL API, the management API, badges, ``GET /healthz`` (database and dispatcher lag) and ``GET /metrics``
(Prometheus).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg
from aiohttp import web

from bot.core.charts import ChartRenderer
from bot.core.link_proof import LinkProof
from bot.core.time import Clock, utcnow
from bot.db.claims import ClaimRepository
from bot.db.servers import ServerRepository
from bot.db.votes import VoteRepository
from bot.web.guard import PUBLIC_READS_KEY, ConnectionGuard, PublicReads, WebLimits
from bot.web.intake import INTAKE_KEY, Intake, IntakeSettings
from bot.web.routes import (
    events,
    gamemonitoring,
    health,
    integrations,
    management,
    pull_api,
    topgg,
    topserver,
    widget,
)

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def add_routes(app: web.Application) -> events.StoredEvents:
    """The one route table of the webhook server."""
    health.add_routes(app)  # GET /healthz, /metrics
    topserver.add_routes(app)  # POST /webhooks/topserver/{server_id}
    topgg.add_routes(app)  # POST /webhooks/topgg/{server_id}
    integrations.add_routes(app)  # POST /integrations/topgg
    gamemonitoring.add_routes(app)  # POST /webhooks/gamemonitoring/{server_id}
    stored = events.add_routes(app)  # POST /events/{server_id}
    pull_api.add_routes(app)  # GET /api/v1/vote/check, POST /api/v1/vote/claim, POST /api/v1/link/confirm
    widget.add_routes(app)  # GET /api/widget/{server_id}
    management.add_routes(app)  # /api/v1/servers/{server_id}[/features[/{feature}]|/status|/votes/summary]
    return stored


class WebhookManager:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        host: str = "0.0.0.0",  # noqa: S104
        port: int = 8080,
        settings: IntakeSettings | None = None,
        group_commit: bool = True,
        clock: Clock = utcnow,
        limits: WebLimits | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self.limits = limits or WebLimits()
        self.connections = ConnectionGuard(
            max_total=self.limits.max_connections, max_per_source=self.limits.max_connections_per_source
        )
        self._app = web.Application(client_max_size=MAX_BODY)
        self._app[health.POOL_KEY] = pool
        self._app[PUBLIC_READS_KEY] = PublicReads(self.limits.public_read_concurrency)
        self._app[pull_api.CLAIMS_KEY] = ClaimRepository(pool)
        self._app[pull_api.LINK_PROOF_KEY] = LinkProof(pool)
        self._app[widget.SERVERS_KEY] = ServerRepository(pool)
        self._app[widget.VOTES_KEY] = VoteRepository(pool)
        self._app[widget.BADGES_KEY] = widget.BadgeCache(clock)
        self.charts = ChartRenderer()  # shared with the bot in the same process (one worker process for both)
        self._app[widget.CHARTS_KEY] = self.charts
        self.intake = Intake(
            pool, settings or IntakeSettings(), group_commit=group_commit, clock=clock, limits=self.limits
        )
        self._app[INTAKE_KEY] = self.intake
        self._stored_events = add_routes(self._app)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def on_event_stored(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(server_id)`` when a pushed event was stored (the bot in this process delivers it)."""
        self._stored_events.listeners.append(listener)

    def forget_event_listener(self, listener: Callable[[int], None]) -> None:
        if listener in self._stored_events.listeners:
            self._stored_events.listeners.remove(listener)

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
        runner = web.AppRunner(
            self._app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=5,
            keepalive_timeout=self.limits.keepalive_timeout,  # also cuts idle and half-sent requests
        )
        await runner.setup()
        assert runner.server is not None  # noqa: S101 - set by setup()
        self.connections.install(runner.server)
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
        await self.charts.aclose()
