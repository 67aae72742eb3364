from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator

import aiohttp
import asyncpg
import pytest

from bot.app.config import Config, load_config
from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.pool import PoolDefaults, create_pool
from bot.web.app import WebhookManager
from tests.clock import MovableClock
from tests.pg import TestCluster, start_cluster

if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver keeps lock files there and wants it private (0700)
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="votebot-run-")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TestCluster]:
    cluster, server = start_cluster()
    try:
        yield cluster
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


@pytest.fixture
async def database_url(pg_cluster: TestCluster) -> AsyncIterator[str]:
    """A fresh, fully migrated database for this test."""
    url = await pg_cluster.create_database()
    try:
        yield url
    finally:
        await pg_cluster.drop_database(url)


@pytest.fixture
async def empty_database_url(pg_cluster: TestCluster) -> AsyncIterator[str]:
    """A fresh database with no migrations applied."""
    url = await pg_cluster.create_database(migrated=False)
    try:
        yield url
    finally:
        await pg_cluster.drop_database(url)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool like the bot's own (jsonb codec included) on this test's database."""
    created = await create_pool(database_url, PoolDefaults(max_pool_size=5))
    try:
        yield created
    finally:
        await created.close()


def bot_environ(database_url: str, data_dir: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": "test-token",
        "DATABASE_URL": database_url,
        "VOTEBOT_DATA_DIR": data_dir,
        "VOTEBOT_WEBHOOKS__HOST": "127.0.0.1",
        "VOTEBOT_WEBHOOKS__PORT": "0",
        "VOTEBOT_VOTIFIER__HOST": "127.0.0.1",
        "VOTEBOT_VOTIFIER__PORT": "0",
    }


@pytest.fixture
def config(tmp_path, database_url: str) -> Config:
    """Settings for a bot under test: its own database, ports picked by the OS, no bot.toml from the checkout."""
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=bot_environ(database_url, str(tmp_path / "data")))


@pytest.fixture
async def manager(pool: asyncpg.Pool, clock: MovableClock) -> AsyncIterator[WebhookManager]:
    running = WebhookManager(pool, host="127.0.0.1", port=0, clock=clock)
    await running.run()
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def http(manager: WebhookManager) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as session:
        yield session


@pytest.fixture
def servers(pool: asyncpg.Pool) -> ServerService:
    """The servers service with the bot's own feature declarations."""
    return ServerService(pool, features())


@pytest.fixture
def clock() -> MovableClock:
    """The time every service of the bot under test reads (set it to pin a test to an instant)."""
    return MovableClock()
