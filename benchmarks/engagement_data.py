"""Shared set-up for the engagement benchmarks: a throw-away embedded PostgreSQL with the real migrations."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[asyncpg.Pool]:
    from tests.pg import start_cluster

    cluster, server = await asyncio.to_thread(start_cluster)
    url = await cluster.create_database()
    from bot.db.pool import PoolDefaults, create_pool

    pool = await create_pool(url, PoolDefaults(min_pool_size=1, max_pool_size=4, command_timeout=3600))
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.close()
        await cluster.drop_database(url)
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


async def make_servers(pool: asyncpg.Pool, count: int, feature: str) -> None:
    await pool.execute(
        """
        INSERT INTO servers (guild_id, name, vote_url, api_key_hash, timezone)
        SELECT 1000 + g, 'Server ' || g, 'https://example.com/' || g, encode(sha256(g::text::bytea), 'hex'),
               (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + g % 4]
        FROM generate_series(1, $1) g
        """,
        count,
    )
    await pool.execute(
        "INSERT INTO server_features (server_id, feature, enabled, channel_id) SELECT id, $1, true, 1 FROM servers",
        feature,
    )
