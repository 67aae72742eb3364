"""Wipe occurrences and due announcements without Discord; the maintenance calendar against the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import asyncpg

from bot.core.servers import ServerService
from cogs.wipes.calendar import due_for, notice_for, nth_occurrence, occurrences_around
from cogs.wipes.repository import Wipe, WipeRepository
from cogs.wipes.service import WipeCalendar

UTC = dt.UTC


def wipe(starts_at: dt.datetime, repeat: str = "none", hours: int = 2) -> Wipe:
    return Wipe(
        1, 1, "Wipe", "", starts_at, dt.timedelta(hours=hours), repeat, False, None, "discord", None, None, None
    )


def test_weekly_keeps_local_time_across_dst() -> None:
    start = dt.datetime(2026, 10, 22, 16, 0, tzinfo=UTC)  # 18:00 in Berlin (summer time)
    w = wipe(start, "weekly")
    assert nth_occurrence(w, 1, "Europe/Berlin") == dt.datetime(2026, 10, 29, 17, 0, tzinfo=UTC)  # 18:00 winter
    assert nth_occurrence(wipe(start, "biweekly"), 1, "UTC") == start + dt.timedelta(weeks=2)


def test_what_members_told_of_a_start_must_hear() -> None:
    start = dt.datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
    now = start - dt.timedelta(hours=20)
    weekly = wipe(start, "weekly")
    second = start + dt.timedelta(weeks=1)
    assert notice_for(weekly, "UTC", second, second - dt.timedelta(hours=20)) is None  # still on
    moved = replace(weekly, starts_at=start + dt.timedelta(days=1))
    assert notice_for(moved, "UTC", start, now) == ("moved", start + dt.timedelta(days=1))
    # a series moved by exactly a week still starts at the announced second occurrence: nothing to say
    assert notice_for(replace(weekly, starts_at=second), "UTC", second, now) is None
    assert notice_for(replace(weekly, cancelled_at=now), "UTC", start, now) == ("cancelled", None)
    late = start + dt.timedelta(minutes=30)  # cancelled once under way: the start was real
    assert notice_for(replace(weekly, cancelled_at=late), "UTC", start, late) is None


def test_monthly_clamps_to_the_last_day() -> None:
    w = wipe(dt.datetime(2026, 1, 31, 18, 0, tzinfo=UTC), "monthly")
    assert nth_occurrence(w, 1, "UTC") == dt.datetime(2026, 2, 28, 18, 0, tzinfo=UTC)
    assert nth_occurrence(w, 2, "UTC") == dt.datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    now = dt.datetime(2026, 3, 5, tzinfo=UTC)
    assert occurrences_around(w, "UTC", now) == (
        dt.datetime(2026, 2, 28, 18, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 18, 0, tzinfo=UTC),
    )


def test_due_announcements_and_wake_times() -> None:
    start = dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    w = wipe(start)
    assert due_for(w, 9, "UTC", start - dt.timedelta(days=3)) == ([], start - dt.timedelta(hours=24))
    due, wake = due_for(w, 9, "UTC", start - dt.timedelta(hours=5))
    assert [(d.kind, d.occurrence) for d in due] == [("reminder", start)] and wake == start
    due, wake = due_for(w, 9, "UTC", start + dt.timedelta(minutes=1))
    assert [(d.kind, d.occurrence) for d in due] == [("start", start)] and wake is None
    assert due_for(w, 9, "UTC", start + dt.timedelta(hours=4)) == ([], None)  # too late to say "starting now"
    weekly = wipe(start, "weekly")
    due, wake = due_for(weekly, 9, "UTC", start + dt.timedelta(days=6, hours=1))
    assert [(d.kind, d.occurrence) for d in due] == [("reminder", start + dt.timedelta(weeks=1))]


async def test_next_wipe_and_window(pool: asyncpg.Pool, servers: ServerService) -> None:
    server = (await servers.add(guild_id=5, name="A", vote_url="https://e.com")).server
    calendar = WipeCalendar(pool, servers)
    start = dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert await calendar.next_start(server.id, start) is None
    await WipeRepository(pool).create(
        server_id=server.id, title="W", description="", starts_at=start, duration=dt.timedelta(hours=2), repeat="weekly"
    )
    assert await calendar.next_start(server.id, start - dt.timedelta(hours=1)) == start
    assert await calendar.next_start(server.id, start + dt.timedelta(hours=1)) == start + dt.timedelta(weeks=1)
    assert not await calendar.in_window(server.id, start - dt.timedelta(minutes=1))
    assert await calendar.in_window(server.id, start + dt.timedelta(minutes=119))
    assert not await calendar.in_window(server.id, start + dt.timedelta(hours=2))
    assert await calendar.in_window(server.id, start + dt.timedelta(weeks=3, minutes=5))
