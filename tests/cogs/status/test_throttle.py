"""The limit on on-demand probes (/status-admin check and configure), on an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.errors import UserError
from cogs.status.throttle import ProbeThrottle

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def test_per_member_and_per_guild_windows() -> None:
    clock = Clock()
    throttle = ProbeThrottle(clock, per_member=2, per_guild=3)
    throttle.acquire(1, 10)
    throttle.acquire(1, 10)
    with pytest.raises(UserError, match=rf"Try again <t:{int(T0.timestamp()) + 61}:R>"):
        throttle.acquire(1, 10)  # the member's two are used up
    throttle.acquire(1, 11)
    with pytest.raises(UserError, match="per Discord server"):
        throttle.acquire(1, 12)  # the guild's three are used up, whoever asks
    throttle.acquire(2, 12)  # another guild is not affected
    clock.now += dt.timedelta(seconds=59)
    with pytest.raises(UserError):
        throttle.acquire(1, 12)  # refused attempts did not push the window further out
    clock.now += dt.timedelta(seconds=1)
    throttle.acquire(1, 12)
    throttle.acquire(1, 10)
