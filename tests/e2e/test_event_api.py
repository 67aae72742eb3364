"""The signed event API end to end: HTTP into the bot's own WebhookManager, effects out through the real bot —
each alert once, duplicates answered 200, invalid data refused with the field named and nothing stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.db.pushed_events import PushedEventRepository
from bot.db.records import Server
from bot.votes.credentials import store_secret
from tests.e2e.engagement_helpers import delivered, make_server, record_vote, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, BotRunner, reply_text
from tests.e2e.test_reviews import WINNER, alerts, features_on, wait_alerts
from tests.fakediscord import FakeDiscord

SECRET = "event-secret-0123456789"


def signed(body: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"x-votebot-signature": f"sha256={digest}", "content-type": "application/json"}


@pytest.fixture
async def http(runner: BotRunner) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=runner.web_url) as session:
        yield session


async def push(http: aiohttp.ClientSession, server_id: int, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    raw, headers = signed(event)
    async with http.post(f"/events/{server_id}", data=raw, headers=headers) as response:
        return response.status, await response.json()


async def configured(pool: asyncpg.Pool) -> Server:
    server = await features_on(pool)
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    return server


async def settled(runner: BotRunner) -> None:
    """Whatever the bot delivers for stored events has been delivered."""
    await runner.service("Events").deliver_due(runner.clock())


async def test_signed_event_alerts_once_and_bad_signature_is_refused(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await features_on(pool)
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    event = {"type": "review.create", "id": "rev-1", "data": {"author": "Steve_**", "rating": 4, "text": "gg"}}

    raw, headers = signed(event, secret="wrong-secret")
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 401
    flipped = raw.replace(b"gg", b"GG")
    async with http.post(f"/events/{server.id}", data=flipped, headers=signed(event)[1]) as response:
        assert response.status == 401
    async with http.post(f"/events/{server.id}", data=raw, headers={"content-type": "application/json"}) as response:
        assert response.status == 401
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 0

    raw, headers = signed(event)
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 202 and (await response.json())["duplicate"] is False
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 200 and (await response.json())["duplicate"] is True
    alert = (await wait_alerts(fake, 1))[0]
    assert "★★★★☆" in alert["embeds"][0]["description"]
    await asyncio.sleep(0.3)
    assert len(alerts(fake)) == 1


async def test_event_bad_input(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    server = await features_on(pool)
    unconfigured = (
        await ServerService(pool, features()).add(guild_id=GUILD_ID, name="Other", vote_url="https://e.com")
    ).server
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    cases = [
        (
            f"/events/{server.id}",
            *signed({"type": "review.create", "id": "x", "data": {"author": "a", "rating": 9}}),
            400,
        ),
        (f"/events/{server.id}", *signed({"type": "nope", "id": "x", "data": {}}), 400),
        (f"/events/{unconfigured.id}", *signed({"type": "rank.update", "id": "x", "data": {"rank": 1}}), 401),
        ("/events/999999", *signed({"type": "rank.update", "id": "x", "data": {"rank": 1}}), 404),
        ("/events/abc", *signed({}), 404),
    ]
    for path, raw, headers, status in cases:
        async with http.post(path, data=raw, headers=headers) as response:
            assert response.status == status, (path, raw)
    not_json = b"{not json"
    digest = hmac.new(SECRET.encode(), not_json, hashlib.sha256).hexdigest()
    async with http.post(
        f"/events/{server.id}", data=not_json, headers={"x-votebot-signature": f"sha256={digest}"}
    ) as r:
        assert r.status == 400
    async with http.post(f"/events/{server.id}", data=b"x" * 70_000, headers=signed({})[1]) as response:
        assert response.status == 413
    assert await pool.fetchval("SELECT count(*) FROM community_events") == 0


async def test_setup_provider_modal_and_generate(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = (
        await ServerService(pool, features()).add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/v")
    ).server
    responses = await runner.command(ADMIN, "setup provider", provider="topgg")
    modal = responses[0]
    assert modal["type"] == 9  # a modal: the secret is never part of the command line
    created = await fake.interact(
        {
            "type": 5,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(ADMIN),
            "custom_id": modal["data"]["custom_id"],
            "fields": {"secret": "whs_my_topgg_secret_value"},
        }
    )
    answer = reply_text(await fake.wait_for_response(created["interaction_id"]))
    assert "secret for **" in answer and "** saved." in answer and "whs_my_topgg_secret_value" not in answer
    assert f"/webhooks/topgg/{server.id}" in answer
    credential = await CredentialRepository(pool).get(server.id, "topgg")
    assert credential is not None and credential.secret == "whs_my_topgg_secret_value"

    generated = reply_text(await runner.command(ADMIN, "setup provider", provider="events", generate=True))
    stored = await CredentialRepository(pool).get(server.id, "events")
    assert stored is not None and f"`{stored.secret}`" in generated and "shown only once" in generated


async def test_pushed_review_alert_once_across_a_restart(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await configured(pool)
    event = {"type": "review.create", "id": "evt-1", "data": {"author": "@everyone", "rating": 5, "text": "Best"}}
    assert await push(http, server.id, event) == (202, {"ok": True, "duplicate": False, "type": "review.create",
                                                      "id": "evt-1"})  # fmt: skip
    alert = (await wait_alerts(fake, 1))[0]
    embed = alert["embeds"][0]
    assert "★★★★★" in embed["description"] and not alert["mention_everyone"]
    assert embed["fields"] == [{"name": "By", "value": "@everyone", "inline": True}]  # embeds never ping
    assert embed["footer"]["text"] == "From our server-list page"  # not "From: the listing site"
    status, body = await push(http, server.id, event)
    assert status == 200 and body["duplicate"] is True
    await runner.restart()  # delivery on start must not repeat the alert either
    await settled(runner)
    assert len(alerts(fake)) == 1
    assert await pool.fetchval("SELECT count(*) FROM reviews WHERE source = 'api'") == 1


async def test_pushed_winners_ping_only_winners(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await configured(pool)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(WINNER), "name": "winner"})
    data = {"prize": "VIP @everyone", "winners": [{"name": "Steve <@1>", "discord_id": str(WINNER)}, {"name": "Alex"}]}
    assert (await push(http, server.id, {"type": "giveaway.winner", "id": "g-1", "data": data}))[0] == 202
    message = await fake.state.wait_until(
        lambda: next((m for m in fake.messages(GENERAL) if "Giveaway winners" in m["content"]), None), 10, "winners"
    )
    assert [int(u["id"]) for u in message["mentions"]] == [WINNER] and not message["mention_everyone"]


async def test_pushed_wipes_and_ranks(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await configured(pool)
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    calendar = runner.running.calendar
    starts = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    data = {"wipe_id": "w1", "title": "Map wipe", "starts_at": starts.isoformat(), "repeat": "weekly"}
    assert (await push(http, server.id, {"type": "wipe.scheduled", "id": "e-w1", "data": data}))[0] == 202
    await settled(runner)
    assert await calendar.next_start(server.id, runner.clock()) == starts
    assert (await push(http, server.id, {"type": "wipe.cancelled", "id": "e-w2", "data": {"wipe_id": "w1"}}))[0] == 202
    await settled(runner)
    assert await calendar.next_start(server.id, runner.clock()) is None

    # a pushed rank is announced by the milestones feature (a new best this month), once
    await ServerService(pool, features()).switch_feature(server, "milestones", enabled=True, channel_id=GENERAL)
    rank = {"type": "rank.update", "id": "r1", "data": {"rank": 3, "previous_rank": 5}}
    assert (await push(http, server.id, rank))[0] == 202
    await fake.state.wait_until(
        lambda: next((m for m in fake.messages(GENERAL) if "climbed to **#3**" in m["content"]), None), 10, "rank-up"
    )
    await settled(runner)
    assert await pool.fetchval("SELECT count(*) FROM community_events WHERE delivered_at IS NULL") == 0
    assert len([m for m in fake.messages(GENERAL) if "climbed to" in m["content"]]) == 1


@pytest.mark.parametrize(
    ("event_type", "event_id", "data", "status", "message"),
    [
        ("review.create", "e1", {"author": "a", "rating": 6}, 400, "data.rating"),
        ("review.create", "e1", {"author": "a", "rating": True}, 400, "data.rating"),
        ("review.create", "e1", {"author": "a", "rating": 3, "extra": 1}, 400, "unknown field"),
        ("review.create", "e1", {"author": "a", "rating": 3, "text": "x" * 20000}, 413, "larger than"),
        ("review.create", "has space", {"author": "a", "rating": 3}, 400, "id must be"),
        ("review.spam", "e1", {}, 400, "unknown event type"),
        ("giveaway.winner", "e1", {"prize": "p", "winners": []}, 400, "1 to 20"),
        (
            "giveaway.winner",
            "e1",
            {"prize": "p", "winners": [{"name": "a", "discord_id": "@everyone"}]},
            400,
            "snowflake",
        ),
        ("wipe.scheduled", "e1", {"wipe_id": "w", "title": "t", "starts_at": "2020-01-01T00:00:00Z"}, 400, "past"),
        ("wipe.scheduled", "e1", {"wipe_id": "w", "title": "t", "starts_at": "2030-01-01T00:00"}, 400, "offset"),
        ("wipe.scheduled", "e1", {"wipe_id": "w", "title": "t", "starts_at": "soon"}, 400, "ISO 8601"),
        ("wipe.cancelled", "e1", {"wipe_id": "nope"}, 400, "unknown wipe"),
        ("rank.update", "e1", {"rank": 0}, 400, "data.rank"),
    ],
)
async def test_invalid_events_store_nothing(
    http: aiohttp.ClientSession,
    pool: asyncpg.Pool,
    event_type: str,
    event_id: str,
    data: dict[str, Any],
    status: int,
    message: str,
) -> None:
    server = await configured(pool)
    got, body = await push(http, server.id, {"type": event_type, "id": event_id, "data": data})
    assert got == status and message in body["error"], body
    for table in ("community_events", "reviews", "wipes", "rank_updates"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_a_burst_is_delivered_in_one_run_not_fifty_per_tick(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await configured(pool)
    events = PushedEventRepository(pool)
    for i in range(120):
        await events.record(server.id, f"burst-{i}", "rank.update", {"rank": 100 + i})
    await runner.service("Events").deliver_due(runner.clock())
    assert await pool.fetchval("SELECT count(*) FROM community_events WHERE delivered_at IS NULL") == 0


async def test_a_pushed_rank_counts_once_a_category_is_set_and_wins_over_the_computed_one(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 12: with a category, the bot's own rank among its servers (#2 of 2) became the month's best, so the
    site's pushed #3 never counted. The site's rank is stored and announced apart, and it wins: once it pushes,
    "#1 of the servers this bot lists" is not announced."""
    alpha = await make_server(pool, "Alpha", category="survival")
    beta = await make_server(pool, "Beta", category="survival")
    await store_secret(CredentialRepository(pool), alpha.id, "events", SECRET)
    await ServerService(pool, features()).switch_feature(alpha, "milestones", enabled=True, channel_id=GENERAL)
    now = runner.clock.now
    for key in ("b1", "b2"):
        await record_vote(pool, beta, key, now, player_name="Other")
    await record_vote(pool, alpha, "a1", now, player_name="Steve")  # computed: #2 of 2, the month's baseline
    await delivered(pool)

    rank = {"type": "rank.update", "id": "r1", "data": {"rank": 3, "previous_rank": 5}}
    assert (await push(http, alpha.id, rank))[0] == 202
    await wait_until(lambda: "📈 **Alpha** climbed to **#3** in survival this month!" in texts(fake, GENERAL))

    for key in ("a2", "a3"):  # computed: #1 of the 2 servers this bot lists; the site says otherwise
        await record_vote(pool, alpha, key, now, player_name="Steve")
    await delivered(pool)
    await settled(runner)
    assert [t for t in texts(fake, GENERAL) if "📈" in t] == ["📈 **Alpha** climbed to **#3** in survival this month!"]

    better = {"type": "rank.update", "id": "r2", "data": {"rank": 2, "category": "Survival PvP"}}
    assert (await push(http, alpha.id, better))[0] == 202
    await wait_until(lambda: "📈 **Alpha** climbed to **#2** in Survival PvP this month!" in texts(fake, GENERAL))
    again = {"type": "rank.update", "id": "r3", "data": {"rank": 2}}  # not a new best: silent
    assert (await push(http, alpha.id, again))[0] == 202
    await settled(runner)
    assert len([t for t in texts(fake, GENERAL) if "📈" in t]) == 2


async def test_a_rank_pushed_while_milestones_are_off_is_kept_as_the_sites_baseline(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    alpha = await make_server(pool, "Alpha", category="survival")
    beta = await make_server(pool, "Beta", category="survival")
    await store_secret(CredentialRepository(pool), alpha.id, "events", SECRET)
    assert (await push(http, alpha.id, {"type": "rank.update", "id": "r1", "data": {"rank": 4}}))[0] == 202
    await settled(runner)
    assert await pool.fetchval("SELECT value FROM engagement_runs WHERE kind = 'site_rank'") == 4

    await ServerService(pool, features()).switch_feature(alpha, "milestones", enabled=True, channel_id=GENERAL)
    now = runner.clock.now
    for key in ("b1", "b2"):
        await record_vote(pool, beta, key, now, player_name="Other")
    for key in ("a1", "a2", "a3"):  # computed: from #2 to #1 of the bot's two servers, never announced
        await record_vote(pool, alpha, key, now, player_name="Steve")
    await delivered(pool)
    assert (await push(http, alpha.id, {"type": "rank.update", "id": "r2", "data": {"rank": 2}}))[0] == 202
    await wait_until(lambda: any("📈" in t for t in texts(fake, GENERAL)))
    assert [t for t in texts(fake, GENERAL) if "📈" in t] == ["📈 **Alpha** climbed to **#2** in survival this month!"]
