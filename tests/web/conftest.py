from __future__ import annotations

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository


async def add_server(pool: asyncpg.Pool, name: str = "Alpha", guild_id: int = 1) -> int:
    created = await ServerService(pool, features()).add(
        guild_id=guild_id, name=name, vote_url="https://example.com/vote"
    )
    return created.server.id


async def set_secret(pool: asyncpg.Pool, server_id: int, provider: str, secret: str, **settings: object) -> None:
    await CredentialRepository(pool).set_secret(server_id, provider, secret, dict(settings) or None)


async def vote_rows(pool: asyncpg.Pool, provider: str | None = None) -> list[asyncpg.Record]:
    if provider is None:
        return await pool.fetch("SELECT * FROM votes ORDER BY id")
    return await pool.fetch("SELECT * FROM votes WHERE provider = $1 ORDER BY id", provider)
