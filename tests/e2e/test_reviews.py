"""Reviews and pushed events end to end: /review modal → alert (editable, one per member), pushed events
through ``handle_pushed_event`` → alert once, duplicates and invalid data."""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from bot.core.servers import ServerService
from bot.db.records import Server
from cogs.events.service import EventError, handle_pushed_event, pending_rank_updates
from cogs.wipes.service import next_wipe
from tests.e2e.harness import GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6
WINNER = 1_100_000_000_000_000_401


async def features_on(pool: asyncpg.Pool) -> Server:
    service = ServerService(pool)
    server = (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/vote")).server
    for feature in ("reviews", "giveaways", "wipes"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL)
    return server


def alerts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.messages(GENERAL) if m["embeds"] and "review" in m["embeds"][0].get("title", "").lower()]


async def wait_alerts(fake: FakeDiscord, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await fake.state.wait_until(
        lambda: alerts(fake) if len(alerts(fake)) >= count else None, 10, f"{count} review alert(s)"
    )
    return found


async def submit_review(runner: BotRunner, fake: FakeDiscord, fields: dict[str, str]) -> list[dict[str, Any]]:
    opened = await runner.command(MEMBER, "review")
    assert opened[0]["type"] == 9, opened  # a modal
    modal = opened[0]["data"]
    created = await fake.interact(
        {
            "type": 5,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(MEMBER),
            "custom_id": modal["custom_id"],
            "fields": fields,
        }
    )
    return await fake.wait_for_response(created["interaction_id"], timeout=10)


async def test_review_modal_alert_and_edit(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await features_on(pool)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(MEMBER), "nick": "@everyone **bold**"})
    answer = await submit_review(runner, fake, {"rating": "4", "text": "Great admins <@&1> @here"})
    assert "saved" in reply_text(answer) and answer[0]["data"]["flags"] & EPHEMERAL
    alert = (await wait_alerts(fake, 1))[0]
    embed = alert["embeds"][0]
    assert embed["title"] == "New review for Survival"
    assert "★★★★☆" in embed["description"] and "@\u200bhere" in embed["description"]
    assert "@\u200beveryone \\*\\*bold\\*\\*" in embed["fields"][0]["value"]
    assert not alert["mention_everyone"] and alert["mention_roles"] == [] and alert["mentions"] == []

    # the modal is prefilled with the stored review; submitting again edits it
    opened = await runner.command(MEMBER, "review")
    inputs = [row["components"][0] for row in opened[0]["data"]["components"]]
    assert [i.get("value") for i in inputs] == ["4", "Great admins <@&1> @here"]
    answer = await submit_review(runner, fake, {"rating": "2", "text": "x" * 3000})
    assert "updated" in reply_text(answer)
    updated = (await wait_alerts(fake, 2))[1]["embeds"][0]
    assert updated["title"] == "Review updated for Survival" and updated["description"].endswith("…")
    assert len(updated["description"]) < 1100
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 1


@pytest.mark.parametrize("rating", ["7", "0", "x"])
async def test_bad_rating_stores_nothing(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, rating: str) -> None:
    await features_on(pool)
    answer = await submit_review(runner, fake, {"rating": rating, "text": "hi"})
    assert "from 1 to 5" in reply_text(answer)
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 0 and alerts(fake) == []


async def test_review_closed_when_feature_off(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await features_on(pool)
    await ServerService(pool).switch_feature(server, "reviews", enabled=False)
    assert "not open" in reply_text(await runner.command(MEMBER, "review"))


async def test_pushed_review_alert_once(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await features_on(pool)
    assert runner.bot is not None
    data = {"author": "@everyone", "rating": 5, "text": "Best server"}
    result = await handle_pushed_event(runner.bot, server.id, "review.create", "evt-1", data)
    assert not result.duplicate and result.http_status == 202
    alert = (await wait_alerts(fake, 1))[0]
    assert "★★★★★" in alert["embeds"][0]["description"] and not alert["mention_everyone"]
    again = await handle_pushed_event(runner.bot, server.id, "review.create", "evt-1", data)
    assert again.duplicate and again.http_status == 200
    await runner.restart()  # redelivery on start must not repeat the alert either
    assert runner.bot is not None
    await runner.bot.get_cog("ReviewCog").deliver_pending(dt.datetime.now(dt.UTC))  # type: ignore[union-attr]
    assert len(alerts(fake)) == 1
    assert await pool.fetchval("SELECT count(*) FROM reviews WHERE source = 'api'") == 1


async def test_pushed_winners_ping_only_winners(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await features_on(pool)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(WINNER), "name": "winner"})
    data = {"prize": "VIP @everyone", "winners": [{"name": "Steve <@1>", "discord_id": str(WINNER)}, {"name": "Alex"}]}
    await handle_pushed_event(runner.bot, server.id, "giveaway.winner", "g-1", data)  # type: ignore[arg-type]
    message = await fake.state.wait_until(
        lambda: next((m for m in fake.messages(GENERAL) if "Giveaway winners" in m["content"]), None), 10, "winners"
    )
    assert [int(u["id"]) for u in message["mentions"]] == [WINNER] and not message["mention_everyone"]


async def test_pushed_wipes_and_ranks(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await features_on(pool)
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    data = {"wipe_id": "w1", "title": "Map wipe", "starts_at": starts.isoformat(), "repeat": "weekly"}
    await handle_pushed_event(runner.bot, server.id, "wipe.scheduled", "e-w1", data)  # type: ignore[arg-type]
    assert await next_wipe(pool, server.id, dt.datetime.now(dt.UTC)) == starts
    await handle_pushed_event(runner.bot, server.id, "wipe.cancelled", "e-w2", {"wipe_id": "w1"})  # type: ignore[arg-type]
    assert await next_wipe(pool, server.id, dt.datetime.now(dt.UTC)) is None

    # a pushed rank is announced by the milestones feature (a new best this month), then marked announced
    await ServerService(pool).switch_feature(server, "milestones", enabled=True, channel_id=GENERAL)
    await handle_pushed_event(runner.bot, server.id, "rank.update", "r1", {"rank": 3, "previous_rank": 5})  # type: ignore[arg-type]
    assert await pool.fetchval("SELECT rank FROM rank_updates WHERE event_id = 'r1'") == 3
    await fake.state.wait_until(
        lambda: next((m for m in fake.messages(GENERAL) if "climbed to **#3**" in m["content"]), None), 10, "rank-up"
    )
    for _ in range(50):
        if not await pending_rank_updates(pool, server.id):
            break
        await asyncio.sleep(0.05)
    assert await pending_rank_updates(pool, server.id) == []


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
    pool: asyncpg.Pool, event_type: str, event_id: str, data: dict[str, Any], status: int, message: str
) -> None:
    server = await features_on(pool)
    deps = SimpleNamespace(pool=pool)  # validation needs no bot: nothing reaches Discord
    with pytest.raises(EventError) as raised:
        await handle_pushed_event(deps, server.id, event_type, event_id, data)  # type: ignore[arg-type]
    assert raised.value.status == status and message in str(raised.value)
    for table in ("community_events", "reviews", "wipes", "rank_updates"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_unknown_server(runner: BotRunner, pool: asyncpg.Pool) -> None:
    with pytest.raises(EventError) as raised:
        await handle_pushed_event(runner.bot, 999, "rank.update", "e1", {"rank": 1})  # type: ignore[arg-type]
    assert raised.value.status == 404
    assert await pool.fetchval("SELECT count(*) FROM community_events") == 0
