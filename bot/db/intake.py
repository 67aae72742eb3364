"""SQL the vote intake needs beside the ledger itself: outbox health and the Top.gg backfill's bookmarks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.db.executor import Executor


@dataclass(frozen=True, slots=True)
class OutboxStats:
    backlog: int
    oldest: dt.datetime | None  # created_at of the oldest undelivered row
    lag_seconds: float  # age of that row (0 when the outbox is empty)


class IntakeRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def outbox_stats(self) -> OutboxStats:
        record = await self._db.fetchrow(
            """
            SELECT count(*) AS backlog, min(created_at) AS oldest,
                   coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag
            FROM vote_outbox
            """
        )
        assert record is not None  # noqa: S101 - an aggregate always returns one row
        return OutboxStats(record["backlog"], record["oldest"], max(0.0, record["lag"]))

    async def last_vote_at(self, server_id: int, provider: str) -> dt.datetime | None:
        return await self._db.fetchval(
            "SELECT max(voted_at) FROM votes WHERE server_id = $1 AND provider = $2", server_id, provider
        )

    async def has_vote_between(
        self, server_id: int, provider: str, discord_user_id: int, start: dt.datetime, end: dt.datetime
    ) -> bool:
        """Whether this user already has a vote of ``provider`` for the server with ``start <= voted_at < end``."""
        found = await self._db.fetchval(
            """
            SELECT 1 FROM votes
            WHERE server_id = $1 AND provider = $2 AND discord_user_id = $3 AND voted_at >= $4 AND voted_at < $5
            LIMIT 1
            """,
            server_id,
            provider,
            discord_user_id,
            start,
            end,
        )
        return found is not None
