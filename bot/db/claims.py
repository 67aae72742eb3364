"""SQL behind the Top-Server-compatible PULL API: pending votes per player and claiming them."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.db.records import Server
from bot.db.servers import server_columns

PENDING_WINDOW = dt.timedelta(days=30)  # older unclaimed votes are not rewarded any more


class ClaimRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def server_for_key_hash(self, key_hash: str) -> Server | None:
        record = await self._pool.fetchrow(f"SELECT {server_columns()} FROM servers WHERE api_key_hash = $1", key_hash)
        return Server.from_record(record) if record else None

    async def pending(self, server_id: int, player: str, now: dt.datetime) -> list[asyncpg.Record]:
        return await self._pool.fetch(
            """
            SELECT external_id, voted_at FROM votes
            WHERE server_id = $1 AND lower(player_name) = lower($2) AND claimed_at IS NULL
              AND voted_at > $3::timestamptz - $4::interval
            ORDER BY voted_at
            """,
            server_id,
            player,
            now,
            PENDING_WINDOW,
        )

    async def claim(self, server_id: int, player: str, now: dt.datetime) -> int:
        """Mark the player's pending votes claimed; concurrent claims each get disjoint votes."""
        rows = await self._pool.fetch(
            """
            UPDATE votes SET claimed_at = $3
            WHERE server_id = $1 AND lower(player_name) = lower($2) AND claimed_at IS NULL
              AND voted_at > $3::timestamptz - $4::interval
            RETURNING id
            """,
            server_id,
            player,
            now,
            PENDING_WINDOW,
        )
        return len(rows)
