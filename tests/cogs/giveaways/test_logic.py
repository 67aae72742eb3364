"""Giveaway logic without Discord: durations, prizes, the weighted draw."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from random import Random

import pytest

from bot.core.errors import UserError
from bot.core.time import add_months, month_of, parse_duration, parse_local, zone
from cogs.giveaways.draws import clean_prize, pick_winners


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h30m", dt.timedelta(minutes=90)),
        ("2d", dt.timedelta(days=2)),
        ("1w 2d", dt.timedelta(days=9)),
        ("8w", dt.timedelta(weeks=8)),
        (" 45M ", dt.timedelta(minutes=45)),
    ],
)
def test_parse_duration(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0m", "30s", "8w1s", "", "1x", "h", "-1h", "1h and 2m", "9999999d"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(UserError):
        parse_duration(text)


def test_prize_is_trimmed_and_limited() -> None:
    assert clean_prize("  Nitro \n classic ") == "Nitro classic"
    with pytest.raises(UserError):
        clean_prize("   ")
    with pytest.raises(UserError):
        clean_prize("x" * 201)


def test_local_dates_and_months() -> None:
    assert parse_local("2026-07-01 18:00", "Europe/Berlin") == dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC)
    with pytest.raises(UserError):
        parse_local("tomorrow", "UTC")
    moment = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # already December in Berlin
    assert month_of(moment, zone("Europe/Berlin")).start == dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    assert add_months(dt.datetime(2026, 1, 31, 18, 0), 1) == dt.datetime(2026, 2, 28, 18, 0)  # noqa: DTZ001


def test_draw_excludes_and_never_repeats() -> None:
    snapshot = [(1, 1), (2, 1), (3, 1)]
    rng = secrets.SystemRandom()
    winners = pick_winners(snapshot, 2, set(), rng)
    assert len(set(winners)) == 2
    assert pick_winners(snapshot, 5, {1}, rng) in ([2, 3], [3, 2])  # more winners than entrants: all drawn
    assert pick_winners(snapshot, 1, {1, 2, 3}, rng) == []


def test_draw_is_weighted_by_tickets() -> None:
    rng = Random(7)
    counts = Counter(pick_winners([(1, 3), (2, 1)], 1, set(), rng)[0] for _ in range(4000))
    assert 0.7 < counts[1] / 4000 < 0.8
