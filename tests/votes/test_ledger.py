from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest

from bot.core.servers import ServerService
from bot.votes.dispatcher import _CLAIM, VoteDispatcher
from bot.votes.events import VoteEvent
from bot.votes.ledger import VoteLedger, record_in
from bot.votes.model import Vote

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def server_id(pool: asyncpg.Pool) -> int:
    created = await ServerService(pool).add(guild_id=1, name="Alpha", vote_url="https://example.com/vote")
    return created.server.id


def vote(server_id: int, external_id: str = "v1", **kwargs: object) -> Vote:
    return Vote(server_id=server_id, provider="topgg", external_id=external_id, voted_at=NOW, **kwargs)  # type: ignore[arg-type]


async def test_hundred_concurrent_duplicates_record_once_and_dispatch_once(pool: asyncpg.Pool, server_id: int) -> None:
    ledger = VoteLedger(pool)
    results = await asyncio.gather(*(ledger.record(vote(server_id, player_name="Steve")) for _ in range(100)))
    assert sum(not r.duplicate for r in results) == 1
    assert await pool.fetchval("SELECT count(*) FROM votes") == 1
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 1

    received: list[VoteEvent] = []

    async def deliver(event: VoteEvent) -> None:
        received.append(event)

    dispatcher = VoteDispatcher(pool, deliver, poll_interval=0.05)
    await dispatcher.start()
    try:
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        await dispatcher.close()
    assert len(received) == 1
    event = received[0]
    assert event.vote_id == "v1" and event.player_name == "Steve" and event.server.name == "Alpha"
    assert event.next_vote_at == NOW + dt.timedelta(hours=12)  # the server's default cooldown
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_notify_wakes_a_running_dispatcher(pool: asyncpg.Pool, server_id: int) -> None:
    got = asyncio.Event()

    async def deliver(event: VoteEvent) -> None:
        got.set()

    dispatcher = VoteDispatcher(pool, deliver, poll_interval=3600)  # only LISTEN/NOTIFY can wake it
    await dispatcher.start()
    try:
        await asyncio.sleep(0.1)
        await VoteLedger(pool).record(vote(server_id, expires_at=NOW + dt.timedelta(hours=6)))
        await asyncio.wait_for(got.wait(), timeout=5)
    finally:
        await dispatcher.close()


async def test_undelivered_rows_survive_a_crash_and_are_delivered_after_restart(
    pool: asyncpg.Pool, server_id: int
) -> None:
    # "crash after commit, before dispatch": the vote is committed, no dispatcher ran.
    await VoteLedger(pool).record(vote(server_id, "a"))
    await VoteLedger(pool).record(vote(server_id, "b"))
    received: list[str] = []

    async def deliver(event: VoteEvent) -> None:
        received.append(event.vote_id)

    dispatcher = VoteDispatcher(pool, deliver)
    assert await dispatcher.drain_once() == 2
    assert await dispatcher.drain_once() == 0
    assert received == ["a", "b"]


async def test_two_dispatchers_never_deliver_the_same_row(pool: asyncpg.Pool, server_id: int) -> None:
    ledger = VoteLedger(pool)
    await ledger.record_many([vote(server_id, f"v{i}") for i in range(200)])
    seen: list[str] = []

    async def deliver(event: VoteEvent) -> None:
        seen.append(event.vote_id)
        await asyncio.sleep(0)

    first, second = VoteDispatcher(pool, deliver, batch_size=7), VoteDispatcher(pool, deliver, batch_size=7)

    async def drain(d: VoteDispatcher) -> None:
        while await d.drain_once():
            pass

    await asyncio.gather(drain(first), drain(second))
    assert sorted(seen) == sorted(f"v{i}" for i in range(200))
    assert first.delivered > 0 and second.delivered > 0


async def test_failed_delivery_is_retried_later(pool: asyncpg.Pool, server_id: int) -> None:
    await VoteLedger(pool).record(vote(server_id))
    calls = 0

    async def deliver(event: VoteEvent) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("consumer broke")

    dispatcher = VoteDispatcher(pool, deliver)
    await dispatcher.drain_once()
    row = await pool.fetchrow("SELECT attempts, available_at > now() AS later, last_error FROM vote_outbox")
    assert calls == 1 and row["attempts"] == 1 and row["later"] and "consumer broke" in row["last_error"]
    assert await dispatcher.drain_once() == 0  # not due yet


async def test_a_vote_committed_below_the_cursor_is_still_delivered(pool: asyncpg.Pool, server_id: int) -> None:
    received: list[str] = []

    async def deliver(event: VoteEvent) -> None:
        received.append(event.vote_id)

    dispatcher = VoteDispatcher(pool, deliver)
    async with pool.acquire() as slow:
        transaction = slow.transaction()
        await transaction.start()
        await record_in(slow, vote(server_id, "slow"))  # takes the lower id, commits last
        await VoteLedger(pool).record(vote(server_id, "fast"))
        assert await dispatcher.drain_once() == 1  # the cursor is now above "slow"
        await transaction.commit()
    assert await dispatcher.drain_once() == 1  # nothing after the cursor, so it looked below it
    assert received == ["fast", "slow"]


async def test_a_retried_row_below_the_cursor_is_found_by_the_periodic_rescan(
    pool: asyncpg.Pool, server_id: int
) -> None:
    received: list[str] = []
    failed: set[str] = set()

    async def deliver(event: VoteEvent) -> None:
        if event.vote_id == "x" and "x" not in failed:
            failed.add("x")
            raise RuntimeError("consumer broke once")
        received.append(event.vote_id)

    dispatcher = VoteDispatcher(pool, deliver, rescan_interval=0.3)
    ledger = VoteLedger(pool)
    await ledger.record(vote(server_id, "x"))
    assert await dispatcher.drain_once() == 1  # claimed, failed, backed off
    await pool.execute("UPDATE vote_outbox SET available_at = now() - interval '1 second'")  # due again
    await ledger.record(vote(server_id, "y"))
    assert await dispatcher.drain_once() == 1  # only what is after the cursor, within the rescan interval
    assert received == ["y"]
    await ledger.record(vote(server_id, "z"))
    await asyncio.sleep(0.35)
    assert await dispatcher.drain_once() == 2
    assert received == ["y", "x", "z"]
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_claim_plan_never_scans_every_vote(pool: asyncpg.Pool, server_id: int) -> None:
    """asyncpg prepares the claim; PostgreSQL may reuse a generic plan, which must probe votes by id."""
    await VoteLedger(pool).record_many([vote(server_id, f"v{i}") for i in range(500)])
    async with pool.acquire() as connection:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE claim(bigint, bigint) AS {_CLAIM}")
        try:
            plan = "\n".join(row[0] for row in await connection.fetch("EXPLAIN EXECUTE claim(100, 0)"))
        finally:
            await connection.execute("DEALLOCATE claim")
    assert "Seq Scan on votes" not in plan
    assert "Index Scan using votes_pkey on votes" in plan
