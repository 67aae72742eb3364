"""The monthly recap's figures on the real database (local month boundaries, the change, the best day and its ties,
an empty month), when it is due, and its embed's texts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import asyncpg

from bot.core.servers import ServerService
from bot.core.time import month_of, parse_hhmm, zone
from bot.db.records import Server
from bot.db.votes import DayCount
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.leaderboards.recap import MonthFigures, best_day, month_figures, recap_due
from cogs.leaderboards.views import change_text, recap_embed
from tests.cli.test_cli import votebot

UTC = dt.UTC
OCTOBER = dt.datetime(2026, 10, 15, 12, tzinfo=UTC)


async def a_server(servers: ServerService, pool: asyncpg.Pool, timezone: str = "UTC") -> Server:
    server = (await servers.add(guild_id=1, name="Alpha", vote_url="https://e.com")).server
    await pool.execute("UPDATE servers SET timezone = $2 WHERE id = $1", server.id, timezone)
    return await servers.get(server.id)


async def vote(pool: asyncpg.Pool, server: Server, key: str, at: dt.datetime, provider: str = "topserver") -> None:
    if provider == "topgg":
        await VoteLedger(pool).record(Vote(server.id, provider, key, at, discord_user_id=77))
    else:
        await VoteLedger(pool).record(Vote(server.id, provider, key, at, player_name=f"p{key[-1]}"))


async def figures_of(pool: asyncpg.Pool, server: Server, at: dt.datetime = OCTOBER) -> MonthFigures:
    tz = zone(server.timezone)
    return await month_figures(pool, server.id, month_of(at, tz), tz)


async def test_total_change_best_day_and_local_boundaries(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = await a_server(servers, pool, "America/New_York")
    for n in range(3):
        await vote(pool, server, f"s{n}", dt.datetime(2026, 9, 10, 12, tzinfo=UTC))
    await vote(pool, server, "s3", dt.datetime(2026, 10, 1, 3, 30, tzinfo=UTC))  # 23:30 on Sep 30 local: September
    await vote(pool, server, "o1", dt.datetime(2026, 10, 3, 12, tzinfo=UTC))
    await vote(pool, server, "o2", dt.datetime(2026, 10, 3, 13, tzinfo=UTC), "topgg")
    await vote(pool, server, "o3", dt.datetime(2026, 10, 20, 12, tzinfo=UTC))
    await vote(pool, server, "o4", dt.datetime(2026, 11, 1, 3, 30, tzinfo=UTC))  # 23:30 on Oct 31 local
    await vote(pool, server, "o5", dt.datetime(2026, 11, 1, 3, 40, tzinfo=UTC), "topgg")
    await vote(pool, server, "n1", dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC))  # 00:30 on Nov 1: November's

    figures = await figures_of(pool, server)
    assert figures.month.key == "2026-10" and figures.before.key == "2026-09"
    assert (figures.total, figures.previous_total, figures.change) == (5, 4, 1)
    assert figures.ratio == 0.25
    assert figures.best_day == (dt.date(2026, 10, 3), 2)  # tied with Oct 31 (2): the earliest
    assert len(figures.days) == 31 and figures.days[0] == dt.date(2026, 10, 1) and figures.days[-1].day == 31
    by_site = {(c.day, c.provider): c.votes for c in figures.counts}
    assert by_site[(dt.date(2026, 10, 31), "topserver")] == 1 and by_site[(dt.date(2026, 10, 31), "topgg")] == 1
    assert figures.voters[0].member_id == 77 and figures.voters[0].votes == 2  # two Top.gg votes of one member
    assert change_text(figures) == "**5** votes in October 2026: +1 (+25%) against 4 in September 2026."


async def test_a_drop_an_empty_month_before_and_an_empty_month(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = await a_server(servers, pool)
    await vote(pool, server, "s1", dt.datetime(2026, 9, 1, tzinfo=UTC))
    await vote(pool, server, "s2", dt.datetime(2026, 9, 30, 23, 59, tzinfo=UTC))
    await vote(pool, server, "s3", dt.datetime(2026, 9, 2, tzinfo=UTC))
    await vote(pool, server, "o1", dt.datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    october = await figures_of(pool, server)
    assert (october.total, october.change) == (1, -2)
    assert october.ratio is not None and abs(october.ratio + 2 / 3) < 1e-9
    assert change_text(october) == "**1** vote in October 2026: -2 (-66.7%) against 3 in September 2026."
    assert october.best_day == (dt.date(2026, 10, 31), 1)

    september = await figures_of(pool, server, dt.datetime(2026, 9, 15, tzinfo=UTC))
    assert (september.total, september.previous_total, september.ratio) == (3, 0, None)  # no percent after nothing
    assert change_text(september) == "**3** votes in September 2026; none in August 2026."
    assert september.best_day == (dt.date(2026, 9, 1), 1)  # three days of 1: the first

    november = await figures_of(pool, server, dt.datetime(2026, 11, 15, tzinfo=UTC))
    assert (november.total, november.previous_total, november.change) == (0, 1, -1)
    assert november.best_day is None and november.voters == () and november.counts == ()
    assert len(november.days) == 30

    unchanged = MonthFigures(october.month, october.before, 3, 3, (), (), october.days)
    assert change_text(unchanged) == "**3** votes in October 2026: 0 (0%) against 3 in September 2026."


def test_best_day_adds_up_the_sites_and_breaks_ties_by_the_earliest_day() -> None:
    day = dt.date(2026, 10, 1)
    counts = [
        DayCount(day + dt.timedelta(days=9), "topgg", 2),
        DayCount(day + dt.timedelta(days=9), "topserver", 1),
        DayCount(day + dt.timedelta(days=2), "topserver", 3),
        DayCount(day + dt.timedelta(days=20), "gamemonitoring", 3),
    ]
    assert best_day(counts) == (dt.date(2026, 10, 3), 3)
    assert best_day(counts[:2]) == (dt.date(2026, 10, 10), 3)
    assert best_day([]) is None


def test_due_from_the_post_time_on_the_first_for_three_days_in_local_time() -> None:
    new_york, nine = zone("America/New_York"), parse_hhmm("09:00")
    assert recap_due(dt.datetime(2026, 11, 1, 13, 59, tzinfo=UTC), new_york, nine) is None  # 08:59 EST
    due = recap_due(dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC), new_york, nine)
    assert due is not None and due.key == "2026-10"
    assert due.start == dt.datetime(2026, 10, 1, 4, tzinfo=UTC) and due.end == dt.datetime(2026, 11, 1, 4, tzinfo=UTC)
    last = recap_due(dt.datetime(2026, 11, 4, 13, 59, tzinfo=UTC), new_york, nine)
    assert last is not None and last.key == "2026-10"
    assert recap_due(dt.datetime(2026, 11, 4, 14, 0, tzinfo=UTC), new_york, nine) is None
    assert recap_due(dt.datetime(2026, 11, 20, 14, 0, tzinfo=UTC), new_york, nine) is None
    # 01:30 comes twice on Nov 1 in New York: due from the first (EDT)
    twice = parse_hhmm("01:30")
    assert recap_due(dt.datetime(2026, 11, 1, 5, 29, tzinfo=UTC), new_york, twice) is None
    assert recap_due(dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC), new_york, twice) is not None
    # January's 1st recaps December of the year before; Tokyo's 1st starts while it is still the 31st in UTC
    january = recap_due(dt.datetime(2027, 1, 1, 9, tzinfo=UTC), zone("UTC"), nine)
    assert january is not None and january.key == "2026-12"
    tokyo = recap_due(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC), zone("Asia/Tokyo"), parse_hhmm("00:00"))
    assert tokyo is not None and tokyo.key == "2026-11"


async def test_the_embed_names_the_month_ranks_voters_and_shows_the_chart(
    pool: asyncpg.Pool, servers: ServerService
) -> None:
    server = await a_server(servers, pool)
    await vote(pool, server, "o1", dt.datetime(2026, 10, 3, 12, tzinfo=UTC), "topgg")
    await vote(pool, server, "o2", dt.datetime(2026, 10, 4, 12, tzinfo=UTC))
    figures = await figures_of(pool, server)
    embed = recap_embed(server, figures, {}, "attachment://votes-2026-10.png")
    assert embed.title == "Alpha — October 2026 in review"
    assert [f.name for f in embed.fields] == ["Top voters", "Best day"]
    assert embed.fields[0].value == "🥇 <@77> — **1** vote\n🥈 p2 — **1** vote"
    assert embed.fields[1].value == "October 3, 2026: **1** vote"
    assert embed.image.url == "attachment://votes-2026-10.png"


async def test_the_cli_switches_the_recap_off_and_on_like_the_post_time(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, servers: ServerService
) -> None:
    server = await a_server(servers, pool)
    args = ("feature", "set", str(server.id), "daily_leaderboard", "--on", "--channel", "5")
    off = votebot(tmp_path, database_url, *args, "--set", "monthly_recap=false", "--set", "post_time=10:00")
    assert off.returncode == 0, off.stderr
    stored = "SELECT settings FROM server_features WHERE server_id = $1 AND feature = 'daily_leaderboard'"
    assert await pool.fetchval(stored, server.id) == {"monthly_recap": False, "post_time": "10:00"}
    refused = votebot(tmp_path, database_url, *args, "--set", "monthly_recap=maybe")
    assert refused.returncode != 0 and "monthly recap" in refused.stderr, refused.stderr
    on = votebot(tmp_path, database_url, *args, "--set", "monthly_recap=on")
    assert on.returncode == 0, on.stderr
    assert (await pool.fetchval(stored, server.id))["monthly_recap"] is True
