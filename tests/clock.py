"""A clock the tests move by hand: the bot, its scheduler and every service read the time from it."""

from __future__ import annotations

import datetime as dt


class MovableClock:
    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.now = moment

    def advance(self, seconds: float = 0, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds, **delta)
        return self.now
