"""Local periods across DST and month ends, quiet hours and name escaping."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.i18n import language, speaking
from bot.core.text import clean_player_name, safe_name
from bot.core.time import (
    day_label,
    day_of,
    format_duration,
    local_at,
    month_label,
    month_of,
    previous_month,
    quiet_until,
    slot_of,
    zone,
)

BERLIN = zone("Europe/Berlin")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_months_and_days_follow_the_zone() -> None:
    # 23:30 UTC on Oct 31 is already November in Berlin
    month = month_of(utc(2026, 10, 31, 23, 30), BERLIN)
    assert month.key == "2026-11" and month.start == utc(2026, 10, 31, 23) and month.end == utc(2026, 11, 30, 23)
    assert previous_month(utc(2026, 11, 1, 0, 0), BERLIN).key == "2026-10"
    assert previous_month(utc(2026, 1, 1, 0, 0), zone("UTC")).key == "2025-12"
    # the day DST ends has 25 hours, the day it starts 23
    assert day_of(dt.date(2026, 10, 25), BERLIN).end - day_of(dt.date(2026, 10, 25), BERLIN).start == dt.timedelta(
        hours=25
    )
    spring = day_of(dt.date(2026, 3, 29), BERLIN)
    assert spring.end - spring.start == dt.timedelta(hours=23)
    assert zone("Not/AZone").key == "UTC"


def test_local_times_across_dst() -> None:
    assert local_at(dt.date(2026, 3, 28), dt.time(9), BERLIN) == utc(2026, 3, 28, 8)
    assert local_at(dt.date(2026, 3, 29), dt.time(9), BERLIN) == utc(2026, 3, 29, 7)
    assert local_at(dt.date(2026, 3, 29), dt.time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 30)  # skipped: 03:30 CEST
    assert local_at(dt.date(2026, 10, 25), dt.time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)  # first occurrence


def test_slots_anchor_at_local_midnight() -> None:
    slot = slot_of(utc(2026, 11, 24, 11, 30), BERLIN, dt.timedelta(hours=12))
    assert slot.start == utc(2026, 11, 24, 11) and slot.key == "2026-11-24#1"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 24, 22, 0), utc(2026, 11, 25, 7, 0)),  # 23:00 Berlin, wraps midnight
        (utc(2026, 11, 25, 6, 0), utc(2026, 11, 25, 7, 0)),  # 07:00 Berlin
        (utc(2026, 11, 25, 7, 0), None),  # 08:00 Berlin: over
        (utc(2026, 11, 24, 12, 0), None),
    ],
)
def test_quiet_hours(now: dt.datetime, expected: dt.datetime | None) -> None:
    assert quiet_until(now, BERLIN, 22 * 60, 8 * 60) == expected


def test_names_are_made_harmless() -> None:
    assert safe_name("@everyone") == "@\u200beveryone"
    assert safe_name("**bold** _x_") == "\\*\\*bold\\*\\* \\_x\\_"
    assert clean_player_name("St\u200beve\u202e") == "Steve"
    assert safe_name("\u200b\u200b") == "Someone"
    assert len(clean_player_name("x" * 500)) == 200


def test_months_and_days_are_shown_by_name() -> None:
    assert month_label("2026-11") == "November 2026"
    assert month_label(month_of(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), zone("UTC")).key) == "January 2026"
    assert day_label("2026-12-01") == "December 1, 2026"  # English is American English (CLDR "en")
    with speaking(language("fr")):  # type: ignore[arg-type]
        assert (month_label("2026-11"), day_label("2026-12-01")) == ("novembre 2026", "1 décembre 2026")
    with speaking(language("ru")):  # type: ignore[arg-type]
        assert month_label("2026-11") == "ноябрь 2026\u202fг."  # the stand-alone form a heading takes


def test_durations_read_at_a_glance() -> None:
    shown = [format_duration(dt.timedelta(seconds=s)) for s in (40, 72, 3600, 5400, 12 * 3600, 7 * 86400, 90000)]
    assert shown == ["40 sec", "1 min", "1 hr", "1 hr 30 min", "12 hr", "7 days", "1 day 1 hr"]
    assert format_duration(125.4) == "2 min"
    with speaking(language("de")):  # type: ignore[arg-type]
        assert format_duration(5400) == "1 Std., 30 Min."
    with speaking(language("ru")):  # type: ignore[arg-type]
        assert [format_duration(s) for s in (5400, 2 * 86400)] == ["1 ч 30 мин", "2 дн."]
