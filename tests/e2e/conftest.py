from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import discord
import pytest

from bot.app.config import Config
from tests.clock import MovableClock
from tests.e2e.harness import BotRunner, guild_spec
from tests.fakediscord import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(token="test-token")
    await server.start()
    server.add_guild(guild_spec(server.bot_user_id))
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def runner(
    fake: FakeDiscord, config: Config, pool: asyncpg.Pool, clock: MovableClock
) -> AsyncIterator[BotRunner]:
    running = BotRunner(fake, config, pool, clock)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        discord.http.Route.BASE = "https://discord.com/api/v10"
