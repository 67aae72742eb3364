"""Assembling the running processes: database, migrations, bot, web server; clean shutdown on signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence

import asyncpg

from bot.client import VoteBot, point_at_api
from bot.config import Config
from bot.db.migrations import migrate_pool
from bot.db.pool import Database
from bot.webhooks.manager import WebhookManager

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_database(config: Config, *, migrate: bool = True) -> AsyncIterator[asyncpg.Pool]:
    """The pool (embedded PostgreSQL unless a URL is configured), migrated first unless told otherwise."""
    database = Database(config.database, config.data_dir)
    pool = await database.connect()
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


def build_webhooks(config: Config, pool: asyncpg.Pool) -> WebhookManager | None:
    if not config.webhooks.enabled:
        return None
    return WebhookManager.from_config(config, pool)


async def run_bot(config: Config, *, shard_ids: Sequence[int] | None = None, shard_count: int | None = None) -> None:
    token = config.require_token()
    point_at_api(config.discord.api_base_url)
    async with open_database(config) as pool:
        bot = VoteBot(
            config=config,
            pool=pool,
            webhooks=build_webhooks(config, pool),
            shard_ids=shard_ids,
            shard_count=shard_count,
        )
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="discord")
            try:
                await _until_signalled(runner)
            finally:
                await bot.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await runner


async def run_webhooks_only(config: Config) -> None:
    """An ingest-only process (for scale-out behind a load balancer): no Discord connection."""
    async with open_database(config) as pool:
        manager = WebhookManager.from_config(config, pool)
        await manager.run()
        try:
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
                import discord

                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
        return len(synced)
