"""VoteLedger: records each vote exactly once, durably, together with its outbox row.

A webhook answers 2xx only after :meth:`VoteLedger.record` returned, i.e. after COMMIT. A redelivered
vote hits the unique key ``(server_id, provider, external_id)`` and is reported as a duplicate.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import asyncpg

from bot.votes.model import Vote

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "votebot_votes"


@dataclass(frozen=True, slots=True)
class RecordResult:
    vote_id: int | None  # ledger id when newly recorded
    duplicate: bool


class VoteLedger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, vote: Vote) -> RecordResult:
        """Insert the vote and its outbox row in one transaction; notify dispatchers on commit."""
        async with self._pool.acquire() as connection, connection.transaction():
            return await record_in(connection, vote)

    async def record_many(self, votes: list[Vote]) -> list[RecordResult]:
        """Several votes in one transaction (one COMMIT, one fsync): used to batch concurrent requests."""
        async with self._pool.acquire() as connection, connection.transaction():
            return [await record_in(connection, vote) for vote in votes]


async def record_in(connection: asyncpg.Connection, vote: Vote) -> RecordResult:
    vote_id = await connection.fetchval(
        """
        INSERT INTO votes (server_id, provider, external_id, player_name, discord_user_id, weight, voted_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (server_id, provider, external_id) DO NOTHING
        RETURNING id
        """,
        vote.server_id,
        vote.provider,
        vote.external_id,
        vote.player_name,
        vote.discord_user_id,
        vote.weight,
        vote.voted_at,
        vote.expires_at,
    )
    if vote_id is None:
        return RecordResult(None, duplicate=True)
    await connection.execute("INSERT INTO vote_outbox (vote_id) VALUES ($1)", vote_id)
    await connection.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, json.dumps({"vote_id": vote_id}))
    return RecordResult(vote_id, duplicate=False)
