"""``VoteRepository.daily_counts``: vote points per local day and listing site, in ``[start, end)``, with the real
database — local days in a zone across its DST changes, weights summed, other servers left out."""

from __future__ import annotations

import datetime as dt
import itertools

import asyncpg

from bot.core.time import day_of, zone
from bot.db.votes import DayCount, VoteRepository
from tests.web.conftest import add_server

PARIS = "Europe/Paris"  # summer time ends on 25 October 2026 (03:00 CEST → 02:00 CET) and starts on 29 March
_ids = itertools.count(1)


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


async def vote(pool: asyncpg.Pool, server_id: int, at: dt.datetime, provider: str = "topgg", weight: int = 1) -> None:
    await pool.execute(
        "INSERT INTO votes (server_id, provider, external_id, player_name, weight, voted_at)"
        " VALUES ($1, $2, $3, 'Steve', $4, $5)",
        server_id,
        provider,
        f"v{next(_ids)}",
        weight,
        at,
    )


def window(first: dt.date, last: dt.date, name: str) -> tuple[dt.datetime, dt.datetime]:
    """From ``first``'s local midnight to the one after ``last`` (what the charts ask for)."""
    return day_of(first, zone(name)).start, day_of(last, zone(name)).end


async def test_local_days_across_the_autumn_change_with_weights_summed(pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    other = await add_server(pool, "Other", guild_id=2)
    start, end = window(dt.date(2026, 10, 24), dt.date(2026, 10, 26), PARIS)
    assert (start, end) == (utc(10, 23, 22), utc(10, 26, 23))  # CEST (+2) at the start, CET (+1) at the end
    await vote(pool, server_id, utc(10, 23, 21, 59))  # 23 Oct 23:59 in Paris: before the window
    await vote(pool, server_id, utc(10, 23, 22))  # 24 Oct 00:00: the first instant counts
    await vote(pool, server_id, utc(10, 24, 22, 30))  # 25 Oct 00:30 CEST (the 24th in UTC)
    await vote(pool, server_id, utc(10, 25, 0, 30), "topserver", weight=2)  # 02:30 CEST, the first time round
    await vote(pool, server_id, utc(10, 25, 1, 30), "topserver", weight=3)  # 02:30 CET, the second time round
    await vote(pool, server_id, utc(10, 25, 22, 30))  # 25 Oct 23:30 CET (it would be the 26th at +2)
    await vote(pool, server_id, utc(10, 25, 23, 30), "votifier", weight=2)  # 26 Oct 00:30 CET
    await vote(pool, server_id, utc(10, 26, 12), "votifier")
    await vote(pool, server_id, utc(10, 26, 23))  # 27 Oct 00:00: the end is not in the window
    await vote(pool, other, utc(10, 25, 12), weight=9)  # another server's
    counts = await VoteRepository(pool).daily_counts(server_id, start, end, PARIS)
    assert counts == [
        DayCount(dt.date(2026, 10, 24), "topgg", 1),
        DayCount(dt.date(2026, 10, 25), "topgg", 2),
        DayCount(dt.date(2026, 10, 25), "topserver", 5),  # the 25-hour day holds both 02:30s
        DayCount(dt.date(2026, 10, 26), "votifier", 3),
    ]


async def test_local_days_across_the_spring_change(pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    start, end = window(dt.date(2026, 3, 28), dt.date(2026, 3, 30), PARIS)
    assert end - start == dt.timedelta(hours=71)  # the 23-hour day
    await vote(pool, server_id, utc(3, 28, 23, 30))  # 29 Mar 00:30 CET
    await vote(pool, server_id, utc(3, 29, 21, 30))  # 29 Mar 23:30 CEST (it would be 22:30 at +1)
    await vote(pool, server_id, utc(3, 29, 22, 30))  # 30 Mar 00:30 CEST
    await vote(pool, server_id, utc(3, 30, 21, 59))  # 30 Mar 23:59 CEST: the last minute counts
    counts = await VoteRepository(pool).daily_counts(server_id, start, end, PARIS)
    assert counts == [DayCount(dt.date(2026, 3, 29), "topgg", 2), DayCount(dt.date(2026, 3, 30), "topgg", 2)]


async def test_the_zone_decides_the_day_and_days_without_votes_are_left_out(pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    await vote(pool, server_id, utc(11, 10, 23, 30), "gamemonitoring", weight=4)  # 11 Nov in Paris, 10th in UTC
    await vote(pool, server_id, utc(11, 13, 12))
    repository = VoteRepository(pool)
    paris = await repository.daily_counts(server_id, *window(dt.date(2026, 11, 9), dt.date(2026, 11, 15), PARIS), PARIS)
    assert paris == [DayCount(dt.date(2026, 11, 11), "gamemonitoring", 4), DayCount(dt.date(2026, 11, 13), "topgg", 1)]
    in_utc = await repository.daily_counts(
        server_id, *window(dt.date(2026, 11, 9), dt.date(2026, 11, 15), "UTC"), "UTC"
    )
    assert in_utc[0] == DayCount(dt.date(2026, 11, 10), "gamemonitoring", 4)
    assert await repository.daily_counts(server_id, utc(11, 14, 0), utc(11, 20, 0), PARIS) == []
