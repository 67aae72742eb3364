"""The group committer against the real database: batching, in-batch duplicates, bad rows, failures."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest

from bot.db.pool import register_codecs
from bot.votes.group_commit import GroupCommitter
from bot.votes.ledger import RecordResult, VoteLedger
from bot.votes.model import Vote
from tests.web.conftest import add_server


def vote(server_id: int, external_id: str, player: str = "Steve") -> Vote:
    return Vote(server_id, "topserver", external_id, dt.datetime.now(dt.UTC), player_name=player)


async def test_concurrent_votes_share_commits_and_duplicates_are_reported(pool: asyncpg.Pool) -> None:
    sid = await add_server(pool)
    committer = GroupCommitter(pool, VoteLedger(pool))
    committer.start()
    try:
        votes = [vote(sid, f"v{i % 40}") for i in range(120)]
        results = await asyncio.gather(*(committer.record(v) for v in votes))
    finally:
        await committer.close()
    assert sum(not r.duplicate for r in results) == 40
    assert all(r.vote_id is not None for r in results if not r.duplicate)
    assert committer.batches < 120
    assert await pool.fetchval("SELECT count(*) FROM votes") == 40
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 40
    ids = {r.vote_id for r in results if not r.duplicate}
    assert ids == set(await pool.fetchval("SELECT array_agg(vote_id) FROM vote_outbox"))


async def test_a_bad_row_does_not_sink_the_batch(pool: asyncpg.Pool) -> None:
    sid = await add_server(pool)
    committer = GroupCommitter(pool, VoteLedger(pool))
    committer.start()
    try:
        results = await asyncio.gather(
            committer.record(vote(sid, "ok-1")),
            committer.record(vote(sid, "bad", player="x" * 201)),  # violates the player_name CHECK
            committer.record(vote(sid, "ok-2")),
            return_exceptions=True,
        )
    finally:
        await committer.close()
    assert isinstance(results[1], asyncpg.CheckViolationError)
    assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
    assert sorted(await pool.fetchval("SELECT array_agg(external_id) FROM votes")) == ["ok-1", "ok-2"]


async def test_a_failed_batch_fails_every_request_and_commits_nothing(database_url: str, pool: asyncpg.Pool) -> None:
    sid = await add_server(pool)
    slow = await asyncpg.create_pool(
        init=register_codecs, dsn=database_url, min_size=1, max_size=2, server_settings={"statement_timeout": "200"}
    )
    committer = GroupCommitter(slow, VoteLedger(slow))
    committer.start()
    locker = await asyncpg.connect(database_url)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE votes IN ACCESS EXCLUSIVE MODE")
            results = await asyncio.gather(
                *(committer.record(vote(sid, f"v{i}")) for i in range(10)), return_exceptions=True
            )
        assert all(isinstance(r, asyncpg.QueryCanceledError) for r in results)
        assert await pool.fetchval("SELECT count(*) FROM votes") == 0
        again = await asyncio.gather(*(committer.record(vote(sid, f"v{i}")) for i in range(10)))
        assert not any(r.duplicate for r in again)
    finally:
        await locker.close()
        await committer.close()
        await slow.close()
    assert await pool.fetchval("SELECT count(*) FROM votes") == 10


async def test_close_fails_nothing_silently(pool: asyncpg.Pool) -> None:
    sid = await add_server(pool)
    committer = GroupCommitter(pool, VoteLedger(pool))
    committer.start()
    await committer.close()
    # After close the committer records directly (still committed before returning).
    assert not (await committer.record(vote(sid, "after-close"))).duplicate
    assert await pool.fetchval("SELECT count(*) FROM votes") == 1


@pytest.mark.parametrize("count", [1, 300])
async def test_batch_sizes(pool: asyncpg.Pool, count: int) -> None:
    sid = await add_server(pool)
    committer = GroupCommitter(pool, VoteLedger(pool), max_batch=64)
    committer.start()
    try:
        results = await asyncio.gather(*(committer.record(vote(sid, f"b{i}")) for i in range(count)))
    finally:
        await committer.close()
    assert len({r.vote_id for r in results}) == count
    assert await pool.fetchval("SELECT count(*) FROM votes") == count


class _GatedCommitter(GroupCommitter):
    """Flushes wait for a gate and are recorded, so the batching decisions can be seen without a database."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(None, None, **kwargs)  # type: ignore[arg-type]
        self.gate = asyncio.Event()
        self.flushed: list[int] = []

    async def _record_batch(self, votes: list[Vote]) -> list[RecordResult]:
        self.flushed.append(len(votes))
        await self.gate.wait()
        return [RecordResult(i, duplicate=False) for i, _ in enumerate(votes)]


async def test_while_a_flush_runs_votes_gather_until_min_parallel_wait() -> None:
    committer = _GatedCommitter(concurrency=2, min_parallel=4)
    committer.start()
    try:
        first = asyncio.ensure_future(committer.record(vote(1, "a")))
        await asyncio.sleep(0.01)
        assert committer.flushed == [1]  # idle: flushed at once
        waiting = [asyncio.ensure_future(committer.record(vote(1, f"b{i}"))) for i in range(3)]
        await asyncio.sleep(0.01)
        assert committer.flushed == [1]  # 3 < min_parallel: they wait for the running flush
        waiting.append(asyncio.ensure_future(committer.record(vote(1, "b3"))))
        await asyncio.sleep(0.01)
        assert committer.flushed == [1, 4]  # 4 waiting: a second flush starts beside the first
        later = [asyncio.ensure_future(committer.record(vote(1, f"c{i}"))) for i in range(2)]
        await asyncio.sleep(0.01)
        assert committer.flushed == [1, 4]  # both slots busy
        committer.gate.set()
        results = await asyncio.gather(first, *waiting, *later)
        assert committer.flushed == [1, 4, 2]  # the rest goes as soon as a flush ends
        assert not any(r.duplicate for r in results)
    finally:
        await committer.close()
