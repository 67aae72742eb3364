"""The set-based top-10 query (month start in each server's zone, linked names merged) and the ties policy."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.core.servers import ServerService
from bot.core.time import month_of, zone
from bot.db.links import LinkRepository
from bot.db.votes import Voter
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.leaderboards.repository import LeaderboardRepository
from cogs.leaderboards.service import top_voter_winners

NOW = dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)


async def test_top10_for_all_boards_in_one_query(pool: asyncpg.Pool, servers: ServerService) -> None:
    service = servers
    tokyo = (await service.add(guild_id=1, name="Tokyo", vote_url="https://e.com")).server
    utc = (await service.add(guild_id=1, name="Utc", vote_url="https://e.com")).server
    quiet = (await service.add(guild_id=1, name="NoBoard", vote_url="https://e.com")).server
    await pool.execute("UPDATE servers SET timezone = 'Asia/Tokyo' WHERE id = $1", tokyo.id)
    for server in (tokyo, utc):
        await service.switch_feature(server, "top10_board", enabled=True, channel_id=5)
    ledger = VoteLedger(pool)
    halloween = dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)  # already November 1 in Tokyo
    for server in (tokyo, utc, quiet):
        await ledger.record(Vote(server.id, "topserver", "h", halloween, player_name="Early"))
        for i in range(12):
            await ledger.record(Vote(server.id, "topserver", f"v{i}", NOW, player_name=f"p{i % 11}"))
    await LinkRepository(pool).link(utc.id, 77, "P0")
    await ledger.record(Vote(utc.id, "topgg", "tg", NOW, discord_user_id=77, player_name="discordname"))

    tokyo, utc = await service.get(tokyo.id), await service.get(utc.id)
    windows = [(s.id, month_of(NOW, zone(s.timezone)).start, NOW + dt.timedelta(seconds=1)) for s in (tokyo, utc)]
    boards = await LeaderboardRepository(pool).top10(windows)
    assert set(boards) == {tokyo.id, utc.id}
    assert all(len(v) == 10 for v in boards.values())
    assert boards[utc.id][0] == Voter(77, "P0", 3)  # p0 twice + the Top.gg vote of the member who linked P0
    assert boards[tokyo.id][1] == Voter(None, "Early", 1)  # Oct 31 16:00 UTC is November in Tokyo, first of the 1s
    assert "Early" not in {v.name for v in boards[utc.id]}  # but October in UTC
    assert await LeaderboardRepository(pool).top10(windows[1:]) == {utc.id: boards[utc.id]}


def test_ties_policy() -> None:
    voters = [Voter(None, "unlinked", 9), Voter(1, "a", 5), Voter(2, "b", 5), Voter(3, "c", 4)]
    assert top_voter_winners(voters, "all") == [1, 2]
    assert top_voter_winners(voters, "first") == [1]
    assert top_voter_winners([Voter(None, "x", 3)]) == []
