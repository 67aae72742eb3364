"""The monthly recap's figures: a month's total against the month before, its top voters, its best day and its
votes per day by listing site — every period in the server's zone (:func:`bot.core.time.month_of`).

When it is due: on the 1st at the daily post time (local), caught up for :data:`CATCH_UP` after that if the bot
was down; the service claims it once per month in ``engagement_runs`` (kind :data:`KIND`, the month's key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.time import Period, local_at, month_of
from bot.db.executor import Executor
from bot.db.votes import DayCount, Voter, VoteRepository
from bot.votes.charts import days_from

KIND = "monthly_recap"  # its engagement_runs kind (and the message nonce's)
CATCH_UP = dt.timedelta(days=3)  # a recap later than this after its time on the 1st (bot down) is skipped
TOP = 10


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: Period  # the month recapped
    before: Period  # the month before it
    total: int  # vote points in ``month``
    previous_total: int  # vote points in ``before``
    voters: tuple[Voter, ...]  # the top voters of ``month``, as the leaderboards rank them
    counts: tuple[DayCount, ...]  # votes per local day and listing site
    days: tuple[dt.date, ...]  # every local day of ``month``

    @property
    def change(self) -> int:
        return self.total - self.previous_total

    @property
    def ratio(self) -> float | None:
        """The change as a share of the month before; None when the month before had no votes."""
        return self.change / self.previous_total if self.previous_total else None

    @property
    def best_day(self) -> tuple[dt.date, int] | None:
        return best_day(self.counts)


def best_day(counts: Sequence[DayCount]) -> tuple[dt.date, int] | None:
    """The day with the most vote points (every site together) and its points; on a tie the earliest day."""
    totals: dict[dt.date, int] = {}
    for count in counts:
        totals[count.day] = totals.get(count.day, 0) + count.votes
    if not totals or max(totals.values()) <= 0:
        return None
    day = min(totals, key=lambda d: (-totals[d], d))
    return day, totals[day]


def recap_due(now: dt.datetime, tz: ZoneInfo, at: dt.time) -> Period | None:
    """The month to recap when the recap is due at ``now``: from the 1st at ``at`` (local; a time repeated by the
    autumn DST change means its first occurrence) for :data:`CATCH_UP`. None the rest of the month."""
    first = now.astimezone(tz).date().replace(day=1)
    target = local_at(first, at, tz)
    if not target <= now < target + CATCH_UP:
        return None
    return month_before(month_of(target, tz), tz)


def month_before(month: Period, tz: ZoneInfo) -> Period:
    return month_of(month.start - dt.timedelta(seconds=1), tz)


async def month_figures(db: Executor, server_id: int, month: Period, tz: ZoneInfo) -> MonthFigures:
    """Everything the recap of ``month`` shows, read on ``db`` (the claim's connection)."""
    votes = VoteRepository(db)
    before = month_before(month, tz)
    counts = await votes.daily_counts(server_id, month.start, month.end, tz.key)
    previous_total = await votes.count(server_id, before.start, before.end)
    voters = await votes.top_voters(server_id, month.start, month.end, TOP)
    first = month.start.astimezone(tz).date()
    last = (month.end - dt.timedelta(seconds=1)).astimezone(tz).date()
    return MonthFigures(
        month=month,
        before=before,
        total=sum(c.votes for c in counts),
        previous_total=previous_total,
        voters=tuple(voters),
        counts=tuple(counts),
        days=tuple(days_from(first, last)),
    )
