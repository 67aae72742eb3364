"""``GET /api/widget/{server_id}?type=full|votes|players|rank`` → an SVG badge, no auth, cacheable.

Votes and rank count the server's month in its own time zone (:func:`bot.core.time.month_of`), like every
other monthly figure; the rank is among the servers of the same category, over the same window.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from bot.core.time import month_of, zone
from bot.db.servers import ServerRepository
from bot.db.votes import VoteRepository
from bot.web.badges import badge
from bot.web.intake import INTAKE_KEY

SERVERS_KEY = web.AppKey("servers", ServerRepository)
VOTES_KEY = web.AppKey("votes", VoteRepository)
TYPES = ("full", "votes", "players", "rank")
CACHE_SECONDS = 300


async def widget(request: web.Request) -> web.Response:
    raw_id = request.match_info["server_id"]
    kind = request.query.get("type", "full")
    if kind not in TYPES:
        raise web.HTTPBadRequest(text=f"type must be one of {', '.join(TYPES)}")
    if not raw_id.isdigit() or len(raw_id) > 18:
        raise web.HTTPNotFound(text="unknown server")
    server = await request.app[SERVERS_KEY].get(int(raw_id))
    if server is None:
        raise web.HTTPNotFound(text="unknown server")
    votes = request.app[VOTES_KEY]
    month = month_of(request.app[INTAKE_KEY].clock(), zone(server.timezone))
    if kind == "players":
        svg = badge("players", "unknown", "#9f9f9f")  # filled in by the status feature once it probes
    elif kind == "votes":  # each badge runs only the queries it shows: the endpoint is public
        svg = badge("votes this month", str(await votes.count(server.id, month.start, month.end)))
    elif kind == "rank":
        rank, total = await votes.category_rank(server.id, server.category, month.start, month.end)
        svg = badge("rank", f"#{rank} of {total}", "#007ec6")
    else:
        count = await votes.count(server.id, month.start, month.end)
        rank, _ = await votes.category_rank(server.id, server.category, month.start, month.end)
        svg = badge(server.name, f"{count} votes · #{rank}", "#007ec6")
    etag = '"' + hashlib.sha256(svg.encode()).hexdigest()[:16] + '"'
    headers = {"Cache-Control": f"public, max-age={CACHE_SECONDS}", "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(text=svg, content_type="image/svg+xml", headers=headers)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/widget/{server_id}", widget)
