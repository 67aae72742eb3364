"""The votes' charts (``bot.votes.charts``): stacked by listing site in a fixed order, every day present (zeros
where nobody voted), texts in the language in force, an empty chart drawn with its text."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager

from bot.core.charts import render
from bot.core.i18n import Language, language, speaking
from bot.db.votes import DayCount
from bot.votes.charts import SPARKLINE_DAYS, days_from, last_days, per_day, votes_per_day, votes_sparkline

FIRST = dt.date(2026, 11, 1)
WEEK = days_from(FIRST, dt.date(2026, 11, 7))
COUNTS = [
    DayCount(dt.date(2026, 11, 2), "votifier", 4),
    DayCount(dt.date(2026, 11, 2), "topgg", 2),
    DayCount(dt.date(2026, 11, 5), "topserver", 3),
    DayCount(dt.date(2026, 11, 5), "events", 1),
    DayCount(dt.date(2026, 11, 5), "topgg", 5),
]


def french() -> AbstractContextManager[Language]:
    found = language("fr")
    assert found is not None
    return speaking(found)


def test_days_run_from_first_to_last_and_the_last_days_end_today() -> None:
    assert days_from(FIRST, FIRST) == [FIRST]
    assert len(WEEK) == 7 and WEEK[-1] == dt.date(2026, 11, 7)
    window = last_days(dt.date(2026, 11, 18))
    assert len(window) == SPARKLINE_DAYS == 30
    assert (window[0], window[-1]) == (dt.date(2026, 10, 20), dt.date(2026, 11, 18))
    assert days_from(dt.date(2026, 10, 24), dt.date(2026, 10, 26)) == [  # across a DST change: still one per day
        dt.date(2026, 10, 24),
        dt.date(2026, 10, 25),
        dt.date(2026, 10, 26),
    ]


def test_bars_are_stacked_by_listing_site_in_a_fixed_order_with_zeros_for_days_without_votes() -> None:
    chart = votes_per_day(COUNTS, WEEK)
    assert chart.kind == "bars" and len(chart.labels) == 7
    assert [series.name for series in chart.series] == ["Top-Server", "Top.gg", "Votifier", "Event API"]
    by_site = {series.name: series.values for series in chart.series}
    assert by_site["Top-Server"] == (0, 0, 0, 0, 3, 0, 0)
    assert by_site["Top.gg"] == (0, 2, 0, 0, 5, 0, 0)
    assert by_site["Votifier"] == (0, 4, 0, 0, 0, 0, 0)
    assert by_site["Event API"] == (0, 0, 0, 0, 1, 0, 0)
    assert all(len(series.values) == len(WEEK) for series in chart.series)
    reversed_input = votes_per_day(list(reversed(COUNTS)), WEEK)
    assert reversed_input.series == chart.series  # the order (hence the colours) never depends on the data's
    assert per_day(COUNTS, WEEK) == (0, 6, 0, 0, 9, 0, 0)


def test_counts_outside_the_days_are_left_out_and_one_day_sums_its_rows() -> None:
    counts = [*COUNTS, DayCount(dt.date(2026, 10, 31), "topgg", 50), DayCount(dt.date(2026, 11, 5), "topgg", 1)]
    chart = votes_per_day(counts, WEEK)
    assert {series.name: series.values for series in chart.series}["Top.gg"] == (0, 2, 0, 0, 6, 0, 0)
    assert votes_sparkline(counts, WEEK).series[0].values == (0, 6, 0, 0, 10, 0, 0)


def test_labels_legend_and_numbers_follow_the_language_in_force() -> None:
    english = votes_per_day(COUNTS, WEEK, title="Votes")
    assert english.labels[:3] == ("Nov 1", "Nov 2", "Nov 3")
    assert (english.decimal, english.group) == (".", ",")
    with french():
        chart = votes_per_day(COUNTS, WEEK, title="Votes")
    assert chart.labels[:3] == ("1 nov.", "2 nov.", "3 nov.")
    assert (chart.decimal, chart.group) == (",", "\u202f")
    assert [series.name for series in chart.series][-1] == "API d'événements"  # translated; brand names stay
    assert chart.digest() != english.digest()  # another language is another picture
    svg = render(votes_per_day(COUNTS, WEEK, format="svg")).decode()
    assert "Nov 1" in svg


def test_an_empty_chart_has_its_days_and_is_drawn_with_its_text() -> None:
    chart = votes_per_day([], WEEK, format="svg")
    assert chart.empty and len(chart.labels) == 7
    assert all(value == 0 for series in chart.series for value in series.values)
    assert chart.empty_text == "No votes yet"
    assert "No votes yet" in render(chart).decode()
    sparkline = votes_sparkline([], last_days(dt.date(2026, 11, 18)))
    assert sparkline.empty and sparkline.format == "svg" and len(sparkline.series[0].values) == 30
    assert "No votes yet" in render(sparkline).decode()


def test_the_sparkline_is_one_line_of_every_site_together_sized_for_a_badge() -> None:
    chart = votes_sparkline(COUNTS, WEEK)
    assert chart.kind == "sparkline" and len(chart.series) == 1
    assert chart.series[0].values == (0, 6, 0, 0, 9, 0, 0)
    assert chart.labels == tuple(day.isoformat() for day in WEEK)
    assert (chart.width, chart.height, chart.format) == (240, 48, "svg")
    assert not chart.empty
