from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.config import Config, load_config
from tests.conftest import bot_environ
from tests.e2e.dashboard.client import CLIENT_SECRET, DashboardClient, dashboard_environ, free_port
from tests.e2e.harness import BotRunner, guild_spec
from tests.fakediscord import FakeDiscord


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def fake(port: int) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(
        token="test-token",
        oauth_client_secret=CLIENT_SECRET,
        oauth_redirect_uris=[f"http://127.0.0.1:{port}/dashboard/callback"],
    )
    await server.start()
    server.add_guild(guild_spec(server.bot_user_id))
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def config(tmp_path, database_url: str, fake: FakeDiscord, port: int) -> Config:
    environ = bot_environ(database_url, str(tmp_path / "data"))
    environ |= dashboard_environ(port, fake.application_id)
    environ["VOTEBOT_DISCORD__OWNER_IDS"] = "1100000000000000999"
    environ["VOTEBOT_DISCORD__API_BASE_URL"] = fake.api_base_url
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=environ)


@pytest.fixture
async def browser_less(runner: BotRunner) -> AsyncIterator[DashboardClient]:
    """A person's HTTP client for the dashboard of the running bot."""
    client = DashboardClient(runner.web_url)
    try:
        yield client
    finally:
        await client.close()
