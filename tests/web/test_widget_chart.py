"""``GET /api/widget/{id}?type=chart``: the 30-day sparkline badge through real HTTP, the real WebhookManager and
PostgreSQL — a valid SVG of the badge's size drawing the server's local days, cached like the other badges (one
rendering per server however many ask, ETag and 304, fresh for a minute and never past the local day's end)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.core.charts import DPI, ChartRenderer
from bot.db.votes import VoteRepository
from bot.votes.charts import SPARKLINE_DAYS, votes_sparkline
from bot.web.app import WebhookManager
from bot.web.routes.widget import BADGES_KEY, CHARTS_KEY, FRESH, TYPES, VOTES_KEY, BadgeCache
from tests.clock import MovableClock
from tests.web.conftest import add_server, set_secret
from tests.web.test_public_port import TS_SECRET, deliver

SVG = "{http://www.w3.org/2000/svg}"
PARIS = "Europe/Paris"


@pytest.fixture(scope="module")
def renderer() -> Iterator[ChartRenderer]:
    """One worker process for the module (the bot shares one renderer the same way); tests count its deltas."""
    shared = ChartRenderer()
    try:
        yield shared
    finally:
        shared.close()


@contextlib.asynccontextmanager
async def serving(
    pool: asyncpg.Pool, clock: MovableClock, renderer: ChartRenderer, *, cache: BadgeCache | None = None,
    votes: VoteRepository | None = None,
) -> AsyncIterator[WebhookManager]:  # fmt: skip
    """The real web server, drawing with the module's renderer (and another badge cache or repository)."""
    manager = WebhookManager(pool, host="127.0.0.1", port=0, clock=clock)
    manager.webserver[CHARTS_KEY] = renderer
    if cache is not None:
        manager.webserver[BADGES_KEY] = cache
    if votes is not None:
        manager.webserver[VOTES_KEY] = votes
    await manager.run()
    try:
        yield manager
    finally:
        await manager.close()


@pytest.fixture
async def web(pool: asyncpg.Pool, clock: MovableClock, renderer: ChartRenderer) -> AsyncIterator[WebhookManager]:
    async with serving(pool, clock, renderer) as manager:
        yield manager


@pytest.fixture
async def http(web: WebhookManager) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(f"http://127.0.0.1:{web.port}") as session:
        yield session


async def paris_server(pool: asyncpg.Pool, name: str = "Alpha", guild_id: int = 1) -> int:
    server_id = await add_server(pool, name, guild_id=guild_id)
    await pool.execute("UPDATE servers SET timezone = $2 WHERE id = $1", server_id, PARIS)
    await set_secret(pool, server_id, "topserver", TS_SECRET)
    return server_id


async def add_votes(pool: asyncpg.Pool, server_id: int, at: dt.datetime, count: int, provider: str = "topgg") -> None:
    await pool.execute(
        """
        INSERT INTO votes (server_id, provider, external_id, player_name, voted_at)
        SELECT $1::bigint, $2::text, $2 || '-' || extract(epoch FROM $3::timestamptz)::bigint || '-' || g,
               'p' || g, $3::timestamptz
        FROM generate_series(1, $4) g
        """,
        server_id,
        provider,
        at,
        count,
    )


async def chart(http: aiohttp.ClientSession, server_id: int, **headers: str) -> tuple[aiohttp.ClientResponse, str]:
    async with http.get(f"/api/widget/{server_id}", params={"type": "chart"}, headers=headers) as response:
        return response, await response.text()


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own renderer's output
    assert root.tag == f"{SVG}svg"
    expected = votes_sparkline([], [dt.date(2026, 11, 18)])  # the badge's size, whatever its data
    width, height = expected.width * 72 / DPI, expected.height * 72 / DPI  # matplotlib's SVG is in points
    assert [float(v) for v in root.get("viewBox", "").split()] == pytest.approx([0, 0, width, height])
    assert float(root.get("width", "").removesuffix("pt")) == pytest.approx(width)
    assert float(root.get("height", "").removesuffix("pt")) == pytest.approx(height)
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def line_heights(root: ET.Element) -> list[float]:
    """The sparkline's points, one per day, as heights above the bottom of the badge (higher: more votes)."""
    line = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "line2d_1")
    path = line.find(f"{SVG}path")
    assert path is not None
    points = re.findall(r"[ML] ([-\d.]+) ([-\d.]+)", path.get("d", ""))
    return [-float(y) for _x, y in points]


async def test_a_server_with_votes_gets_its_30_local_days_as_a_sparkline(
    pool: asyncpg.Pool, clock: MovableClock, http: aiohttp.ClientSession
) -> None:
    clock.set(dt.datetime(2026, 11, 18, 22, 30, tzinfo=dt.UTC))  # 23:30 in Paris, still the 18th there
    server_id = await paris_server(pool)
    await add_votes(pool, server_id, dt.datetime(2026, 11, 18, 22, 10, tzinfo=dt.UTC), 9)  # today, local
    await add_votes(pool, server_id, dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC), 4, "topserver")  # 11th, local
    await add_votes(pool, server_id, dt.datetime(2026, 10, 19, 22, 0, tzinfo=dt.UTC), 6)  # 20 Oct 00:00: first day
    await add_votes(pool, server_id, dt.datetime(2026, 10, 19, 21, 59, tzinfo=dt.UTC), 50)  # 19 Oct 23:59: too old

    response, svg = await chart(http, server_id)
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert response.headers["Cache-Control"].startswith("public, max-age=") and response.headers["ETag"]
    root = parsed(svg)
    assert "No votes yet" not in texts(root)
    heights = line_heights(root)
    assert len(heights) == SPARKLINE_DAYS
    bottom = min(heights)
    drawn = {day: height for day, height in enumerate(heights) if height > bottom + 0.01}
    assert sorted(drawn) == [0, 22, 29]  # 20 Oct (first of the 30 days), 11 Nov, 18 Nov (today)
    assert drawn[29] > drawn[0] > drawn[22]  # 9 > 6 > 4: the heights follow the votes


async def test_a_server_without_votes_gets_the_no_votes_yet_badge(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, web: WebhookManager
) -> None:
    server_id = await paris_server(pool)
    other = await paris_server(pool, "Beta", guild_id=2)
    await add_votes(pool, other, dt.datetime(2026, 11, 18, 11, tzinfo=dt.UTC), 3)
    response, svg = await chart(http, server_id)
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert texts(parsed(svg)) == ["No votes yet"]
    _response, with_votes = await chart(http, other)  # another server's votes are not this one's
    assert texts(parsed(with_votes)) == [] and with_votes != svg


async def test_the_second_request_is_served_from_the_cache_and_an_etag_answers_304(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, web: WebhookManager, renderer: ChartRenderer
) -> None:
    server_id = await paris_server(pool)
    await add_votes(pool, server_id, dt.datetime(2026, 11, 17, 9, tzinfo=dt.UTC), 2)
    renders = renderer.misses + renderer.hits
    first, svg = await chart(http, server_id)
    assert renderer.misses + renderer.hits == renders + 1
    again, same = await chart(http, server_id)
    async with http.get(f"/api/widget/{server_id}", params={"type": "chart", "cachebuster": "1"}) as busted:
        assert await busted.text() == svg  # the query string does not defeat the cache
    assert same == svg and again.headers["ETag"] == first.headers["ETag"]
    assert renderer.misses + renderer.hits == renders + 1  # not even asked again: the badge cache answered
    not_modified, body = await chart(http, server_id, **{"If-None-Match": first.headers["ETag"]})
    assert not_modified.status == 304 and body == "" and not_modified.headers["ETag"] == first.headers["ETag"]
    cache = web.webserver[BADGES_KEY]
    assert (cache.misses, cache.hits) == (1, 3)


async def test_after_fresh_a_new_vote_shows(
    pool: asyncpg.Pool, clock: MovableClock, web: WebhookManager, http: aiohttp.ClientSession, renderer: ChartRenderer
) -> None:
    server_id = await paris_server(pool)
    _response, before = await chart(http, server_id)
    assert "No votes yet" in texts(parsed(before))
    assert (await deliver(web.port, server_id, voted_at="2026-11-18T11:00:00.000Z"))[0] == 200
    clock.advance(seconds=FRESH.total_seconds() - 1)
    _response, cached = await chart(http, server_id)
    assert cached == before  # still fresh: the cached badge
    misses = renderer.misses
    clock.advance(seconds=2)
    response, after = await chart(http, server_id)
    root = parsed(after)
    assert texts(root) == [] and max(line_heights(root)) == line_heights(root)[-1]  # today's vote, at the end
    assert renderer.misses == misses + 1 and response.headers["ETag"]


async def test_a_chart_is_kept_no_longer_than_the_local_day(
    pool: asyncpg.Pool, clock: MovableClock, renderer: ChartRenderer
) -> None:
    """The 30 days move on at the server's midnight: a badge cached at 23:59 is not shown at 00:00."""
    async with (
        serving(pool, clock, renderer, cache=BadgeCache(clock, fresh=dt.timedelta(hours=6))) as manager,
        aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}") as http,
    ):
        await _kept_no_longer_than_the_local_day(pool, clock, http)


async def _kept_no_longer_than_the_local_day(
    pool: asyncpg.Pool, clock: MovableClock, http: aiohttp.ClientSession
) -> None:
    clock.set(dt.datetime(2026, 11, 18, 22, 59, tzinfo=dt.UTC))  # 23:59 in Paris
    server_id = await paris_server(pool)
    await add_votes(pool, server_id, dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC), 5)  # the oldest of the 30 days
    _response, svg = await chart(http, server_id)
    assert texts(parsed(svg)) == []
    clock.advance(seconds=59)
    assert (await chart(http, server_id))[1] == svg  # same day: cached
    clock.advance(seconds=2)  # 00:00:01 on the 19th in Paris: 20 Oct has left the window
    assert texts(parsed((await chart(http, server_id))[1])) == ["No votes yet"]


async def test_requests_at_once_for_an_uncached_chart_read_and_render_once(
    pool: asyncpg.Pool, clock: MovableClock, renderer: ChartRenderer
) -> None:
    class Counting(VoteRepository):
        calls = 0

        async def daily_counts(self, *args: Any) -> Any:
            Counting.calls += 1
            await asyncio.sleep(0.05)  # the others arrive while the first one reads
            return await super().daily_counts(*args)

    server_id = await paris_server(pool)
    await add_votes(pool, server_id, dt.datetime(2026, 11, 12, 9, tzinfo=dt.UTC), 7, "gamemonitoring")
    async with serving(pool, clock, renderer, votes=Counting(pool)) as manager:
        misses = renderer.misses
        async with aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}") as http:
            answers = await asyncio.gather(*(chart(http, server_id) for _ in range(12)))
        assert {response.status for response, _svg in answers} == {200}
        assert len({svg for _response, svg in answers}) == 1
        assert Counting.calls == 1 and renderer.misses == misses + 1
        cache = manager.webserver[BADGES_KEY]
        assert (cache.misses, cache.hits) == (1, 11)


async def test_unknown_servers_are_404_and_unknown_types_400_listing_the_types(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, renderer: ChartRenderer
) -> None:
    misses = renderer.misses
    for path in ("/api/widget/424242", "/api/widget/not-a-number"):
        async with http.get(path, params={"type": "chart"}) as response:
            assert response.status == 404, path
    async with http.get("/api/widget/1", params={"type": "sparkline"}) as response:
        assert response.status == 400
        message = await response.text()
    assert all(kind in message for kind in TYPES) and "chart" in message
    assert renderer.misses == misses  # nothing drawn for them
