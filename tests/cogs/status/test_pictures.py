"""The status picture's data with the real database: one point per hour (gaps where nobody answered), the uptime
strip's cells (unknown is not down: the bot not running is unknown), the same figures before and after compaction,
and days in the server's zone across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.i18n import language, speaking
from cogs.status.alerts import MonitorState, State
from cogs.status.pictures import (
    DOWN,
    UNKNOWN,
    UP,
    classify,
    history_start,
    players_per_hour,
    status_picture,
    strip_days,
    uptime_cells,
)
from cogs.status.query import QueryResult
from cogs.status.repository import HourStats, StatusRepository, StatusSettings
from tests.cogs.status.test_repository import new_server

H = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
HOUR, MINUTE = dt.timedelta(hours=1), dt.timedelta(minutes=1)
PARIS = ZoneInfo("Europe/Paris")


def answered(players: int) -> QueryResult:
    return QueryResult(online=True, players=players, max_players=10, name="A")


SILENT = QueryResult(online=False, error="no answer within 0.2 s")


async def probe(
    pool: asyncpg.Pool, repo: StatusRepository, server_id: int, at: dt.datetime, result: QueryResult
) -> None:
    state = MonitorState(State.UP if result.online else State.DOWN, since=at, last_probe_at=at)
    async with pool.acquire() as connection, connection.transaction():
        await repo.record_probe(connection, server_id, at, result, state, None)


async def six_hours(pool: asyncpg.Pool) -> tuple[StatusRepository, int]:
    """A probe a minute (interval 60 s) over six hours from H, as the monitor records them:

    H+0 answers all hour except five minutes (10–14)             → down
    H+1 answers all hour but one lost answer, rechecked 15 s on  → up
    H+2 the bot was not running                                   → unknown
    H+3 the bot came back at :40, the server answers              → unknown (20 minutes known)
    H+4 checked :00–:19 only, five minutes of it without answer   → down (a known outage shows)
    H+5 answers all hour with nobody on                           → up, 0 players
    """
    repo = StatusRepository(pool)
    server_id = await new_server(pool)
    await repo.save_settings(StatusSettings(server_id, interval_s=60))
    at = [H + m * MINUTE for m in range(60)]
    for i, moment in enumerate(at):
        await probe(pool, repo, server_id, moment, SILENT if 10 <= i < 15 else answered(i % 7))
    for i, moment in enumerate(m + HOUR for m in at):
        await probe(pool, repo, server_id, moment, answered(4))
        if i == 20:
            await probe(pool, repo, server_id, moment + dt.timedelta(seconds=45), SILENT)
    for moment in (m + 3 * HOUR for m in at[40:]):
        await probe(pool, repo, server_id, moment, answered(8))
    for i, moment in enumerate(m + 4 * HOUR for m in at[:20]):
        await probe(pool, repo, server_id, moment, SILENT if 5 <= i < 10 else answered(9))
    for moment in (m + 5 * HOUR for m in at):
        await probe(pool, repo, server_id, moment, answered(0))
    return repo, server_id


async def test_each_hour_is_up_down_or_unknown_and_the_bot_away_is_unknown(pool: asyncpg.Pool) -> None:
    repo, server_id = await six_hours(pool)
    end = H + 6 * HOUR
    hours = {h.hour: h for h in await repo.hours(server_id, H, end)}
    assert sorted(hours) == [H, H + HOUR, H + 3 * HOUR, H + 4 * HOUR, H + 5 * HOUR]  # nothing while the bot was away
    assert hours[H].down_s == pytest.approx(5 * 60) and hours[H].up_s == pytest.approx(55 * 60)
    assert hours[H + HOUR].down_s == pytest.approx(15)  # one lost answer, rechecked 15 s later
    assert hours[H + 3 * HOUR].known_s == pytest.approx(20 * 60)
    assert hours[H + 4 * HOUR].known_s == pytest.approx(20 * 60 + 60)  # the last check stands for two intervals
    cells = [classify([hours[h]] if h in hours else []) for h in (H + n * HOUR for n in range(6))]
    assert cells == [DOWN, UP, UNKNOWN, UNKNOWN, DOWN, UP]
    players = players_per_hour(list(hours.values()), end)
    assert [p for _hour, p in players[-6:]] == [6, 4, None, 8, 9, 0]  # a gap where nobody answered, not a zero
    assert [p for _hour, p in players[:-6]] == [None] * 18  # before monitoring started: unknown
    everything_silent = [HourStats(H, up_s=0, down_s=3600, samples=60, peak_players=None)]
    assert players_per_hour(everything_silent, H + HOUR)[-1] == (H, None)
    assert classify(everything_silent) == DOWN


async def test_the_hours_are_the_same_before_and_after_compaction(pool: asyncpg.Pool) -> None:
    repo, server_id = await six_hours(pool)
    end = H + 6 * HOUR
    before = await repo.hours(server_id, H, end)
    for later in (H + 6 * HOUR + 30 * MINUTE, H + 8 * HOUR):  # the hourly job, then once everything is folded
        assert await repo.compact(later) > 0
        after = await repo.hours(server_id, H, end)
        assert [(h.hour, h.samples, h.peak_players) for h in after] == [
            (h.hour, h.samples, h.peak_players) for h in before
        ]
        for old, new in zip(before, after, strict=True):
            assert (new.up_s, new.down_s) == pytest.approx((old.up_s, old.down_s), abs=61)  # the last check's span
            assert classify([new]) == classify([old])
    assert await pool.fetchval("SELECT count(*) FROM status_samples WHERE server_id = $1", server_id) == 0


async def test_samples_of_the_current_hour_do_not_count(pool: asyncpg.Pool) -> None:
    repo, server_id = await six_hours(pool)
    end = H + 5 * HOUR  # the picture drawn during H+5: the hour is not over
    hours = await repo.hours(server_id, H, end)
    assert max(h.hour for h in hours) == H + 4 * HOUR
    await probe(pool, repo, server_id, end + MINUTE, answered(99))
    assert await repo.hours(server_id, H, end) == hours


async def test_the_strip_is_seven_local_days_of_24_hours() -> None:
    end = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # 13:00 in Paris
    days = strip_days(end, PARIS)
    assert days == [dt.date(2026, 11, 18) + dt.timedelta(days=n) for n in range(7)]
    assert history_start(end, PARIS) == dt.datetime(2026, 11, 17, 23, 0, tzinfo=dt.UTC)  # Paris midnight, Nov 18
    cells = uptime_cells([], end, PARIS)  # never checked: every hour that is over is unknown, none is down
    assert [day for day, _values in cells] == days
    assert all(values == [UNKNOWN] * 24 for _day, values in cells[:6])
    assert cells[6][1] == [UNKNOWN] * 13 + [None] * 11  # today in Paris: 00:00 to 12:00 are over (13:00 is not)
    assert strip_days(dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC), ZoneInfo("UTC"))[-1] == dt.date(2026, 11, 23)


async def test_a_dst_day_in_the_servers_zone(pool: asyncpg.Pool) -> None:
    """Paris goes back from 03:00 CEST to 02:00 CET on 25 October 2026: that day has 25 hours, the 02:00 cell is
    made of two UTC hours. New York skips 02:00 on 8 March 2026: that day has no 02:00 cell."""
    repo = StatusRepository(pool)
    server_id = await new_server(pool)
    end = dt.datetime(2026, 10, 26, 6, 0, tzinfo=dt.UTC)
    start = history_start(end, PARIS)
    hour = start
    while hour < end:  # a week up, except the first of the two 02:00 hours (00:00 UTC): ten minutes down
        down = 600.0 if hour == dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC) else 0.0
        await repo.add_hour(server_id, HourStats(hour, 3600 - down, down, 60, 5))
        hour += HOUR
    hours = await repo.hours(server_id, start, end)
    assert len(hours) == 5 * 24 + 25 + 7  # Oct 20–24, the 25-hour day, and Oct 26 until 07:00 CET
    cells = dict(uptime_cells(hours, end, PARIS))
    assert cells[dt.date(2026, 10, 25)] == [UP, UP, DOWN] + [UP] * 21
    assert cells[dt.date(2026, 10, 26)] == [UP] * 7 + [None] * 17
    assert all(values == [UP] * 24 for day, values in cells.items() if day < dt.date(2026, 10, 25))
    with speaking(language("fr")):  # type: ignore[arg-type]
        players, strip = status_picture(hours, end, PARIS, "Europe/Paris").charts
        back, _strip = status_picture(hours, end - 24 * HOUR, PARIS, "Europe/Paris").charts
    assert players.labels[0] == "07:00" and players.labels[-1] == "06:00"  # 05:00 UTC is 06:00 CET
    assert back.labels.count("02:00") == 2 and len(back.labels) == 24  # the day the clocks went back
    assert [s.name for s in strip.series][-2:] == ["25 oct.", "26 oct."]
    assert "Europe/Paris" in strip.title and len(strip.legend) == 3 and players.decimal == ","  # French numbers

    new_york = ZoneInfo("America/New_York")
    spring = dt.datetime(2026, 3, 9, 5, 0, tzinfo=dt.UTC)  # midnight in New York, the day after
    cells = dict(uptime_cells([], spring, new_york))
    assert cells[dt.date(2026, 3, 8)] == [UNKNOWN, UNKNOWN, None] + [UNKNOWN] * 21  # 02:00 never happened


async def test_an_hour_of_the_strip_needs_half_of_it_known() -> None:
    assert classify([HourStats(H, up_s=1800)]) == UP
    assert classify([HourStats(H, up_s=1799)]) == UNKNOWN
    assert classify([HourStats(H, up_s=600, down_s=60)]) == DOWN  # a known outage shows even in a half-known hour
    assert classify([HourStats(H, up_s=3540, down_s=59)]) == UP  # under a minute without an answer: a blip
    assert classify([HourStats(H, up_s=1000), HourStats(H + HOUR, up_s=2600)], 7200) == UP  # the repeated hour


def test_the_picture_setting_is_declared_and_validated_like_every_setting() -> None:
    board = features().get("status_board")
    assert board.current({}) == {"picture": False}  # off by default
    assert board.parse_settings({"picture": "on"}) == {"picture": True}  # what `votebot feature set --set` gives
    with pytest.raises(Exception, match="on or off"):
        board.parse_settings({"picture": "maybe"})
