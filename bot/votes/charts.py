"""The votes' charts, one way everywhere: votes per day stacked by listing site (``/stats``, the monthly recap,
the dashboard) and the 30-day sparkline (the web badge).

Built in the language in force (day labels, legend names, the empty chart's text and the axis numbers), from
:meth:`bot.db.votes.VoteRepository.daily_counts`; drawn by :class:`bot.core.charts.ChartRenderer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.charts import Chart, Format, Series
from bot.core.i18n import _, number_marks, short_date
from bot.db.votes import DayCount
from bot.votes.credentials import provider_name
from bot.votes.model import PROVIDERS

SPARKLINE_DAYS = 30


def days_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def last_days(today: dt.date, count: int = SPARKLINE_DAYS) -> list[dt.date]:
    """The ``count`` days that end with ``today``."""
    return days_from(today - dt.timedelta(days=count - 1), today)


def per_day(counts: Sequence[DayCount], days: Sequence[dt.date]) -> tuple[float, ...]:
    """The points of each day (every listing site together)."""
    totals: dict[dt.date, int] = {}
    for count in counts:
        totals[count.day] = totals.get(count.day, 0) + count.votes
    return tuple(float(totals.get(day, 0)) for day in days)


def votes_per_day(
    counts: Sequence[DayCount],
    days: Sequence[dt.date],
    *,
    title: str = "",
    format: Format = "png",
    width: int = 800,
    height: int = 400,
) -> Chart:
    """Bars per day, stacked by listing site (sites in a fixed order, so their colours never swap)."""
    by_site: dict[str, dict[dt.date, int]] = {}
    for count in counts:
        site = by_site.setdefault(count.provider, {})
        site[count.day] = site.get(count.day, 0) + count.votes
    order = [p for p in PROVIDERS if p in by_site] + sorted(p for p in by_site if p not in PROVIDERS)
    series = tuple(
        Series(provider_name(site), tuple(float(by_site[site].get(day, 0)) for day in days)) for site in order
    )
    decimal, group = number_marks()
    return Chart(
        "bars",
        tuple(short_date(day) for day in days),
        series or (Series("", tuple(0.0 for _day in days)),),
        title=title,
        # Translators: drawn in the middle of an empty votes chart.
        empty_text=_("No votes yet"),
        decimal=decimal,
        group=group,
        width=width,
        height=height,
        format=format,
    )


def votes_sparkline(counts: Sequence[DayCount], days: Sequence[dt.date]) -> Chart:
    """The badge's line of the last days' votes (SVG, no axes: the shape of the month at a glance)."""
    return Chart(
        "sparkline",
        tuple(day.isoformat() for day in days),
        (Series("", per_day(counts, days)),),
        # Translators: drawn in a small web badge whose server has no votes in the last 30 days.
        empty_text=_("No votes yet"),
        width=240,
        height=48,
        format="svg",
    )
