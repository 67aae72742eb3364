"""The figures of /stats: a server's votes per day, its month against the last one and its rank; a member's month.

**Months** are the server's, in its time zone (:func:`bot.core.time.month_of`), like every monthly figure.

**The change against last month** and this month's total are :func:`bot.votes.figures.month_figures` (the
dashboard's charts page shows the same figures).

**A member's place** is among everyone who voted this month, counted as the leaderboards count them (members,
and player names nobody linked); ties share a place. The member's own points follow the one attribution rule of
:mod:`bot.db.votes`, as /points does.

Pictures are built in the language in force (the member's for a reply; inside ``servers.speaking_for`` for a
channel post) and drawn by the bot's one :class:`~bot.core.charts.ChartRenderer`, away from the event loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.charts import ChartRenderer
from bot.core.i18n import _, n_, number
from bot.core.messaging import Messenger, Picture
from bot.core.servers import ServerService
from bot.core.time import Clock, Period, local_midnight, month_of, zone
from bot.db.records import Server
from bot.db.votes import DayCount, VoteRepository
from bot.votes.charts import days_from, last_days, votes_per_day
from bot.votes.figures import MonthFigures, month_figures
from cogs.stats.views import month_label, server_embed

CHART_DAYS = 30  # the server's picture: the last 30 local days, today included
SERVER_SIZE = (800, 400)  # pixels
MEMBER_SIZE = (640, 240)  # the member's own, smaller picture
SERVER_FILE = "votes.png"
MEMBER_FILE = "my-votes.png"


@dataclass(frozen=True, slots=True)
class ServerStats:
    server: Server
    figures: MonthFigures  # this month against the last one (bot/votes/figures.py)
    rank: int  # among the servers of the same category, this month (ties share a rank)
    ranked: int  # how many servers that ranking has
    days: tuple[dt.date, ...]  # the chart's local days, oldest first, today last
    counts: tuple[DayCount, ...]

    @property
    def month(self) -> Period:
        return self.figures.month

    @property
    def previous(self) -> Period:
        return self.figures.previous

    @property
    def total(self) -> int:
        return self.figures.total

    @property
    def last_same_span(self) -> int:
        return self.figures.last_same_span

    @property
    def last_total(self) -> int:
        return self.figures.last_total

    @property
    def change(self) -> float | None:
        return self.figures.change


@dataclass(frozen=True, slots=True)
class MemberStats:
    server: Server
    month: Period
    points: int  # the member's vote points this month
    place: int | None  # among this month's voters (None: no points this month)
    voters: int  # how many voted this month
    days: tuple[dt.date, ...]  # this month's local days so far
    counts: tuple[DayCount, ...]


class StatsService:
    def __init__(
        self, servers: ServerService, votes: VoteRepository, charts: ChartRenderer, messenger: Messenger, clock: Clock
    ) -> None:
        self._servers = servers
        self._votes = votes
        self._charts = charts
        self._messenger = messenger
        self._clock = clock

    async def server_stats(self, guild_id: int, server_name: str | None) -> ServerStats:
        return await self.figures(await self._servers.resolve(guild_id, server_name))

    async def figures(self, server: Server) -> ServerStats:
        now = self._clock()
        tz = zone(server.timezone)
        figures = await month_figures(self._votes, server, now)
        days = tuple(last_days(now.astimezone(tz).date(), CHART_DAYS))
        # up to the month's end: a vote a listing site stamped a little ahead of our clock is today's
        counts = await self._votes.daily_counts(
            server.id, local_midnight(days[0], tz), figures.month.end, server.timezone
        )
        rank, ranked = await self._votes.category_rank(
            server.id, server.category, figures.month.start, figures.month.end
        )
        return ServerStats(
            server=server,
            figures=figures,
            rank=rank,
            ranked=ranked,
            days=days,
            counts=tuple(c for c in counts if c.day <= days[-1]),
        )

    async def member_stats(self, guild_id: int, server_name: str | None, member_id: int) -> MemberStats:
        server = await self._servers.resolve(guild_id, server_name)
        now = self._clock()
        tz = zone(server.timezone)
        month = month_of(now, tz)
        points = await self._votes.points(server.id, member_id, since=month.start, until=month.end)
        place, voters = await self._votes.voter_place(server.id, member_id, month.start, month.end)
        first = month.start.astimezone(tz).date()
        today = max(first, now.astimezone(tz).date())
        counts = await self._votes.member_daily_counts(server.id, member_id, month.start, month.end, server.timezone)
        days = tuple(days_from(first, today))
        return MemberStats(server, month, points, place, voters, days, tuple(c for c in counts if c.day <= today))

    # ------------------------------------------------------------------ pictures (in the language in force)
    async def server_picture(self, stats: ServerStats) -> Picture:
        width, height = SERVER_SIZE
        # Translators: the title of the votes-per-day chart of /stats.
        title = n_("Votes per day, last {count} day", "Votes per day, last {count} days", CHART_DAYS)
        chart = votes_per_day(stats.counts, stats.days, title=title, width=width, height=height)
        data = await self._charts.render(chart)
        # Translators: the alt text of the /stats chart, read by screen readers; {total} is this month's total.
        description = n_(
            "Bar chart of the votes for {server} per day over the last {count} day, by listing site; "
            "{total} votes in {month}.",
            "Bar chart of the votes for {server} per day over the last {count} days, by listing site; "
            "{total} votes in {month}.",
            CHART_DAYS,
            server=stats.server.name,
            total=number(stats.total),
            month=month_label(stats.month),
        )
        return Picture(SERVER_FILE, data, description[:1024])

    async def member_picture(self, stats: MemberStats) -> Picture:
        width, height = MEMBER_SIZE
        # Translators: the title of a member's own chart in /stats me; {month} e.g. "November 2026".
        title = _("Your votes per day in {month}", month=month_label(stats.month))
        chart = votes_per_day(stats.counts, stats.days, title=title, width=width, height=height)
        data = await self._charts.render(chart)
        # Translators: the alt text of a member's own chart in /stats me, read by screen readers.
        description = _(
            "Bar chart of your votes for {server} per day in {month}; {count} in total.",
            server=stats.server.name,
            month=month_label(stats.month),
            count=number(stats.points),
        )
        return Picture(MEMBER_FILE, data, description[:1024])

    # ------------------------------------------------------------------ the admins' public post
    async def post(self, guild_id: int, server_name: str | None, channel_id: int) -> tuple[Server, int]:
        """Post the server's statistics in ``channel_id`` for everyone, in the server's language; returns the server
        and the message id. Raises :class:`~bot.core.messaging.Unreachable` when the bot cannot post there."""
        server = await self._servers.resolve(guild_id, server_name)
        stats = await self.figures(server)
        with self._servers.speaking_for(server):  # texts and the chart's labels alike
            picture = await self.server_picture(stats)
            embed = server_embed(stats, picture)
        message_id = await self._messenger.post(channel_id, embeds=[embed], pictures=[picture], guild_id=guild_id)
        return server, message_id
