"""GiveawayService against the database, without Discord: a stored draw is reused, ended giveaways refuse
entries, rerolls need an ended giveaway, and "voted this month" follows the attribution rule."""

from __future__ import annotations

import datetime as dt

import asyncpg
import discord
import pytest

from bot.core.admin_notice import AdminNotices
from bot.core.errors import UserError
from bot.core.messaging import Messenger
from bot.core.scheduling import Scheduler
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.db.links import LinkRepository
from bot.db.votes import VoteRepository
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.giveaways.repository import Giveaway, GiveawayRepository
from cogs.giveaways.service import GiveawayService
from tests.clock import MovableClock

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def service_for(pool: asyncpg.Pool, servers: ServerService, clock: MovableClock) -> GiveawayService:
    client = discord.Client(intents=discord.Intents.none())  # never connected: these paths post nothing
    return GiveawayService(
        pool, servers, VoteRepository(pool), Messenger(client), AdminNotices(client, pool), Scheduler(clock), clock,
        ShardOwnership(),
    )  # fmt: skip


async def giveaway(pool: asyncpg.Pool, server_id: int, *, require_vote: bool = False, bonus: int = 0) -> Giveaway:
    return await GiveawayRepository(pool).create(
        server_id=server_id, guild_id=7, channel_id=1, host_id=2, prize="Kit", winner_count=1, required_role_id=None,
        require_vote=require_vote, voter_bonus=bonus, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=1),
    )  # fmt: skip


async def test_draw_is_stored_once_and_entries_close(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = (await servers.add(guild_id=7, name="A", vote_url="https://e.com")).server
    clock = MovableClock(NOW)
    service = service_for(pool, servers, clock)
    running = await giveaway(pool, server.id)
    for member in range(10, 20):
        assert (await service.toggle_entry(running.id, 7, member, set()))[1].entered
    with pytest.raises(UserError, match="is still running"):
        await service.reroll(7, running.id, 1)
    first = await service.first_draw(running, NOW + dt.timedelta(hours=1))
    again = await service.first_draw(running, NOW + dt.timedelta(hours=2))
    assert first.draw.winners == again.draw.winners and first.entrants == 10
    clock.advance(hours=1)
    with pytest.raises(UserError, match="has ended"):
        await service.toggle_entry(running.id, 7, 99, set())
    with pytest.raises(UserError, match="no longer exists"):
        await service.toggle_entry(running.id, 8, 99, set())  # another guild's button


async def test_voted_this_month_counts_votes_under_the_linked_name(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = (await servers.add(guild_id=7, name="A", vote_url="https://e.com")).server
    service = service_for(pool, servers, MovableClock(NOW))
    await LinkRepository(pool).link(server.id, 10, "Steve")
    ledger = VoteLedger(pool)
    await ledger.record(Vote(server.id, "topserver", "a", NOW - dt.timedelta(hours=2), player_name="steve"))
    await ledger.record(Vote(server.id, "topserver", "b", NOW - dt.timedelta(hours=1), player_name="STEVE"))
    await ledger.record(Vote(server.id, "topgg", "c", NOW - dt.timedelta(days=40), discord_user_id=11))  # last month
    running = await giveaway(pool, server.id, require_vote=True, bonus=2)
    assert (await service.toggle_entry(running.id, 7, 10, set()))[1].entered  # linked voter: in
    with pytest.raises(UserError, match="only for members who voted this month"):
        await service.toggle_entry(running.id, 7, 11, set())  # voted, but not this month
    draw = await service.first_draw(running, NOW)
    assert draw.draw.snapshot == ((10, 3),)  # one ticket and the voter bonus
