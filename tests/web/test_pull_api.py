from __future__ import annotations

import asyncio
import datetime as dt
import xml.etree.ElementTree as ET

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import CreatedServer, ServerService
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.clock import PINNED, MovableClock


@pytest.fixture
async def created(pool: asyncpg.Pool) -> CreatedServer:
    return await ServerService(pool, features()).add(guild_id=1, name="Alpha", vote_url="https://example.com/vote")


async def add_vote(pool: asyncpg.Pool, server_id: int, vote_id: str, player: str, minutes_ago: int = 5) -> None:
    voted_at = PINNED.replace(microsecond=123456) - dt.timedelta(minutes=minutes_ago)  # the web server's clock
    await VoteLedger(pool).record(
        Vote(server_id=server_id, provider="topserver", external_id=vote_id, voted_at=voted_at, player_name=player)
    )


async def test_check_shape_matches_top_server(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer
) -> None:
    await add_vote(pool, created.server.id, "ckv1", "Pseudo123")
    async with http.get("/api/v1/vote/check", params={"key": created.api_key, "player": "pseudo123"}) as response:
        assert response.status == 200
        body = await response.json()
    assert list(body) == ["ok", "server", "player", "hasPendingVote", "pending", "votes"]
    assert body["ok"] is True and body["server"] == "Alpha" and body["player"] == "pseudo123"
    assert body["hasPendingVote"] is True and body["pending"] == 1
    assert body["votes"][0]["id"] == "ckv1"
    assert len(body["votes"][0]["votedAt"]) == 24 and body["votes"][0]["votedAt"].endswith(".123Z")


@pytest.mark.parametrize("encoding", ["json", "form", "query"])
async def test_claim_each_encoding_and_idempotent(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, encoding: str
) -> None:
    await add_vote(pool, created.server.id, "a", "Steve")
    await add_vote(pool, created.server.id, "b", "STEVE")
    await add_vote(pool, created.server.id, "c", "Alex")
    params = {"key": created.api_key, "player": "steve"}
    kwargs = {"json": params} if encoding == "json" else {"data": params} if encoding == "form" else {"params": params}
    async with http.post("/api/v1/vote/claim", **kwargs) as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "claimed": 2}
    async with http.post("/api/v1/vote/claim", **kwargs) as response:
        assert await response.json() == {"ok": True, "claimed": 0}
    async with http.get("/api/v1/vote/check", params={"key": created.api_key, "player": "Alex"}) as response:
        assert (await response.json())["pending"] == 1


async def test_concurrent_claims_claim_each_vote_once(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer
) -> None:
    for i in range(20):
        await add_vote(pool, created.server.id, f"v{i}", "Steve")

    async def claim() -> int:
        async with http.post("/api/v1/vote/claim", json={"key": created.api_key, "player": "Steve"}) as response:
            return (await response.json())["claimed"]

    results = await asyncio.gather(*(claim() for _ in range(10)))
    assert sum(results) == 20


async def test_errors(http: aiohttp.ClientSession, created: CreatedServer) -> None:
    async with http.get("/api/v1/vote/check", params={"player": "x"}) as response:
        assert response.status == 400 and (await response.json())["ok"] is False
    async with http.get("/api/v1/vote/check", params={"key": created.api_key}) as response:
        assert response.status == 400
    async with http.get("/api/v1/vote/check", params={"key": "vb_wrong", "player": "x"}) as response:
        assert response.status == 401
    async with http.post("/api/v1/vote/claim", data=b"{not json", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    async with http.post("/api/v1/vote/claim", data=b"x" * 70_000, headers={"Content-Type": "application/json"}) as r:
        assert r.status == 413


async def test_widget_svg(http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer) -> None:
    await add_vote(pool, created.server.id, "a", "Steve")
    for kind in ("full", "votes", "players", "rank"):
        async with http.get(f"/api/widget/{created.server.id}", params={"type": kind}) as response:
            assert response.status == 200
            assert response.content_type == "image/svg+xml"
            assert "max-age" in response.headers["Cache-Control"]
            root = ET.fromstring(await response.text())  # noqa: S314 - our own output
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
    async with http.get(f"/api/widget/{created.server.id}", params={"type": "votes"}) as response:
        assert "1" in await response.text()
        etag = response.headers["ETag"]
    async with http.get(
        f"/api/widget/{created.server.id}", params={"type": "votes"}, headers={"If-None-Match": etag}
    ) as r:
        assert r.status == 304
    async with http.get("/api/widget/999999") as response:
        assert response.status == 404
    async with http.get(f"/api/widget/{created.server.id}", params={"type": "bogus"}) as response:
        assert response.status == 400


async def test_pending_window_and_widget_month_follow_the_web_servers_clock(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    """Both read the injected clock, never PostgreSQL's or the host's: the answer is the same any day."""
    await add_vote(pool, created.server.id, "old", "Steve", minutes_ago=29 * 24 * 60)  # 29 days ago
    await add_vote(pool, created.server.id, "new", "Alex")  # 18 November, 11:55 UTC

    async def pending(player: str) -> int:
        async with http.get("/api/v1/vote/check", params={"key": created.api_key, "player": player}) as response:
            return int((await response.json())["pending"])

    async def votes_badge() -> str:
        async with http.get(f"/api/widget/{created.server.id}", params={"type": "votes"}) as response:
            root = ET.fromstring(await response.text())  # noqa: S314 - our own output
        return root.findtext("{http://www.w3.org/2000/svg}title") or ""

    assert await pending("Steve") == 1
    assert await votes_badge() == "votes this month: 1"  # October's vote is not November's
    clock.advance(days=2)  # the old vote is now 31 days old: past the 30-day window
    assert await pending("Steve") == 0
    async with http.post("/api/v1/vote/claim", json={"key": created.api_key, "player": "Steve"}) as response:
        assert (await response.json())["claimed"] == 0
    clock.set(dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC))  # the server's month (UTC) turned
    assert await votes_badge() == "votes this month: 0"
    assert await pending("Alex") == 1


async def test_widget_escapes_server_name(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    created = await ServerService(pool, features()).add(guild_id=2, name="<b>&\"x'", vote_url="https://e.com")
    async with http.get(f"/api/widget/{created.server.id}") as response:
        text = await response.text()
    ET.fromstring(text)  # noqa: S314 - parses: everything escaped
    assert "<b>" not in text


async def test_healthz(http: aiohttp.ClientSession) -> None:
    async with http.get("/healthz") as response:
        assert response.status == 200 and (await response.json())["database"] == "ok"
