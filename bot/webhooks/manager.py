"""The WebhookManager: an aiohttp application on its own port that receives votes and serves the bot's APIs.

Modelled on topggpy's manager: build it, add routes through :attr:`webserver` if you like, then
``await manager.run(port)``; ``await manager.close()`` stops it.
"""

from __future__ import annotations

import logging
import time

import asyncpg
from aiohttp import web

from bot.db.claims import ClaimRepository
from bot.db.servers import ServerRepository
from bot.webhooks import pull_api, widget

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
POOL_KEY = web.AppKey("pool", asyncpg.Pool)


async def healthz(request: web.Request) -> web.Response:
    started = time.perf_counter()
    try:
        async with request.app[POOL_KEY].acquire(timeout=2) as connection:
            await connection.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return web.json_response({"ok": True, "database": "ok", "database_ms": elapsed_ms})


class WebhookManager:
    def __init__(self, pool: asyncpg.Pool, *, host: str = "0.0.0.0", port: int = 8080) -> None:  # noqa: S104
        self._host = host
        self._port = port
        self._app = web.Application(client_max_size=MAX_BODY)
        self._app[POOL_KEY] = pool
        self._app[pull_api.CLAIMS_KEY] = ClaimRepository(pool)
        self._app[widget.SERVERS_KEY] = ServerRepository(pool)
        self._app.router.add_get("/healthz", healthz)
        pull_api.add_routes(self._app)
        widget.add_routes(self._app)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

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
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner, self._site = runner, site
        log.info("webhook server listening on %s:%s", self._host, self.port)

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner, self._site = self._runner, None, None
            await runner.cleanup()
