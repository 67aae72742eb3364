"""Recording a batch of votes in three statements, for the group committer.

Same effect as calling :func:`bot.votes.ledger.record_in` for each vote inside one transaction — each
new vote gets its ``votes`` row and its ``vote_outbox`` row, re-deliveries are reported as duplicates —
but as one statement (multi-row ``INSERT … ON CONFLICT DO NOTHING`` with the outbox insert and the
notification in the same statement) instead of three round trips per vote. Outside an explicit
transaction the statement is its own transaction: all of it commits, or nothing does.
"""

from __future__ import annotations

import asyncpg

from bot.votes.ledger import NOTIFY_CHANNEL, RecordResult
from bot.votes.model import Vote

_RECORD = """
WITH new AS (
    INSERT INTO votes (server_id, provider, external_id, player_name, discord_user_id, weight, voted_at, expires_at)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::smallint[],
                         $7::timestamptz[], $8::timestamptz[])
    ORDER BY 1, 2, 3
    ON CONFLICT (server_id, provider, external_id) DO NOTHING
    RETURNING id, server_id, provider, external_id
), outbox AS (
    INSERT INTO vote_outbox (vote_id) SELECT id FROM new
), notified AS MATERIALIZED (
    SELECT pg_notify($9, '{"batch":true}') WHERE EXISTS (SELECT FROM new)
)
SELECT id, server_id, provider, external_id FROM new LEFT JOIN notified ON true
"""
"""One statement, hence one implicit transaction and one round trip: votes, their outbox rows, and one
notification per batch that recorded anything (the materialized CTE runs ``pg_notify`` once)."""


async def record_batch(connection: asyncpg.Connection, votes: list[Vote]) -> list[RecordResult]:
    """Results in the order of ``votes``; the first copy of a key in the batch is the one recorded."""
    first: dict[tuple[int, str, str], Vote] = {}
    for vote in votes:
        first.setdefault((vote.server_id, vote.provider, vote.external_id), vote)
    unique = first.values()
    rows = await connection.fetch(
        _RECORD,
        [v.server_id for v in unique],
        [v.provider for v in unique],
        [v.external_id for v in unique],
        [v.player_name for v in unique],
        [v.discord_user_id for v in unique],
        [v.weight for v in unique],
        [v.voted_at for v in unique],
        [v.expires_at for v in unique],
        NOTIFY_CHANNEL,
    )
    new_ids = {(r[1], r[2], r[3]): r[0] for r in rows}
    pop = new_ids.pop
    results: list[RecordResult] = []
    append = results.append
    for vote in votes:
        vote_id = pop((vote.server_id, vote.provider, vote.external_id), None)
        append(_DUPLICATE if vote_id is None else RecordResult(vote_id, duplicate=False))
    return results


_DUPLICATE = RecordResult(None, duplicate=True)
