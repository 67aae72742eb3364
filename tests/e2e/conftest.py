from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import discord
import pytest

from bot.app.config import Config, load_config
from tests.clock import MovableClock
from tests.conftest import bot_environ
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
def config(request: pytest.FixtureRequest, tmp_path, database_url: str) -> Config:
    """The bot's test settings with private game-server addresses allowed: these tests' game servers are loopback
    responders. A test marked ``public_only`` gets the shipped default (public addresses only)."""
    environ = bot_environ(database_url, str(tmp_path / "data"))
    if request.node.get_closest_marker("public_only") is None:
        environ["VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES"] = "true"
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=environ)


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "public_only: run the bot with the default (public-only) game-server addresses")
