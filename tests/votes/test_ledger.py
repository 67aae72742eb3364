"""The ledger and the dispatcher on a real database: each vote recorded once, delivered to every consumer once,
failed consumers retried with back-off (and only they), dead letters kept and replayable, the claim's plan."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest

from bot.core.servers import ServerService
from bot.votes import repository
from bot.votes.dispatcher import VoteDispatcher
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.clock import MovableClock
from tests.votes.consumers import Recorder

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def server_id(servers: ServerService) -> int:
    created = await servers.add(guild_id=1, name="Alpha", vote_url="https://example.com/vote")
    return created.server.id


def vote(server_id: int, external_id: str = "v1", **kwargs: object) -> Vote:
    return Vote(server_id=server_id, provider="topgg", external_id=external_id, voted_at=NOW, **kwargs)  # type: ignore[arg-type]


async def test_hundred_concurrent_duplicates_record_once_and_dispatch_once(pool: asyncpg.Pool, server_id: int) -> None:
    ledger = VoteLedger(pool)
    results = await asyncio.gather(*(ledger.record(vote(server_id, player_name="Steve")) for _ in range(100)))
    assert sum(not r.duplicate for r in results) == 1
    assert await pool.fetchval("SELECT count(*) FROM votes") == 1
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 1

    recorder = Recorder()
    dispatcher = VoteDispatcher(pool, consumers=[recorder], poll_interval=0.05)
    await dispatcher.start()
    try:
        for _ in range(100):
            if recorder.events:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        await dispatcher.close()
    assert len(recorder.events) == 1
    event = recorder.events[0]
    assert event.vote_id == "v1" and event.player_name == "Steve" and event.server.name == "Alpha"
    assert event.next_vote_at == NOW + dt.timedelta(hours=12)  # the server's default cooldown
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_notify_wakes_a_running_dispatcher(pool: asyncpg.Pool, server_id: int) -> None:
    got = asyncio.Event()

    class Waker:
        name = "waker"

        async def handle(self, event: object) -> None:
            got.set()

    dispatcher = VoteDispatcher(pool, consumers=[Waker()], poll_interval=3600)  # only LISTEN/NOTIFY can wake it
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
    recorder = Recorder()
    dispatcher = VoteDispatcher(pool, consumers=[recorder])
    assert await dispatcher.drain_once() == 2
    assert await dispatcher.drain_once() == 0
    assert [e.vote_id for e in recorder.events] == ["a", "b"]


async def test_two_dispatchers_never_deliver_the_same_row(pool: asyncpg.Pool, server_id: int) -> None:
    ledger = VoteLedger(pool)
    await ledger.record_many([vote(server_id, f"v{i}") for i in range(200)])
    seen = Recorder()
    first = VoteDispatcher(pool, consumers=[seen], batch_size=7)
    second = VoteDispatcher(pool, consumers=[seen], batch_size=7)

    async def drain(d: VoteDispatcher) -> None:
        while await d.drain_once():
            await asyncio.sleep(0)

    await asyncio.gather(drain(first), drain(second))
    assert sorted(e.vote_id for e in seen.events) == sorted(f"v{i}" for i in range(200))
    assert first.delivered > 0 and second.delivered > 0


async def test_only_the_failed_consumer_is_retried_with_back_off(pool: asyncpg.Pool, server_id: int) -> None:
    clock = MovableClock(NOW)
    good, flaky = Recorder("good"), Recorder("flaky", failing=2)
    dispatcher = VoteDispatcher(pool, consumers=[good, flaky], clock=clock, retry_base=dt.timedelta(seconds=10))
    await VoteLedger(pool).record(vote(server_id))
    assert await dispatcher.drain_once() == 1
    row = await pool.fetchrow("SELECT done, failures, available_at FROM vote_outbox")
    assert row["done"] == ["good"] and row["failures"]["flaky"]["attempts"] == 1
    assert "flaky is down" in row["failures"]["flaky"]["error"] and row["available_at"] == NOW + dt.timedelta(
        seconds=10
    )
    assert await dispatcher.drain() == 0  # not due yet
    clock.advance(seconds=10)
    assert await dispatcher.drain() == 1  # due: fails again, twice the wait
    assert (await pool.fetchval("SELECT available_at FROM vote_outbox")) == clock.now + dt.timedelta(seconds=20)
    clock.advance(seconds=20)
    assert await dispatcher.drain() == 1
    assert len(good.events) == 1 and len(flaky.events) == 1  # the good one never ran again
    assert flaky.events[0].attempt == 3
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_a_consumer_failing_for_good_is_dead_lettered_and_replayed(pool: asyncpg.Pool, server_id: int) -> None:
    clock = MovableClock(NOW)
    good, broken = Recorder("good"), Recorder("broken", failing=-1)
    dispatcher = VoteDispatcher(
        pool, consumers=[good, broken], clock=clock, max_attempts=3, retry_base=dt.timedelta(seconds=1)
    )
    vote_id = (await VoteLedger(pool).record(vote(server_id))).vote_id
    for _ in range(3):
        await dispatcher.drain()
        clock.advance(hours=1)
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0  # delivered: every consumer is done
    stats = await repository.outbox_stats(pool)
    assert (stats.backlog, stats.dead_letters) == (0, 1)
    [letter] = await repository.dead_letters(pool)
    assert (letter.vote_id, letter.consumer, letter.attempts) == (vote_id, "broken", 3)
    assert "broken is down" in (letter.last_error or "") and len(good.events) == 1

    broken.failing = 0  # fixed: the operator replays it, and only it runs
    assert await repository.replay_dead_letters(pool, consumer="broken") == [(vote_id, "broken")]
    assert await dispatcher.drain() == 1
    assert len(broken.events) == 1 and len(good.events) == 1
    assert (await repository.outbox_stats(pool)).dead_letters == 0
    assert await repository.replay_dead_letters(pool) == []


async def test_a_hung_consumer_times_out_alone_and_the_others_still_run(pool: asyncpg.Pool, server_id: int) -> None:
    """Each call has its own budget: the hung one fails for itself, the consumers after it and the other
    votes of the batch go on, and a dead-lettered hang does not take the unreached consumers with it."""

    class Hanging(Recorder):
        async def handle(self, event: object) -> None:
            if event.vote_id == "a":  # type: ignore[attr-defined]
                await asyncio.sleep(5)
            await super().handle(event)  # type: ignore[arg-type]

    before, hanging, after = Recorder("a_first"), Hanging("m_hangs"), Recorder("z_last")
    dispatcher = VoteDispatcher(pool, consumers=[before, hanging, after], consumer_timeout=0.3, max_attempts=1)
    await VoteLedger(pool).record_many([vote(server_id, key) for key in "abc"])
    assert await dispatcher.drain() == 3
    assert [e.vote_id for e in after.events] == ["a", "b", "c"]  # called after the hang, in order
    assert [e.vote_id for e in hanging.events] == ["b", "c"]  # b and c were not charged for a's hang
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0
    [letter] = await repository.dead_letters(pool)
    assert letter.consumer == "m_hangs" and "timed out" in (letter.last_error or "")


async def test_replaying_to_a_consumer_this_process_lacks_keeps_the_dead_letter(
    pool: asyncpg.Pool, server_id: int
) -> None:
    """A rolling deploy or a renamed consumer: the replay is not dropped as if it were done."""
    clock = MovableClock(NOW)
    good, broken = Recorder("good"), Recorder("broken", failing=-1)
    await VoteLedger(pool).record(vote(server_id))
    await VoteDispatcher(pool, consumers=[good, broken], clock=clock, max_attempts=1).drain()
    assert [(letter.consumer, letter.attempts) for letter in await repository.dead_letters(pool)] == [("broken", 1)]
    await repository.replay_dead_letters(pool)
    assert await VoteDispatcher(pool, consumers=[good], clock=clock).drain() == 1  # "broken" is not here
    [letter] = await repository.dead_letters(pool)
    assert letter.consumer == "broken" and "no consumer called 'broken'" in (letter.last_error or "")
    assert len(good.events) == 1  # and the others were not run again
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_votes_of_one_server_are_delivered_in_order(pool: asyncpg.Pool, server_id: int) -> None:
    class Slow(Recorder):
        async def handle(self, event: object) -> None:
            await asyncio.sleep(0.01 if event.vote_id == "a" else 0)  # type: ignore[attr-defined]
            await super().handle(event)  # type: ignore[arg-type]

    slow = Slow("slow")
    await VoteLedger(pool).record_many([vote(server_id, key) for key in "abc"])
    await VoteDispatcher(pool, consumers=[slow]).drain()
    assert [e.vote_id for e in slow.events] == ["a", "b", "c"]


async def test_a_vote_committed_below_the_cursor_is_still_delivered(pool: asyncpg.Pool, server_id: int) -> None:
    recorder = Recorder()
    dispatcher = VoteDispatcher(pool, consumers=[recorder])
    async with pool.acquire() as slow:
        transaction = slow.transaction()
        await transaction.start()
        await VoteLedger(slow).record(vote(server_id, "slow"))  # takes the lower id, commits last
        await VoteLedger(pool).record(vote(server_id, "fast"))
        assert await dispatcher.drain_once() == 1  # the cursor is now above "slow"
        await transaction.commit()
    assert await dispatcher.drain_once() == 1  # nothing after the cursor, so it looked below it
    assert [e.vote_id for e in recorder.events] == ["fast", "slow"]


async def test_a_retried_row_below_the_cursor_is_found_by_the_periodic_rescan(
    pool: asyncpg.Pool, server_id: int
) -> None:
    clock = MovableClock(NOW)

    class FailsXOnce(Recorder):
        failed_once = False

        async def handle(self, event: object) -> None:
            if event.vote_id == "x" and not self.failed_once:  # type: ignore[attr-defined]
                self.failed_once = True
                raise RuntimeError("consumer broke once")
            await super().handle(event)  # type: ignore[arg-type]

    recorder = FailsXOnce()
    dispatcher = VoteDispatcher(pool, consumers=[recorder], clock=clock, rescan_interval=0.3)
    ledger = VoteLedger(pool)
    await ledger.record(vote(server_id, "x"))
    assert await dispatcher.drain_once() == 1  # claimed, failed, backed off
    clock.advance(minutes=1)  # due again
    await ledger.record(vote(server_id, "y"))
    assert await dispatcher.drain_once() == 1  # only what is after the cursor, within the rescan interval
    assert [e.vote_id for e in recorder.events] == ["y"]
    await ledger.record(vote(server_id, "z"))
    await asyncio.sleep(0.35)
    assert await dispatcher.drain_once() == 2
    assert [e.vote_id for e in recorder.events] == ["y", "x", "z"]
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0


async def test_claim_plan_never_scans_every_vote(pool: asyncpg.Pool, server_id: int) -> None:
    """asyncpg prepares the claim; PostgreSQL may reuse a generic plan, which must probe votes by id."""
    await VoteLedger(pool).record_many([vote(server_id, f"v{i}") for i in range(500)])
    async with pool.acquire() as connection:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE claim(bigint, bigint, timestamptz) AS {repository._CLAIM}")
        try:
            plan = "\n".join(row[0] for row in await connection.fetch("EXPLAIN EXECUTE claim(100, 0, now())"))
        finally:
            await connection.execute("DEALLOCATE claim")
    assert "Seq Scan on votes" not in plan
    assert "Index Scan using votes_pkey on votes" in plan
