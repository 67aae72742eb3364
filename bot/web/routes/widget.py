"""``GET /api/widget/{server_id}?type=full|votes|players|rank|chart`` → an SVG badge, no auth, cacheable.

Votes and rank count the server's month in its own time zone (:func:`bot.core.time.month_of`), like every
other monthly figure; the rank is among the servers of the same category, over the same window. ``chart`` is a
sparkline of the votes of the last 30 local days, today included (:func:`bot.votes.charts.votes_sparkline`),
drawn by the web server's :class:`~bot.core.charts.ChartRenderer` (its worker process, never the event loop).

The endpoint is public, so each badge is kept in process for :data:`FRESH` (keyed by server and type
only: other query parameters cannot defeat it), fresh on the web server's clock and never past the end of the
period it counts (the month; the day for the chart, whose 30 days move on at local midnight), answered with
``Cache-Control`` and an ``ETag``, and rendered inside the public-read bound so badge traffic never takes the
database connections vote intake needs. Requests for a badge being rendered wait for that rendering: a badge
is rendered once however many ask for it at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.core.charts import ChartRenderer
from bot.core.time import Clock, Period, day_of, month_of, zone
from bot.db.servers import ServerRepository
from bot.db.votes import VoteRepository
from bot.votes.charts import last_days, votes_sparkline
from bot.web.badges import badge
from bot.web.guard import PUBLIC_READS_KEY
from bot.web.intake import INTAKE_KEY, parse_server_id

SERVERS_KEY = web.AppKey("servers", ServerRepository)
VOTES_KEY = web.AppKey("votes", VoteRepository)
TYPES = ("full", "votes", "players", "rank", "chart")
CACHE_SECONDS = 300
FRESH = dt.timedelta(seconds=60)
MAX_CACHED = 20_000


@dataclass(frozen=True, slots=True)
class CachedBadge:
    expires: dt.datetime  # on the web server's clock; never after the end of the period it counts
    svg: str | None  # None: no such server
    etag: str


RankKey = tuple[str | None, dt.datetime, dt.datetime]
BadgeKey = tuple[int, str]  # (server id, type)


class BadgeCache:
    """Rendered badges by ``(server id, type)``, fresh for :data:`FRESH` on the web server's (injected) clock,
    and each category's ranking (one query ranks the whole category, shared by its badges and by concurrent
    requests). :meth:`load` renders a missing badge once however many requests ask for it meanwhile; ``hits``
    counts the requests served without rendering (fresh, or joined to a rendering under way)."""

    def __init__(self, clock: Clock, fresh: dt.timedelta = FRESH) -> None:
        self.fresh = fresh
        self._clock = clock
        self._entries: dict[BadgeKey, CachedBadge] = {}
        self._pending: dict[BadgeKey, asyncio.Future[CachedBadge]] = {}
        self._ranks: dict[RankKey, tuple[dt.datetime, asyncio.Future[dict[int, int]]]] = {}
        self.hits = 0
        self.misses = 0

    async def ranks(self, votes: VoteRepository, category: str | None, month: Period) -> dict[int, int]:
        key = (category, month.start, month.end)
        now = self._clock()
        cached = self._ranks.get(key)
        if cached is not None and cached[0] > now and not (cached[1].done() and cached[1].exception()):
            return await asyncio.shield(cached[1])
        if len(self._ranks) >= MAX_CACHED:
            self._ranks.clear()
        future = asyncio.ensure_future(votes.category_ranks(category, month.start, month.end))
        self._ranks[key] = (min(now + self.fresh, month.end), future)
        return await asyncio.shield(future)

    async def load(self, key: BadgeKey, produce: Callable[[], Awaitable[Rendered]]) -> CachedBadge:
        """The fresh badge, else the one being rendered, else a new one from ``produce()`` (an error from it
        reaches every request that waited for it, and nothing is kept)."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires > self._clock():
            self.hits += 1
            return entry
        pending = self._pending.get(key)
        if pending is None:
            self.misses += 1
            pending = self._pending[key] = asyncio.ensure_future(self._produce(key, produce))
            pending.add_done_callback(lambda done: self._settled(key, done))
        else:
            self.hits += 1
        return await asyncio.shield(pending)  # a request that goes away does not stop the others' rendering

    async def _produce(self, key: BadgeKey, produce: Callable[[], Awaitable[Rendered]]) -> CachedBadge:
        return self.put(key, await produce())

    def _settled(self, key: BadgeKey, done: asyncio.Future[CachedBadge]) -> None:
        if self._pending.get(key) is done:
            del self._pending[key]
        if not done.cancelled():
            done.exception()  # retrieved: a failure nobody waited for any more is not logged as "never retrieved"

    def put(self, key: BadgeKey, rendered: Rendered) -> CachedBadge:
        now = self._clock()
        if len(self._entries) >= MAX_CACHED:
            self._entries = {k: v for k, v in self._entries.items() if v.expires > now}
            if len(self._entries) >= MAX_CACHED:
                self._entries.clear()
        svg, period_end = rendered
        expires = min(now + self.fresh, period_end) if period_end is not None else now + self.fresh
        etag = '"' + hashlib.sha256((svg or "").encode()).hexdigest()[:16] + '"'
        entry = self._entries[key] = CachedBadge(expires, svg, etag)
        return entry


BADGES_KEY = web.AppKey("badges", BadgeCache)
CHARTS_KEY = web.AppKey("charts", ChartRenderer)


async def widget(request: web.Request) -> web.Response:
    kind = request.query.get("type", "full")
    if kind not in TYPES:
        raise web.HTTPBadRequest(text=f"type must be one of {', '.join(TYPES)}")
    server_id = parse_server_id(request.match_info["server_id"])
    if server_id is None:
        raise web.HTTPNotFound(text="unknown server")

    async def produce() -> Rendered:
        async with request.app[PUBLIC_READS_KEY].slot():  # the chart's rendering too: it bounds the worker's queue
            return await _render(request, server_id, kind)

    entry = await request.app[BADGES_KEY].load((server_id, kind), produce)
    if entry.svg is None:
        raise web.HTTPNotFound(text="unknown server")
    headers = {"Cache-Control": f"public, max-age={CACHE_SECONDS}", "ETag": entry.etag}
    if entry.etag in (tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")):
        return web.Response(status=304, headers=headers)
    return web.Response(text=entry.svg, content_type="image/svg+xml", headers=headers)


Rendered = tuple[str | None, dt.datetime | None]
"""The badge's SVG (``None``: no such server) and the end of the period it counts (kept no longer than that)."""


async def _render(request: web.Request, server_id: int, kind: str) -> Rendered:
    server = await request.app[SERVERS_KEY].get(server_id)
    if server is None:
        return None, None
    votes = request.app[VOTES_KEY]
    now, tz = request.app[INTAKE_KEY].clock(), zone(server.timezone)
    if kind == "chart":
        return await _chart(request, server.id, now, tz)
    month = month_of(now, tz)
    if kind == "players":
        svg = badge("players", "unknown", "#9f9f9f")  # filled in by the status feature once it probes
    elif kind == "votes":  # each badge runs only the queries it shows: the endpoint is public
        svg = badge("votes this month", str(await votes.count(server.id, month.start, month.end)))
    elif kind == "rank":
        ranks = await request.app[BADGES_KEY].ranks(votes, server.category, month)
        svg = badge("rank", f"#{ranks.get(server.id, 1)} of {max(len(ranks), 1)}", "#007ec6")
    else:
        count = await votes.count(server.id, month.start, month.end)
        ranks = await request.app[BADGES_KEY].ranks(votes, server.category, month)
        svg = badge(server.name, f"{count} votes · #{ranks.get(server.id, 1)}", "#007ec6")
    return svg, month.end


async def _chart(request: web.Request, server_id: int, now: dt.datetime, tz: ZoneInfo) -> Rendered:
    """The last 30 local days' votes, today included, as a sparkline; kept until the day's end at most (then
    the window moves on). In English, like the other badges."""
    today = day_of(now.astimezone(tz).date(), tz)
    days = last_days(dt.date.fromisoformat(today.key))
    start = day_of(days[0], tz).start
    counts = await request.app[VOTES_KEY].daily_counts(server_id, start, today.end, tz.key)
    picture = await request.app[CHARTS_KEY].render(votes_sparkline(counts, days))
    return picture.decode(), today.end


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/widget/{server_id}", widget)
