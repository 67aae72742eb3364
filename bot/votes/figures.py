"""A server's month in figures, one way everywhere (``/stats server``, the dashboard's charts page): this month's
vote points against the same span of last month, in the server's time zone.

**The change against last month** compares this month so far with the same span of last month (fair in the
middle of a month): from the first of last month up to the same local day and time, at most to its end (on the
31st, the whole of a shorter month). When that span had no votes there is no percentage to give: the month is
"new". This month's total counts up to the month's end, so a vote stamped by a listing site's clock a little
ahead of ours is in it as it is on the badge and the leaderboards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import babel.numbers

from bot.core import i18n
from bot.core.i18n import _, number, percent
from bot.core.time import Period, month_of, previous_month, zone
from bot.db.records import Server
from bot.db.votes import VoteRepository


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: Period  # this month, in the server's zone
    previous: Period  # last month
    total: int  # vote points this month
    last_same_span: int  # vote points of last month up to the same local day and time
    last_total: int  # vote points of the whole of last month

    @property
    def change(self) -> float | None:
        """This month so far against the same span of last month (``0.12`` is 12 % more); None when that span
        had no votes (a percentage of nothing would be infinite)."""
        if self.last_same_span == 0:
            return None
        return (self.total - self.last_same_span) / self.last_same_span


def same_span_of_last_month(now: dt.datetime, month: Period, previous: Period, tz_name: str) -> dt.datetime:
    """The instant of last month that is as far into it (in local wall-clock time) as ``now`` is into ``month``,
    at most last month's end."""
    tz = zone(tz_name)
    elapsed = now.astimezone(tz).replace(tzinfo=None) - month.start.astimezone(tz).replace(tzinfo=None)
    wall = previous.start.astimezone(tz).replace(tzinfo=None) + elapsed
    return min(wall.replace(tzinfo=tz).astimezone(dt.UTC), previous.end)


async def month_figures(votes: VoteRepository, server: Server, now: dt.datetime) -> MonthFigures:
    tz = zone(server.timezone)
    month, previous = month_of(now, tz), previous_month(now, tz)
    cutoff = same_span_of_last_month(now, month, previous, server.timezone)
    return MonthFigures(
        month=month,
        previous=previous,
        total=await votes.count(server.id, month.start, month.end),
        last_same_span=await votes.count(server.id, previous.start, cutoff),
        last_total=await votes.count(server.id, previous.start, previous.end),
    )


def month_label(month: Period) -> str:
    """``November 2026`` in the language in force."""
    year, number_ = month.key.split("-")
    return i18n.month_name(int(year), int(number_))


def signed_percent(ratio: float) -> str:
    """``+12%`` / ``+12 %`` / ``-3,5 %``: a change, always with its sign (the language's own plus sign)."""
    text = percent(ratio)
    if ratio > 0:
        return babel.numbers.get_plus_sign_symbol(i18n.current().locale) + text
    return text


def change_parts(figures: MonthFigures) -> tuple[str, str]:
    """The change against the same days of last month (a headline) and last month's figures (a detail), in the
    language in force."""
    change = figures.change
    if change is None:
        # Translators: the change against last month when the same days of last month had no votes.
        headline = _("New this month") if figures.total else _("No votes yet, as in the same days of last month")
    else:
        headline = signed_percent(change)
    # Translators: under the change against last month; {month} e.g. "October 2026".
    detail = _(
        "Same days of {month}: {count} · whole month: {total}",
        month=month_label(figures.previous),
        count=number(figures.last_same_span),
        total=number(figures.last_total),
    )
    return headline, detail
