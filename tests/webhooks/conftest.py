from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

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
