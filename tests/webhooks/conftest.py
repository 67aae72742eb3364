from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from bot.db.credentials import CredentialRepository
from bot.servers import ServerService
from bot.webhooks.manager import WebhookManager


@pytest.fixture
async def manager(pool: asyncpg.Pool) -> AsyncIterator[WebhookManager]:
    running = WebhookManager(pool, host="127.0.0.1", port=0)
    await running.run()
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def http(manager: WebhookManager) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as session:
        yield session


async def add_server(pool: asyncpg.Pool, name: str = "Alpha", guild_id: int = 1) -> int:
    created = await ServerService(pool).add(guild_id=guild_id, name=name, vote_url="https://example.com/vote")
    return created.server.id


async def set_secret(pool: asyncpg.Pool, server_id: int, provider: str, secret: str, **settings: object) -> None:
    await CredentialRepository(pool).set_secret(server_id, provider, secret, dict(settings) or None)


async def vote_rows(pool: asyncpg.Pool, provider: str | None = None) -> list[asyncpg.Record]:
    if provider is None:
        return await pool.fetch("SELECT * FROM votes ORDER BY id")
    return await pool.fetch("SELECT * FROM votes WHERE provider = $1 ORDER BY id", provider)
