"""The figures of /stats with the real database: this month against the same days of last month (in the server's
zone, at a month's end, from nothing), the category rank, and a member's place (ties share it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.core import i18n
from bot.core.charts import ChartRenderer
from bot.core.servers import ServerService
from bot.db.links import LinkRepository
from bot.db.records import Server
from bot.db.votes import VoteRepository
from bot.votes.figures import same_span_of_last_month, signed_percent
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.stats.service import StatsService
from cogs.stats.views import change_text
from tests.clock import MovableClock

GUILD = 4242
NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


async def a_server(pool: asyncpg.Pool, servers: ServerService, name: str, **columns: Any) -> Server:
    server = (await servers.add(guild_id=GUILD, name=name, vote_url="https://example.com/vote")).server
    for column, value in columns.items():
        await pool.execute(f"UPDATE servers SET {column} = $2 WHERE id = $1", server.id, value)
    return await servers.get(server.id)


async def votes(pool: asyncpg.Pool, server: Server, times: list[dt.datetime], **kwargs: Any) -> None:
    ledger = VoteLedger(pool)
    for moment in times:
        number = await pool.fetchval("SELECT count(*) FROM votes") + 1
        await ledger.record(Vote(server.id, "topserver", f"v{number}", moment, **kwargs))


def service(pool: asyncpg.Pool, servers: ServerService, now: dt.datetime = NOW) -> StatsService:
    return StatsService(servers, VoteRepository(pool), ChartRenderer(), None, MovableClock(now))  # type: ignore[arg-type]


async def test_this_month_so_far_against_the_same_days_of_last_month_in_the_servers_zone(
    pool: asyncpg.Pool, servers: ServerService
) -> None:
    paris = await a_server(pool, servers, "Paris", timezone="Europe/Paris", category="survival")
    await votes(pool, paris, [at("2026-10-05"), at("2026-10-18", 10)])  # within the same span of October
    await votes(pool, paris, [at("2026-10-18", 12), at("2026-10-25")])  # after it (12:00 UTC is 13:00 in Paris)
    await votes(pool, paris, [dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)])  # November 1 in Paris
    await votes(pool, paris, [at("2026-11-02"), at("2026-11-10"), at("2026-11-18", 11)])

    stats = await service(pool, servers).server_stats(GUILD, "Paris")
    assert stats.month.key == "2026-11" and stats.previous.key == "2026-10"
    assert (stats.total, stats.last_same_span, stats.last_total) == (4, 2, 4)
    assert stats.change == 1.0
    assert stats.days[0] == dt.date(2026, 10, 20) and stats.days[-1] == dt.date(2026, 11, 18)
    assert sum(c.votes for c in stats.counts) == 5  # the chart's 30 days: October 25 onwards
    with i18n.speaking(i18n.ENGLISH):
        assert signed_percent(stats.change) == "+100%"
        assert change_text(stats) == "**+100%**\nSame days of October 2026: 2 · whole month: 4"
    with i18n.speaking(i18n.for_locale("fr")):
        assert signed_percent(0.125) == "+12,5\xa0%"
        assert signed_percent(-0.25) == "-25\xa0%"


def test_the_same_span_ends_with_a_shorter_last_month_and_follows_the_wall_clock() -> None:
    from bot.core.time import month_of, previous_month, zone

    end_of_march = dt.datetime(2027, 3, 31, 20, tzinfo=dt.UTC)
    tz = zone("UTC")
    march, february = month_of(end_of_march, tz), previous_month(end_of_march, tz)
    assert same_span_of_last_month(end_of_march, march, february, "UTC") == february.end  # all of February
    # Berlin put its clocks back on October 25: November 30 12:00 is as far into November as October 30 12:00 (not
    # 11:00) is into October, by the wall clock
    noon = dt.datetime(2026, 11, 30, 11, tzinfo=dt.UTC)
    berlin = zone("Europe/Berlin")
    cutoff = same_span_of_last_month(noon, month_of(noon, berlin), previous_month(noon, berlin), "Europe/Berlin")
    assert cutoff == dt.datetime(2026, 10, 30, 11, tzinfo=dt.UTC)  # 12:00 summer time in Berlin


async def test_a_last_month_without_votes_gives_no_percentage(pool: asyncpg.Pool, servers: ServerService) -> None:
    fresh = await a_server(pool, servers, "Fresh")
    empty = await a_server(pool, servers, "Empty")
    await votes(pool, fresh, [at("2026-10-25"), at("2026-11-03")])  # October's vote is after the same span
    stats = await service(pool, servers).server_stats(GUILD, "Fresh")
    assert (stats.total, stats.last_same_span, stats.last_total, stats.change) == (1, 0, 1, None)
    nothing = await service(pool, servers).server_stats(GUILD, "Empty")
    assert (nothing.total, nothing.change, nothing.counts) == (0, None, ())
    assert empty.id == nothing.server.id
    with i18n.speaking(i18n.ENGLISH):
        assert change_text(stats).startswith("**New this month**\n")
        assert change_text(nothing).startswith("**No votes yet, as in the same days of last month**\n")


async def test_rank_among_the_servers_of_the_category(pool: asyncpg.Pool, servers: ServerService) -> None:
    first = await a_server(pool, servers, "First", category="pvp")
    second = await a_server(pool, servers, "Second", category="pvp")
    other = await a_server(pool, servers, "Other", category="creative")
    await votes(pool, first, [at("2026-11-01"), at("2026-11-02")])
    await votes(pool, second, [at("2026-11-03")])
    await votes(pool, other, [at("2026-11-03")] * 1)
    assert ((await service(pool, servers).server_stats(GUILD, "Second")).rank,) == (2,)
    stats = await service(pool, servers).server_stats(GUILD, "First")
    assert (stats.rank, stats.ranked) == (1, 2)
    alone = await service(pool, servers).server_stats(GUILD, "Other")
    assert (alone.rank, alone.ranked) == (1, 1)


async def test_a_members_place_among_this_months_voters_ties_share_it(
    pool: asyncpg.Pool, servers: ServerService
) -> None:
    server = await a_server(pool, servers, "Ranked")
    alice, bob, carol, dave = 11, 12, 13, 14
    await LinkRepository(pool).link(server.id, carol, "CarolInGame")
    await votes(pool, server, [at("2026-11-01")] * 5, player_name="Stranger")  # nobody linked it: still a voter
    await votes(pool, server, [at("2026-11-02"), at("2026-11-03"), at("2026-11-04")], discord_user_id=alice)
    await votes(pool, server, [at("2026-11-05"), at("2026-11-06")], discord_user_id=bob)
    await votes(pool, server, [at("2026-11-07")], discord_user_id=bob, weight=1)
    await votes(pool, server, [at("2026-11-08"), at("2026-11-09")], player_name="carolingame")  # attributed to Carol
    await votes(pool, server, [at("2026-10-30")] * 9, discord_user_id=dave)  # last month: not this month's voter

    stats = service(pool, servers)
    found = {m: await stats.member_stats(GUILD, None, m) for m in (alice, bob, carol, dave)}
    assert {m: (s.points, s.place, s.voters) for m, s in found.items()} == {
        alice: (3, 2, 4),
        bob: (3, 2, 4),  # tied with Alice: the same place
        carol: (2, 4, 4),  # after two members on place 2 comes place 4
        dave: (0, None, 4),
    }
    carols = found[carol]
    assert carols.days[0] == dt.date(2026, 11, 1) and carols.days[-1] == dt.date(2026, 11, 18)
    assert [(c.day.day, c.votes) for c in carols.counts] == [(8, 1), (9, 1)]
