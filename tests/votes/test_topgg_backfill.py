"""Top.gg backfill against a small fake Top.gg API (real aiohttp server), recording into the real ledger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from bot.votes.topgg_backfill import TopggBackfill
from bot.web.providers import BadPayload, parse_iso8601, sign_topgg_v1
from tests.clock import MovableClock
from tests.http_util import serving
from tests.web.conftest import add_server, set_secret, vote_rows
from tests.web.test_routes import post, topgg_body

TOKEN = "topgg-api-token"
SECRET = "whs_backfill_secret_000"


class FakeTopgg:
    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, str]] = []
        self.rate_limit_on: str | None = None

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"id": "803190510032756736", "platform_id": "42", "review_count": 0})

    async def votes(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"title": "Unauthorized"}, status=401, content_type="application/problem+json")
        self.requests.append(dict(request.query))
        key = request.query.get("cursor", "first")
        if key == self.rate_limit_on:
            return web.json_response({"title": "Too Many Requests"}, status=429)
        return web.json_response(self.pages.get(key, {"cursor": "", "data": []}))


@pytest.fixture
async def fake_topgg() -> AsyncIterator[tuple[FakeTopgg, str]]:
    fake = FakeTopgg()
    app = web.Application()
    app.router.add_get("/api/v1/projects/@me", fake.me)
    app.router.add_get("/api/v1/projects/@me/votes", fake.votes)
    async with serving(app) as base_url:
        yield fake, f"{base_url}/api/v1"


def listed(user: str, created: str) -> dict[str, Any]:
    return {"user_id": "u" + user, "platform_id": user, "weight": 1, "created_at": created, "expires_at": created}


async def test_backfill_pages_and_dedupes_against_webhook_copies(
    http: aiohttp.ClientSession,
    pool: asyncpg.Pool,
    fake_topgg: tuple[FakeTopgg, str],
    clock: MovableClock,
) -> None:
    fake, base = fake_topgg
    sid = await add_server(pool)
    await set_secret(pool, sid, "topgg", SECRET)
    now = clock.now.replace(microsecond=0)
    t1 = (now - dt.timedelta(hours=3)).isoformat()
    t2 = (now - dt.timedelta(hours=2)).isoformat()
    t3 = (now - dt.timedelta(hours=1)).isoformat()
    # The webhook delivered the first vote (with fractional seconds and a vote id the listing lacks).
    body = topgg_body(vote_id="999", user="111", created=t1.replace("+00:00", ".1234567+00:00"))
    status, _ = await post(
        http,
        f"/webhooks/topgg/{sid}",
        body,
        {"x-topgg-signature": sign_topgg_v1(SECRET, body, int(clock.now.timestamp()))},
    )
    assert status == 200
    fake.pages = {
        "first": {"cursor": "c1", "data": [listed("111", t1), listed("222", t2)]},
        "c1": {"cursor": "c2", "data": [listed("333", t3), {"platform_id": "nope"}]},
        "c2": {"cursor": "c3", "data": []},
    }
    result = await TopggBackfill(pool, TOKEN, base, clock=clock).run()
    assert (result.server_id, result.recorded, result.stopped) == (sid, 2, None)
    rows = await vote_rows(pool, "topgg")
    assert sorted(r["discord_user_id"] for r in rows) == [111, 222, 333]
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 3
    start = dt.datetime.fromisoformat(fake.requests[0]["startDate"].replace("Z", "+00:00"))
    assert abs(start - dt.datetime.fromisoformat(t1)) < dt.timedelta(seconds=1)  # from the last recorded vote
    assert [r.get("cursor") for r in fake.requests] == [None, "c1", "c2"]

    # The webhook copy of a backfilled vote, arriving late, is a duplicate.
    late = topgg_body(vote_id="1000", user="222", created=t2)
    status, text = await post(
        http,
        f"/webhooks/topgg/{sid}",
        late,
        {"x-topgg-signature": sign_topgg_v1(SECRET, late, int(clock.now.timestamp()))},
    )
    assert status == 200 and json.loads(text)["duplicate"] is True
    assert len(await vote_rows(pool, "topgg")) == 3

    fake.requests.clear()
    again = await TopggBackfill(pool, TOKEN, base, clock=clock).run()
    assert again.recorded == 0
    assert len(await vote_rows(pool)) == 3


async def test_backfill_defaults_to_12h_and_stops_on_429(
    pool: asyncpg.Pool, fake_topgg: tuple[FakeTopgg, str], clock: MovableClock
) -> None:
    fake, base = fake_topgg
    sid = await add_server(pool)
    await set_secret(pool, sid, "topgg", "legacy-v0-secret")
    now = clock.now.replace(microsecond=0)
    fake.pages = {"first": {"cursor": "c1", "data": [listed("111", (now - dt.timedelta(hours=1)).isoformat())]}}
    fake.rate_limit_on = "c1"
    result = await TopggBackfill(pool, TOKEN, base, clock=clock).run()
    assert (result.recorded, result.stopped) == (1, "rate limited")
    start = dt.datetime.fromisoformat(fake.requests[0]["startDate"].replace("Z", "+00:00"))
    assert abs((now - start) - dt.timedelta(hours=12)) < dt.timedelta(minutes=1)
    assert len(await vote_rows(pool)) == 1


async def test_backfill_skips_v0_copy_in_the_same_cooldown(
    http: aiohttp.ClientSession,
    pool: asyncpg.Pool,
    fake_topgg: tuple[FakeTopgg, str],
    clock: MovableClock,
) -> None:
    fake, base = fake_topgg
    sid = await add_server(pool)
    await set_secret(pool, sid, "topgg", "legacy-v0-secret")
    body = json.dumps({"bot": "42", "user": "111", "type": "upvote"}).encode()
    status, _ = await post(http, f"/webhooks/topgg/{sid}", body, {"Authorization": "legacy-v0-secret"})
    assert status == 200
    created = (clock.now - dt.timedelta(seconds=5)).isoformat()
    fake.pages = {"first": {"cursor": "c1", "data": [listed("111", created)]}}
    result = await TopggBackfill(pool, TOKEN, base, clock=clock).run()
    assert (result.recorded, result.skipped) == (0, 1)
    assert len(await vote_rows(pool)) == 1


async def test_backfill_needs_a_target_server(
    pool: asyncpg.Pool, fake_topgg: tuple[FakeTopgg, str], clock: MovableClock
) -> None:
    _, base = fake_topgg
    assert (await TopggBackfill(pool, TOKEN, base, clock=clock).run()).server_id is None
    for name in ("A", "B"):
        sid = await add_server(pool, name, guild_id=ord(name))
        await set_secret(pool, sid, "topgg", "secret-" + name)
    ambiguous = await TopggBackfill(pool, TOKEN, base, clock=clock).run()
    assert ambiguous.server_id is None  # two servers, no project_id
    await set_secret(pool, sid, "topgg", "secret-B", project_id="803190510032756736")
    assert (await TopggBackfill(pool, TOKEN, base, clock=clock).run()).server_id == sid


@pytest.mark.parametrize("created", ["20260102T030405Z", "2026-W01-1T03:04:05Z", "2026-01-02T03:04:05"])
def test_a_listed_time_the_webhook_would_refuse_is_ignored(created: str, pool: asyncpg.Pool) -> None:
    """One reading of ids and times for the webhook and the backfill: the ledger key is made from it."""
    with pytest.raises(BadPayload):
        parse_iso8601(created, "data.created_at")
    assert TopggBackfill(pool, TOKEN)._vote(1, listed("111", created)) is None
    assert TopggBackfill(pool, TOKEN)._vote(1, listed("111", "2026-01-02T03:04:05.1234567+00:00")) is not None
