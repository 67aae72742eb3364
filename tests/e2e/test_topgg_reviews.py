"""With a Top.gg token, new reviews on Top.gg are announced once (the first poll is the baseline)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.db.credentials import CredentialRepository
from bot.votes.credentials import store_secret
from cogs.reviews.topgg import TopggReviewPoller, change_text, parse_stats
from tests.e2e.harness import GENERAL, GUILD_ID, BotRunner
from tests.fakediscord import FakeDiscord
from tests.http_util import serving


@pytest.fixture
async def topgg_api() -> AsyncIterator[tuple[dict[str, Any], str]]:
    project: dict[str, Any] = {"id": "803190510032756736", "review_count": 10, "review_score": 4.5}

    async def me(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer tok":
            return web.json_response({"title": "Unauthorized"}, status=401)
        return web.json_response(project)

    app = web.Application()
    app.router.add_get("/api/v1/projects/@me", me)
    async with serving(app) as base_url:
        yield project, f"{base_url}/api/v1"


async def test_new_topgg_reviews_announced_once(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, topgg_api: tuple[dict[str, Any], str]
) -> None:
    project, base_url = topgg_api
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://top.gg/bot/1")).server
    await store_secret(CredentialRepository(pool), server.id, "topgg", "whs_secret_value")
    await service.switch_feature(server, "reviews", enabled=True, channel_id=GENERAL)
    cog: Any = runner.service("Reviews")
    cog._poller = TopggReviewPoller(pool, "tok", base_url)  # as `topgg.api_token` / `api_base_url` would set up

    assert await cog.poll_topgg() is None  # baseline
    assert await cog.poll_topgg() is None  # unchanged
    project["review_count"], project["review_score"] = 12, 4.6
    text = await cog.poll_topgg()
    assert text is not None and "2 new reviews" in text and "12 in total" in text and "4.6/5" in text
    assert [m["content"] for m in fake.messages(GENERAL) if "Top.gg" in m["content"]] == [text]
    assert await cog.poll_topgg() is None  # announced once

    # Discord fails the next announcement: it is not forgotten, the next poll makes it
    project["review_count"] = 13
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 503, "count": 5})
    assert await cog.poll_topgg() is None
    fake.clear_faults()
    later = await cog.poll_topgg()
    assert later is not None and "1 new review" in later and "13 in total" in later

    # with --shards, a process that does not own the guild leaves the announcement to the one that does
    shard = (GUILD_ID >> 22) % 2
    cog._ownership = ShardOwnership.of([1 - shard], 2)
    project["review_count"] = 14
    assert await cog.poll_topgg() is None
    cog._ownership = ShardOwnership.of([shard], 2)
    assert "1 new review" in (await cog.poll_topgg() or "")

    cog._poller = TopggReviewPoller(pool, "wrong-token", base_url)
    assert await cog.poll_topgg() is None  # 401: logged, nothing posted


def test_parse_and_text_edge_cases() -> None:
    assert parse_stats({"review_count": -1}) is None
    assert parse_stats({"review_count": True}) is None
    assert parse_stats({"review_count": 3, "review_score": "NaN"}).score is None  # type: ignore[union-attr]
    new = parse_stats({"review_count": 4, "review_score": 87})
    assert new is not None and change_text("S", None, new) is None
    old = parse_stats({"review_count": 3})
    assert "1 new review of" in (change_text("S", old, new) or "") and "87.0/100" in (change_text("S", old, new) or "")
