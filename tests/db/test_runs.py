"""Keyed runs: started outputs stay to do until finished, checked for many keys in one statement."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.db.runs import RunRepository
from tests.web.conftest import add_server


async def test_start_many_returns_what_is_still_to_do(pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    runs = RunRepository(pool)
    assert sorted(await runs.start_many(server_id, "milestone", ["2026-11:5", "2026-11:2"])) == [
        "2026-11:2",
        "2026-11:5",
    ]
    await runs.finish(server_id, "milestone", "2026-11:2")
    # 2 is done; 5 was started and never finished (a crash): still to do; 10 is new
    assert sorted(await runs.start_many(server_id, "milestone", ["2026-11:2", "2026-11:5", "2026-11:10"])) == [
        "2026-11:10",
        "2026-11:5",
    ]
    assert not await runs.start(server_id, "milestone", "2026-11:2")
    assert await runs.start(server_id, "milestone", "2026-11:5")
    assert await runs.start_many(server_id, "milestone", []) == []


async def test_finished_among_answers_for_many_servers_at_once(pool: asyncpg.Pool) -> None:
    first, second = await add_server(pool, "A", guild_id=1), await add_server(pool, "B", guild_id=2)
    runs = RunRepository(pool)
    await runs.start(first, "channel_ping", "2026-11-24#1")
    await runs.start(second, "channel_ping", "2026-11-24#1")
    await runs.finish(second, "channel_ping", "2026-11-24#1")
    await runs.claim(first, "notice", "2026-11-24#1")  # another kind, same period: not counted
    keys = [(first, "2026-11-24#1"), (second, "2026-11-24#1"), (second, "2026-11-24#0")]
    assert await runs.finished_among("channel_ping", keys) == {(second, "2026-11-24#1")}


async def test_a_key_finished_while_another_caller_starts_it_is_not_to_do(pool: asyncpg.Pool) -> None:
    """Two processes on one key: the one that starts it while the other is finishing must see it finished."""
    server_id = await add_server(pool)
    runs = RunRepository(pool)
    assert await runs.start(server_id, "rank_up", "2026-11:1")
    async with pool.acquire() as connection, connection.transaction():
        await RunRepository(connection).finish(server_id, "rank_up", "2026-11:1")  # not committed yet
        other = asyncio.create_task(runs.start(server_id, "rank_up", "2026-11:1"))
        await asyncio.sleep(0.2)
        assert not other.done()  # waits for the finishing transaction instead of reading the old row
    assert await other is False
