"""A clock the tests move by hand: the bot, its scheduler, its web server and every service read the time from it.

It starts at :data:`PINNED`, never at the wall clock, so no test depends on the day or the hour it runs at;
a test that needs another instant (a month's end, a slot boundary in some time zone) sets it.
"""

from __future__ import annotations

import datetime as dt

PINNED = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
"""Noon UTC on a Wednesday in mid-month: the same date, week and month in every zone from UTC−11 to UTC+11."""


class MovableClock:
    def __init__(self, now: dt.datetime = PINNED) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.now = moment

    def advance(self, seconds: float = 0, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds, **delta)
        return self.now
