"""All SQL of the vote pipeline: recording votes, claiming them for delivery, delivery state, dead letters.

Recording is one statement for any number of votes (a multi-row ``INSERT … ON CONFLICT DO NOTHING`` with
the outbox rows and one notification in the same statement): outside an explicit transaction the
statement is its own transaction, so all of it commits or nothing does. A single vote, a batch of the
group committer and a page of the Top.gg backfill all go through it.

The outbox row of a vote is its delivery state: ``done`` lists the consumers that succeeded (or were
dead-lettered), ``failures`` holds ``{consumer: {"attempts": n, "error": "…"}}`` of the ones still
failing (both NULL for a new vote, so its row is as small as can be), ``available_at`` is when the next
retry is due (``-infinity`` for a new vote: due at once, whatever the clock), ``consumers`` restricts
delivery to some consumers (a replayed dead letter). The row is deleted once every consumer is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.db.executor import Executor
from bot.db.servers import server_columns
from bot.db.shards import shard_filter
from bot.db.votes import ATTRIBUTED_MEMBER, ATTRIBUTION_JOIN
from bot.votes.model import Vote

NOTIFY_CHANNEL = "votebot_votes"


@dataclass(frozen=True, slots=True)
class RecordResult:
    vote_id: int | None  # ledger id when newly recorded
    duplicate: bool


DUPLICATE = RecordResult(None, duplicate=True)

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
"""Votes in key order (two batches in flight never deadlock), their outbox rows, one notification per batch
that recorded anything (the materialized CTE runs ``pg_notify`` once)."""


async def record_votes(db: Executor, votes: Sequence[Vote]) -> list[RecordResult]:
    """Record ``votes`` in one statement; results in their order. The first copy of a key in the batch is
    the one recorded, later copies (and votes already in the ledger) are duplicates."""
    first: dict[tuple[int, str, str], Vote] = {}
    for vote in votes:
        first.setdefault((vote.server_id, vote.provider, vote.external_id), vote)
    unique = first.values()
    rows = await db.fetch(
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
        append(DUPLICATE if vote_id is None else RecordResult(vote_id, duplicate=False))
    return results


# ---------------------------------------------------------------------------------------------- delivery

# What a VoteEvent is built from. The member is the vote's Discord id, else the member who linked its
# player name (the attribution rule of bot.db.votes, here for one vote at a time).
_EVENT_COLUMNS = f"""
v.id, v.server_id, v.provider, v.external_id, v.player_name,
{ATTRIBUTED_MEMBER} AS discord_user_id, v.weight, v.voted_at, v.expires_at,
c.done, c.failures, c.consumers, {server_columns("s", prefix="s_")}
"""
_EVENT_JOINS = f"""
JOIN servers s ON s.id = v.server_id
{ATTRIBUTION_JOIN}
"""

# Claim the due outbox ids first (a short index scan on vote_outbox), then look each vote up by id: the
# LATERAL subquery with OFFSET 0 is never flattened, so the plan stays one index probe per claimed row.
# (asyncpg prepares statements; PostgreSQL's generic plan for a plain join, with the parameters unknown and
# the outbox's statistics stale, hash-joined a sequential scan of all of ``votes`` on every claim.)
# ``vote_id > $2`` starts the scan after what this dispatcher already claimed: the outbox is a queue
# (insert, then delete), and until vacuum runs a scan from the start walks the index entry of every row
# deleted since.
_CLAIM = f"""
WITH claimed AS (
    SELECT vote_id, done, failures, consumers FROM vote_outbox
    WHERE vote_id > $2 AND available_at <= $3
    ORDER BY vote_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT {_EVENT_COLUMNS}
FROM claimed c
CROSS JOIN LATERAL (SELECT * FROM votes WHERE votes.id = c.vote_id OFFSET 0) v
{_EVENT_JOINS}
ORDER BY v.id
"""

# With --shards, only the votes of our guilds (the shard filter needs the server, so the join comes first).
_CLAIM_SHARDED = f"""
WITH claimed AS (
    SELECT o.vote_id, o.done, o.failures, o.consumers FROM vote_outbox o
    JOIN votes cv ON cv.id = o.vote_id JOIN servers cs ON cs.id = cv.server_id
    WHERE o.vote_id > $2 AND o.available_at <= $3 AND {shard_filter("cs.guild_id", "$4", "$5")}
    ORDER BY o.vote_id
    LIMIT $1
    FOR UPDATE OF o SKIP LOCKED
)
SELECT {_EVENT_COLUMNS}
FROM claimed c
CROSS JOIN LATERAL (SELECT * FROM votes WHERE votes.id = c.vote_id OFFSET 0) v
{_EVENT_JOINS}
ORDER BY v.id
"""


async def claim_due(
    connection: asyncpg.Connection,
    *,
    limit: int,
    after: int,
    now: dt.datetime,
    shard_count: int | None = None,
    shard_ids: list[int] | None = None,
) -> list[asyncpg.Record]:
    """Due outbox rows with their votes, locked until the caller's transaction ends (ordered by vote id)."""
    if shard_count is None:
        return await connection.fetch(_CLAIM, limit, after, now)
    return await connection.fetch(_CLAIM_SHARDED, limit, after, now, shard_count, shard_ids)


async def finish_deliveries(connection: asyncpg.Connection, vote_ids: list[int]) -> None:
    """Every consumer of these votes is done: their outbox rows go."""
    await connection.execute("DELETE FROM vote_outbox WHERE vote_id = ANY($1::bigint[])", vote_ids)


async def save_progress(
    connection: asyncpg.Connection, vote_id: int, done: list[str], failures: dict[str, Any], retry_at: dt.datetime
) -> None:
    """Some consumers still fail: remember who succeeded and when to try the others again."""
    await connection.execute(
        "UPDATE vote_outbox SET done = $2, failures = $3, available_at = $4 WHERE vote_id = $1",
        vote_id,
        done,
        failures,
        retry_at,
    )


async def add_dead_letter(
    connection: asyncpg.Connection, vote_id: int, consumer: str, attempts: int, error: str, now: dt.datetime
) -> None:
    await connection.execute(
        """
        INSERT INTO vote_dead_letters (vote_id, consumer, attempts, last_error, dead_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (vote_id, consumer) DO UPDATE SET
            attempts = vote_dead_letters.attempts + EXCLUDED.attempts, last_error = EXCLUDED.last_error,
            dead_at = EXCLUDED.dead_at
        """,
        vote_id,
        consumer,
        attempts,
        error[:500],
        now,
    )


# ---------------------------------------------------------------------------------------------- health


@dataclass(frozen=True, slots=True)
class OutboxStats:
    backlog: int  # votes with a consumer not done yet
    retrying: int  # of which at least one consumer failed and waits for its retry
    dead_letters: int
    lag_seconds: float  # age of the oldest undelivered vote (0 when there is none)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    vote_id: int
    consumer: str
    attempts: int
    last_error: str | None
    dead_at: dt.datetime
    server_id: int
    provider: str
    voted_at: dt.datetime


async def outbox_stats(db: Executor) -> OutboxStats:
    record = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM vote_outbox) AS backlog,
               (SELECT count(*) FROM vote_outbox WHERE failures IS NOT NULL) AS retrying,
               (SELECT count(*) FROM vote_dead_letters) AS dead_letters,
               coalesce(extract(epoch FROM now() - (SELECT min(created_at) FROM vote_outbox)), 0)::float8 AS lag
        """
    )
    assert record is not None  # noqa: S101 - an aggregate always returns one row
    return OutboxStats(record["backlog"], record["retrying"], record["dead_letters"], max(0.0, record["lag"]))


async def dead_letters(db: Executor, limit: int = 100) -> list[DeadLetter]:
    records = await db.fetch(
        """
        SELECT d.vote_id, d.consumer, d.attempts, d.last_error, d.dead_at, v.server_id, v.provider, v.voted_at
        FROM vote_dead_letters d JOIN votes v ON v.id = d.vote_id
        ORDER BY d.dead_at DESC, d.vote_id DESC LIMIT $1
        """,
        limit,
    )
    return [DeadLetter(**dict(r)) for r in records]


async def replay_dead_letters(
    db: Executor, *, vote_id: int | None = None, consumer: str | None = None
) -> list[tuple[int, str]]:
    """Deliver dead letters again (all, one vote's, one consumer's): each goes back to the outbox for its
    consumer only and is due at once. Returns the ``(vote id, consumer)`` pairs re-queued."""
    records = await db.fetch(
        """
        WITH replayed AS (
            DELETE FROM vote_dead_letters
            WHERE ($1::bigint IS NULL OR vote_id = $1) AND ($2::text IS NULL OR consumer = $2)
            RETURNING vote_id, consumer
        ), per_vote AS (
            SELECT vote_id, array_agg(consumer ORDER BY consumer) AS consumers FROM replayed GROUP BY vote_id
        ), queued AS (
            INSERT INTO vote_outbox (vote_id, consumers, available_at)
            SELECT vote_id, consumers, '-infinity' FROM per_vote
            ON CONFLICT (vote_id) DO UPDATE SET
                done = ARRAY(SELECT unnest(vote_outbox.done) EXCEPT SELECT unnest(EXCLUDED.consumers)),
                failures = vote_outbox.failures - EXCLUDED.consumers,
                consumers = CASE WHEN vote_outbox.consumers IS NULL THEN NULL
                                 ELSE ARRAY(SELECT unnest(vote_outbox.consumers) UNION
                                            SELECT unnest(EXCLUDED.consumers)) END,
                available_at = '-infinity'
        ), notified AS MATERIALIZED (
            SELECT pg_notify($3, '{"replay":true}') WHERE EXISTS (SELECT FROM replayed)
        )
        SELECT vote_id, consumer FROM replayed LEFT JOIN notified ON true ORDER BY vote_id, consumer
        """,
        vote_id,
        consumer,
        NOTIFY_CHANNEL,
    )
    return [(r["vote_id"], r["consumer"]) for r in records]
