"""The rewards catch-up query: skips votes whose rewards can never run, and scans only recent votes."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.core.servers import ServerService
from bot.db.engagement import LAST_VOTE_ID_BEFORE, UNREWARDED_VOTES, EngagementRepository
from bot.db.features import FeatureRepository

WINDOW, DELAY = dt.timedelta(minutes=15), dt.timedelta(seconds=30)


async def delivered_vote(pool: asyncpg.Pool, server_id: int, key: str, age: dt.timedelta) -> int:
    """A vote the dispatcher already delivered (no outbox row) whose rewards never ran."""
    return int(
        await pool.fetchval(
            "INSERT INTO votes (server_id, provider, external_id, player_name, voted_at, recorded_at) "
            "VALUES ($1, 'topserver', $2, 'Steve', now() - $3::interval, now() - $3::interval) RETURNING id",
            server_id,
            key,
            age,
        )
    )


async def test_votes_of_a_server_with_rewards_off_do_not_crowd_out_the_others(pool: asyncpg.Pool) -> None:
    servers = ServerService(pool)
    quiet = (await servers.add(guild_id=1, name="Quiet", vote_url="https://e.com")).server
    busy = (await servers.add(guild_id=1, name="Busy", vote_url="https://e.com")).server
    await FeatureRepository(pool).set(quiet.id, "vote", enabled=False)
    for i in range(5):
        await delivered_vote(pool, quiet.id, f"q{i}", dt.timedelta(minutes=2))
    wanted = await delivered_vote(pool, busy.id, "b", dt.timedelta(minutes=1))

    events = await EngagementRepository(pool).unrewarded_votes(WINDOW, DELAY, limit=3)

    assert [e.ledger_id for e in events] == [wanted]


async def test_the_scan_starts_after_the_votes_older_than_the_window(pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool).add(guild_id=1, name="Alpha", vote_url="https://e.com")).server
    repo = EngagementRepository(pool)
    old = [await delivered_vote(pool, server.id, f"old{i}", dt.timedelta(hours=1)) for i in range(3)]
    recent = await delivered_vote(pool, server.id, "recent", dt.timedelta(minutes=1))
    fresh = await delivered_vote(pool, server.id, "fresh", dt.timedelta(seconds=1))  # left to normal delivery

    bound = await repo.last_vote_id_before(WINDOW)
    assert bound == max(old)
    assert await repo.last_vote_id_before(WINDOW, after_id=bound) == bound  # nothing newer is that old
    assert [e.ledger_id for e in await repo.unrewarded_votes(WINDOW, DELAY, after_id=bound)] == [recent]
    assert await repo.unrewarded_votes(WINDOW, DELAY, after_id=recent) == []
    assert fresh > recent


async def test_the_bounded_scans_probe_the_primary_key(pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool).add(guild_id=1, name="Alpha", vote_url="https://e.com")).server
    await pool.execute(
        "INSERT INTO votes (server_id, provider, external_id, voted_at, recorded_at) "
        "SELECT $1, 'topserver', 'v' || i, now() - interval '2 days', now() - interval '2 days' "
        "FROM generate_series(1, 20000) i",
        server.id,
    )
    await pool.execute("ANALYZE votes")
    bound = await EngagementRepository(pool).last_vote_id_before(WINDOW)
    assert bound == await pool.fetchval("SELECT max(id) FROM votes")
    for query, args in ((LAST_VOTE_ID_BEFORE, (bound, WINDOW)), (UNREWARDED_VOTES, (WINDOW, DELAY, 100, bound))):
        plan = "\n".join(r[0] for r in await pool.fetch(f"EXPLAIN {query}", *args))
        assert "votes_pkey on votes" in plan and "Seq Scan on votes" not in plan, plan
