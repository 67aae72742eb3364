"""Assembling the running processes: database, migrations, bot, web server, Votifier; clean shutdown on signals."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import discord

from bot.app.client import VoteBot, point_at_api
from bot.app.config import Config, VotifierConfig
from bot.app.extensions import features
from bot.core.errors import UserError
from bot.core.guild_checks import NOT_IN_GUILD_CODES, invite_url, needed_permissions
from bot.core.text import mask
from bot.core.time import Clock, utcnow
from bot.db.migrations import migrate_pool
from bot.db.pool import Database
from bot.votes.topgg_backfill import TopggBackfill
from bot.votes.votifier.service import VotifierService
from bot.web.app import WebhookManager
from bot.web.guard import WebLimits, parse_networks
from bot.web.intake import IntakeSettings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_database(config: Config, *, migrate: bool = True) -> AsyncIterator[asyncpg.Pool]:
    """The pool (embedded PostgreSQL unless a URL is configured), migrated first unless told otherwise."""
    database = Database(config.database, config.data_dir)
    pool = await database.connect()
    log.info("connected to PostgreSQL at %s", mask(database.url))
    try:
        if migrate:
            applied = await migrate_pool(pool)
            if applied:
                log.info("applied %d migration(s)", len(applied))
        yield pool
    finally:
        await database.close()


async def _until_signalled(*tasks: asyncio.Task[object]) -> None:
    """Wait for SIGINT/SIGTERM or for any task to finish (re-raising its error)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter:
                task.result()
        log.info("shutting down")
    finally:
        waiter.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def webhook_manager(config: Config, pool: asyncpg.Pool, clock: Clock = utcnow) -> WebhookManager:
    settings = IntakeSettings(
        public_url=config.webhooks.public_url,
        topgg_replay_window=config.webhooks.topgg_replay_window,
        gamemonitoring_api_base=config.gamemonitoring.api_base_url,
    )
    hooks = config.webhooks
    same_names = {f.name: getattr(hooks, f.name) for f in dataclasses.fields(WebLimits) if f.name != "trusted_proxies"}
    limits = WebLimits(**same_names, trusted_proxies=parse_networks(hooks.trusted_proxies))
    return WebhookManager(pool, host=hooks.host, port=hooks.port, settings=settings, clock=clock, limits=limits)


def votifier_limits(settings: VotifierConfig) -> dict[str, Any]:
    """The ``votifier.*`` limits as :class:`~bot.votes.votifier.listener.VotifierListener` options."""
    return {
        "first_byte_timeout": settings.first_byte_timeout,
        "read_timeout": settings.read_timeout,
        "max_connections": settings.max_connections,
        "max_connections_per_source": settings.max_connections_per_source,
        "v1_failed_decrypts_per_minute": settings.v1_failed_decrypts_per_minute,
        "v1_workers": settings.v1_workers,
        "log_interval": settings.log_interval,
    }


@contextlib.asynccontextmanager
async def votifier_running(
    config: Config, pool: asyncpg.Pool, clock: Clock = utcnow
) -> AsyncIterator[VotifierService | None]:
    """Run the Votifier listener for the duration of the block when ``votifier.enabled``."""
    if not config.votifier.enabled:
        yield None
        return
    service = VotifierService(
        pool, config.votifier.host, config.votifier.port, clock=clock, **votifier_limits(config.votifier)
    )
    await service.start()
    try:
        yield service
    finally:
        await service.close()


async def backfill_topgg(config: Config, pool: asyncpg.Pool) -> None:
    """Background task: record Top.gg votes missed while the bot was down (needs ``topgg.api_token``)."""
    try:
        await TopggBackfill(pool, config.topgg.api_token, config.topgg.api_base_url).run()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        log.warning("Top.gg backfill failed: %s; it will run again on the next start", type(exc).__name__)


def start_backfill(config: Config, pool: asyncpg.Pool) -> asyncio.Task[None] | None:
    if not config.topgg.api_token:
        return None
    return asyncio.create_task(backfill_topgg(config, pool), name="topgg-backfill")


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_bot(config: Config, *, shard_ids: Sequence[int] | None = None, shard_count: int | None = None) -> None:
    token = config.require_token()
    point_at_api(config.discord.api_base_url)
    async with open_database(config) as pool:
        webhooks = webhook_manager(config, pool) if config.webhooks.enabled else None
        bot = VoteBot(config=config, pool=pool, webhooks=webhooks, shard_ids=shard_ids, shard_count=shard_count)
        async with bot, votifier_running(config, pool):
            runner = asyncio.create_task(bot.start(token), name="discord")
            backfill = start_backfill(config, pool)
            try:
                await _until_signalled(runner)
            finally:
                await _stop(backfill)
                await bot.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await runner


async def run_webhooks_only(config: Config) -> None:
    """An ingest-only process (for scale-out behind a load balancer): no Discord connection."""
    async with open_database(config) as pool:
        manager = webhook_manager(config, pool)
        await manager.run()
        try:
            async with votifier_running(config, pool):
                await _until_signalled()
        finally:
            await manager.close()


async def sync_commands(config: Config, guild_id: int | None) -> int:
    """Publish slash commands over REST only (no gateway connection)."""
    token = config.require_token()
    point_at_api(config.discord.api_base_url)
    async with open_database(config, migrate=False) as pool:
        bot = VoteBot(config=config, pool=pool, services=False)
        async with bot:
            await bot.login(token)
            if guild_id is None:
                synced = await bot.tree.sync()
            else:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                try:
                    synced = await bot.tree.sync(guild=guild)
                except (discord.Forbidden, discord.NotFound) as exc:
                    if exc.code not in NOT_IN_GUILD_CODES:
                        raise
                    url = invite_url(bot.application_id or 0, needed_permissions(features()))  # set by login()
                    raise UserError(
                        f"the bot is not in guild {guild_id}. Invite it first with {url} and run this command again."
                    ) from None
        return len(synced)
