"""Links: unique per server, reassignable; earlier votes count once linked; the dispatcher resolves linked names."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from bot.core.servers import ServerService
from bot.db.links import LinkRepository, NameTaken
from bot.db.votes import VoteRepository
from bot.votes.dispatcher import VoteDispatcher
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.votes.consumers import Recorder

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


async def test_links_points_and_dispatch(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = (await servers.add(guild_id=1, name="Alpha", vote_url="https://e.com")).server
    repo, votes = LinkRepository(pool), VoteRepository(pool)
    ledger = VoteLedger(pool)
    await ledger.record(Vote(server.id, "topserver", "old", NOW - dt.timedelta(days=1), player_name="STEVE"))
    await repo.link(server.id, 10, "Steve")
    assert await votes.points(server.id, 10) == 1  # recorded before the link, counted once linked
    with pytest.raises(NameTaken):
        await repo.link(server.id, 11, "steve")
    await repo.link(server.id, 11, "steve", reassign=True)
    assert await repo.get(server.id, 10) is None
    assert await votes.points(server.id, 11) == 1 and await votes.points(server.id, 10) == 0
    await ledger.record(Vote(server.id, "topserver", "new", NOW, player_name="Steve"))
    await ledger.record(Vote(server.id, "topgg", "tg", NOW, discord_user_id=12, player_name="someone"))
    recorder = Recorder()
    dispatcher = VoteDispatcher(pool, consumers=[recorder])
    assert await dispatcher.drain_once() == 3
    assert {e.vote_id: e.discord_user_id for e in recorder.events} == {"old": 11, "new": 11, "tg": 12}
    assert await votes.points(server.id, 11) == 2
    assert await repo.unlink(server.id, 11) and not await repo.unlink(server.id, 11)
