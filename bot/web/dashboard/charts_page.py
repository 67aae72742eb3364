"""A game server's charts page: the votes of the last 30 local days (an SVG drawn by the bot's one
:class:`~bot.core.charts.ChartRenderer`, in the reader's language), this month's figures as ``/stats server`` gives
them (:mod:`bot.votes.figures`) and this month's ten best voters.

The picture is served at ``…/charts/votes.svg`` behind the same checks as the page (the content security policy
allows images from this site only), and shown with its alternative text.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.core import i18n
from bot.core.charts import Chart
from bot.core.i18n import _, n_, number
from bot.core.people import Presence
from bot.core.text import clean_player_name
from bot.core.time import local_midnight, month_of, zone
from bot.db.records import Server
from bot.db.votes import DayCount, Voter
from bot.votes.charts import last_days, votes_per_day
from bot.votes.figures import MonthFigures, change_parts, month_figures, month_label
from bot.web.backend import BotBackend
from bot.web.dashboard.access import Page, dashboard_of, server_page

CHART_DAYS = 30  # the last 30 local days, today included (as /stats server)
SIZE = (800, 400)
TOP_VOTERS = 10


@dataclass(frozen=True, slots=True)
class VoterRow:
    place: int
    name: str
    votes: int


def add_routes(app: web.Application) -> None:
    app.router.add_get("/servers/{server_id}/charts", charts_page)
    app.router.add_get("/servers/{server_id}/charts/votes.svg", votes_picture)


async def _votes_chart(backend: BotBackend, server: Server) -> Chart:
    """The chart of the last 30 local days, in the language in force."""
    now = backend.clock()
    tz = zone(server.timezone)
    days = last_days(now.astimezone(tz).date(), CHART_DAYS)
    # up to the month's end, as /stats: a vote a listing site stamped a little ahead of our clock is today's
    counts: list[DayCount] = await backend.votes.daily_counts(
        server.id, local_midnight(days[0], tz), month_of(now, tz).end, server.timezone
    )
    width, height = SIZE
    # Translators: the title of the votes-per-day chart of /stats.
    title = n_("Votes per day, last {count} day", "Votes per day, last {count} days", CHART_DAYS)
    shown = [count for count in counts if count.day <= days[-1]]
    return votes_per_day(shown, days, title=title, format="svg", width=width, height=height)


def _description(server: Server, figures: MonthFigures) -> str:
    # Translators: the alt text of the /stats chart, read by screen readers; {total} is this month's total.
    return n_(
        "Bar chart of the votes for {server} per day over the last {count} day, by listing site; "
        "{total} votes in {month}.",
        "Bar chart of the votes for {server} per day over the last {count} days, by listing site; "
        "{total} votes in {month}.",
        CHART_DAYS,
        server=server.name,
        total=number(figures.total),
        month=month_label(figures.month),
    )


async def _voters(page: Page, figures: MonthFigures) -> list[VoterRow]:
    voters: list[Voter] = await page.backend.votes.top_voters(
        page.server.id, figures.month.start, figures.month.end, TOP_VOTERS
    )
    members = {voter.member_id for voter in voters if voter.member_id is not None}
    people = await page.backend.people.lookup_many(page.guild.id, members) if members else {}
    rows = []
    for place, voter in enumerate(voters, start=1):
        person = people.get(voter.member_id) if voter.member_id is not None else None
        if person is not None and person.name and person.presence in (Presence.MEMBER, Presence.OUTSIDER):
            name = person.name
        elif voter.name:
            name = clean_player_name(voter.name) or voter.name
        elif person is not None and person.presence is Presence.UNKNOWN_USER:
            # Translators: stands for a voter Discord no longer knows (a deleted account), in a ranking.
            name = _("a former member")
        else:
            name = str(voter.member_id)
        rows.append(VoterRow(place, name, voter.votes))
    return rows


async def charts_page(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    figures = await month_figures(page.backend.votes, page.server, page.backend.clock())
    headline, detail = change_parts(figures)
    return await page.render(
        "charts.html",
        figures=figures,
        month=month_label(figures.month),
        headline=headline,
        detail=detail,
        description=_description(page.server, figures),
        voters=await _voters(page, figures),
        picture=page.url("charts", "votes.svg"),
        sections=list(dashboard_of(request).pages.sections),
    )


async def votes_picture(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    data = await page.backend.charts.render(await _votes_chart(page.backend, page.server))
    return web.Response(
        body=data,
        content_type="image/svg+xml",
        headers={"Cache-Control": "private, no-cache", "Content-Language": _language()},
    )


def _language() -> str:
    return i18n.current().code
