"""GiveawayService against the database: a stored draw is reused, ended giveaways refuse entries and rerolls
need an ended giveaway."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from bot.core.errors import UserError
from bot.core.servers import ServerService
from cogs.giveaways.service import GiveawayService

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


async def test_draw_is_stored_once_and_entries_close(pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool).add(guild_id=7, name="A", vote_url="https://e.com")).server
    service = GiveawayService(pool)
    giveaway = await service.start(
        server,
        channel_id=1,
        host_id=2,
        prize="Kit",
        duration="1h",
        winners=1,
        required_role_id=None,
        require_vote=False,
        voter_bonus=0,
        now=NOW,
    )
    for member in range(10, 20):
        assert (await service.toggle_entry(giveaway, member, set(), NOW)).entered
    with pytest.raises(UserError, match="Only an ended"):
        await service.reroll(giveaway, 1)
    first = await service.end_draw(giveaway, NOW + dt.timedelta(hours=1))
    again = await service.end_draw(giveaway, NOW + dt.timedelta(hours=2))
    assert first.draw.winners == again.draw.winners and first.entrants == 10
    with pytest.raises(UserError, match="has ended"):
        await service.toggle_entry(giveaway, 99, set(), NOW + dt.timedelta(hours=1))
