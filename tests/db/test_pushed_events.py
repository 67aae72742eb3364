"""Pushed events stored once: a copy sent while the first is still being stored is a duplicate, not an error."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.db.pushed_events import PushedEventRepository, UnknownWipe
from tests.web.conftest import add_server


async def test_a_concurrent_copy_is_a_duplicate(pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    data = {"wipe_id": "w1", "starts_at": "2026-12-05T18:00:00Z"}
    async with pool.acquire() as connection, connection.transaction():
        assert await PushedEventRepository(connection).record(server_id, "ev-1", "wipe.scheduled", data)
        copy = asyncio.create_task(PushedEventRepository(pool).record(server_id, "ev-1", "wipe.scheduled", data))
        await asyncio.sleep(0.2)  # the copy waits on the first one's uncommitted row
    assert await copy is False
    assert await PushedEventRepository(pool).record(server_id, "ev-2", "wipe.cancelled", {"wipe_id": "w1"})
    assert await PushedEventRepository(pool).record(server_id, "ev-2", "wipe.cancelled", {"wipe_id": "w1"}) is False
    with pytest.raises(UnknownWipe):
        await PushedEventRepository(pool).record(server_id, "ev-3", "wipe.cancelled", {"wipe_id": "nope"})
