"""SQL behind the Top-Server-compatible PULL API: pending votes per player and claiming them."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.db.records import Server

PENDING_WINDOW = dt.timedelta(days=30)  # older unclaimed votes are not rewarded any more

_SERVER_COLUMNS = (
    "id, guild_id, name, vote_url, game, address, category, timezone, enabled, is_default, vote_cooldown, created_at"
)


class ClaimRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def server_for_key_hash(self, key_hash: str) -> Server | None:
        record = await self._pool.fetchrow(f"SELECT {_SERVER_COLUMNS} FROM servers WHERE api_key_hash = $1", key_hash)
        return Server.from_record(record) if record else None

    async def pending(self, server_id: int, player: str) -> list[asyncpg.Record]:
        return await self._pool.fetch(
            """
            SELECT external_id, voted_at FROM votes
            WHERE server_id = $1 AND lower(player_name) = lower($2) AND claimed_at IS NULL
              AND voted_at > now() - $3::interval
            ORDER BY voted_at
            """,
            server_id,
            player,
            PENDING_WINDOW,
        )

    async def claim(self, server_id: int, player: str) -> int:
        """Mark the player's pending votes claimed; concurrent claims each get disjoint votes."""
        rows = await self._pool.fetch(
            """
            UPDATE votes SET claimed_at = now()
            WHERE server_id = $1 AND lower(player_name) = lower($2) AND claimed_at IS NULL
              AND voted_at > now() - $3::interval
            RETURNING id
            """,
            server_id,
            player,
            PENDING_WINDOW,
        )
        return len(rows)

    async def monthly_votes(self, server_id: int, timezone: str) -> int:
        value = await self._pool.fetchval(
            """
            SELECT coalesce(sum(weight), 0) FROM votes
            WHERE server_id = $1 AND voted_at >= date_trunc('month', now() AT TIME ZONE $2) AT TIME ZONE $2
            """,
            server_id,
            timezone,
        )
        return int(value)

    async def monthly_rank(self, server: Server) -> tuple[int, int]:
        """(rank, servers ranked) by this month's votes among servers of the same category (or all)."""
        record = await self._pool.fetchrow(
            """
            WITH totals AS (
                SELECT s.id, coalesce(sum(v.weight), 0) AS votes
                FROM servers s
                LEFT JOIN votes v ON v.server_id = s.id AND v.voted_at >= date_trunc('month', now())
                WHERE s.category IS NOT DISTINCT FROM $2
                GROUP BY s.id
            )
            SELECT (SELECT count(*) FROM totals t WHERE t.votes > me.votes) + 1 AS rank,
                   (SELECT count(*) FROM totals) AS total
            FROM totals me WHERE me.id = $1
            """,
            server.id,
            server.category,
        )
        if record is None:
            return 1, 1
        return int(record["rank"]), int(record["total"])
