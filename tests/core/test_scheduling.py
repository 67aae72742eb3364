"""Spreading work for many servers over an interval."""

from __future__ import annotations

import datetime as dt

from bot.core.scheduling import spread_offset, turn_of


def test_turns_spread_many_servers_over_the_interval() -> None:
    start = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    interval = 600.0
    first = {key: turn_of(key, interval, start) for key in range(1, 5001)}
    changes_per_tick = []
    for tick in range(1, 41):  # every 15 s for one interval
        now = start + dt.timedelta(seconds=15 * tick)
        changed = sum(1 for key in first if turn_of(key, interval, now) != first[key])
        changes_per_tick.append(changed - sum(changes_per_tick))
    assert sum(changes_per_tick) == 5000  # every server's turn comes once in the interval
    assert max(changes_per_tick) < 2 * 5000 / 40  # about 125 a tick, never a storm
    assert spread_offset(7, interval) == spread_offset(7, interval) < dt.timedelta(seconds=interval)
