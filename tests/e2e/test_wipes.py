"""The wipe calendar end to end: /wipe add|list|remove, announcements once each across a restart (the due-work
function is called with an injected ``now``), the optional Discord scheduled event, bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from cogs.wipes.repository import WipeRepository
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, ROLE_VOTER, BotRunner, reply_text
from tests.e2e.test_event_api import configured, push, settled
from tests.fakediscord import FakeDiscord

MANAGE_EVENTS = 1 << 33


async def wipes_on(pool: asyncpg.Pool, role: bool = True) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Rust @here", vote_url="https://example.com/vote")).server
    await service.switch_feature(
        server, "wipes", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER if role else None
    )


WIPE_MARKS = ("📅 ", "🚨 ", "🔁 ", "❌ ")  # reminder, start, moved, cancelled


def wipe_posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.messages(GENERAL) if any(mark in m["content"] for mark in WIPE_MARKS)]


async def run_due(runner: BotRunner, now: dt.datetime) -> None:
    runner.clock.set(now)
    await runner.service("Wipes").announce_due(now)


async def test_announcements_once_each_across_restarts(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await wipes_on(pool)
    guild = fake.state.get_guild(GUILD_ID)
    guild["roles"][guild["bot_role_id"]]["permissions"] |= MANAGE_EVENTS
    start = (runner.clock.now + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    text = reply_text(
        await runner.command(
            ADMIN,
            "wipe add",
            title="Big Wipe @everyone",
            when=start.strftime("%Y-%m-%d %H:%M"),
            description="Map + BP wipe",
            repeat="weekly",
            discord_event=True,
        )
    )
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    # the time as typed, in the server's time zone, and labelled as the reader's own where Discord shows it so
    assert text == (
        f"Planned wipe #{wipe_id} **Big Wipe @everyone** for {start:%Y-%m-%d %H:%M} UTC "
        f"(<t:{int(start.timestamp())}:F> in your time zone)."
    )
    events = list(fake.state.get_guild(GUILD_ID)["scheduled_events"].values())
    assert len(events) == 1 and events[0]["scheduled_start_time"].startswith(start.strftime("%Y-%m-%dT%H:%M"))

    await run_due(runner, start - dt.timedelta(days=2))
    assert wipe_posts(fake) == []
    await run_due(runner, start - dt.timedelta(hours=23))
    await run_due(runner, start - dt.timedelta(hours=22))
    posts = wipe_posts(fake)
    assert len(posts) == 1
    assert posts[0]["content"] == (
        f"<@&{ROLE_VOTER}> 📅 **Big Wipe @everyone** on **Rust @here** starts <t:{int(start.timestamp())}:R> "
        f"(<t:{int(start.timestamp())}>)."
    )
    # only the role pings: the title's @everyone and the name's @here are kept off by allowed_mentions
    assert posts[0]["mention_roles"] == [str(ROLE_VOTER)] and not posts[0]["mention_everyone"]
    # the embed adds what the line does not say (no second title, no second start time)
    (embed,) = posts[0]["embeds"]
    assert "title" not in embed and embed["description"] == "Map + BP wipe"
    assert [f["name"] for f in embed["fields"]] == ["Duration", "Repeats"]

    await runner.restart()
    await run_due(runner, start - dt.timedelta(hours=21))
    assert len(wipe_posts(fake)) == 1
    await run_due(runner, start + dt.timedelta(minutes=1))
    await runner.restart()
    await run_due(runner, start + dt.timedelta(minutes=2))
    posts = wipe_posts(fake)
    assert len(posts) == 2 and "is starting now" in posts[1]["content"]
    # the repeating wipe's next occurrence got its own scheduled event
    assert len(fake.state.get_guild(GUILD_ID)["scheduled_events"]) == 2
    # next week's reminder, once
    await run_due(runner, start + dt.timedelta(days=6, hours=1))
    await run_due(runner, start + dt.timedelta(days=6, hours=2))
    assert len(wipe_posts(fake)) == 3
    keys = await pool.fetch("SELECT kind, posted_at IS NOT NULL AS posted FROM wipe_announcements")
    assert sorted((r["kind"], r["posted"]) for r in keys) == [("reminder", True), ("reminder", True), ("start", True)]


async def test_failed_post_is_retried_not_lost(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await wipes_on(pool, role=False)
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    await runner.command(ADMIN, "wipe add", title="Wipe", when=start.strftime("%Y-%m-%d %H:%M"))
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 403, "count": 1})
    await run_due(runner, start - dt.timedelta(hours=2))
    assert wipe_posts(fake) == []
    await run_due(runner, start - dt.timedelta(hours=1))
    assert len(wipe_posts(fake)) == 1


async def test_a_post_cut_off_by_a_crash_is_taken_over_after_its_lease(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await wipes_on(pool, role=False)
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    await runner.command(ADMIN, "wipe add", title="Wipe", when=start.strftime("%Y-%m-%d %H:%M"))
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    claimed_at = start - dt.timedelta(hours=1)
    # a process claimed the day-before reminder, then died before Discord answered
    assert await WipeRepository(pool).claim(wipe_id, start, "reminder", claimed_at)
    await run_due(runner, claimed_at + dt.timedelta(minutes=1))
    assert wipe_posts(fake) == []  # still being posted, as far as anyone can tell
    await run_due(runner, claimed_at + dt.timedelta(minutes=6))
    assert len(wipe_posts(fake)) == 1
    await run_due(runner, claimed_at + dt.timedelta(minutes=20))
    assert len(wipe_posts(fake)) == 1


async def test_list_and_remove(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await wipes_on(pool)
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    text = reply_text(
        await runner.command(
            ADMIN, "wipe add", title="Monthly wipe", when=start.strftime("%Y-%m-%d %H:%M"), discord_event=True
        )
    )
    assert "I need Manage Events" in text  # the wipe is kept; only the optional event failed
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    assert "Monthly wipe" in reply_text(await runner.command(ADMIN, "wipe list"))
    removed = reply_text(await runner.command(ADMIN, "wipe remove", wipe=wipe_id))
    assert removed == (
        f"Removed wipe #{wipe_id} **Monthly wipe**. If it was already announced, I'll post in <#{GENERAL}> that it "
        "is cancelled."
    )
    assert "No wipe is planned" in reply_text(await runner.command(ADMIN, "wipe list"))
    await run_due(runner, start - dt.timedelta(hours=1))
    assert wipe_posts(fake) == []


@pytest.mark.parametrize(
    ("when", "extra", "error"),
    [
        ("2020-01-01 10:00", {}, "in the past"),
        ("next friday", {}, "can't read the date"),
        ("2026-13-40 10:00", {}, "can't read the date"),
        (None, {"duration": "0m"}, "at least"),
        (None, {"duration": "9d"}, "at most"),
    ],
)
async def test_bad_input_stores_nothing(
    runner: BotRunner, pool: asyncpg.Pool, when: str | None, extra: dict[str, Any], error: str
) -> None:
    await wipes_on(pool)
    when = when or (runner.clock.now + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert error in reply_text(await runner.command(ADMIN, "wipe add", title="W", when=when, **extra))
    assert await pool.fetchval("SELECT count(*) FROM wipes") == 0


def events_of(fake: FakeDiscord) -> list[dict[str, Any]]:
    return list(fake.state.get_guild(GUILD_ID)["scheduled_events"].values())


async def planned_with_event(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, **extra: Any) -> dt.datetime:
    """Wipes on (the role pinged), Manage Events granted, a wipe three days ahead with a scheduled event."""
    await wipes_on(pool)
    guild = fake.state.get_guild(GUILD_ID)
    guild["roles"][guild["bot_role_id"]]["permissions"] |= MANAGE_EVENTS
    start = (runner.clock.now + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    when = start.strftime("%Y-%m-%d %H:%M")
    await runner.command(ADMIN, "wipe add", title="Big Wipe", when=when, discord_event=True, **extra)
    assert len(events_of(fake)) == 1
    return start


async def test_a_cancellation_after_the_reminder_is_announced_once(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    start = await planned_with_event(runner, pool, fake, repeat="weekly")
    await run_due(runner, start - dt.timedelta(hours=23))
    assert len(wipe_posts(fake)) == 1  # the day-before reminder pinged the role
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    assert "Removed wipe" in reply_text(await runner.command(ADMIN, "wipe remove", wipe=wipe_id))
    assert events_of(fake) == []  # the scheduled event is gone too

    await runner.restart()  # the notice is found from the stored state, not from memory
    await run_due(runner, start - dt.timedelta(hours=22))
    await run_due(runner, start - dt.timedelta(hours=21))
    await runner.restart()
    await run_due(runner, start - dt.timedelta(hours=20))
    await run_due(runner, start + dt.timedelta(minutes=1))
    posts = wipe_posts(fake)
    assert len(posts) == 2, [p["content"] for p in posts]
    notice = posts[1]
    assert notice["content"] == (
        f"❌ **Big Wipe** on **Rust @here**, planned for <t:{int(start.timestamp())}>, has been cancelled, "
        "and so have all its later dates."
    )
    assert notice["embeds"] == []
    assert notice["mention_roles"] == [] and f"<@&{ROLE_VOTER}>" not in notice["content"]  # no second ping
    assert not notice["mention_everyone"]


async def test_a_failed_notice_is_retried_not_lost(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    start = await planned_with_event(runner, pool, fake)
    await run_due(runner, start - dt.timedelta(hours=23))
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 403, "count": 1})
    await runner.command(ADMIN, "wipe remove", wipe=await pool.fetchval("SELECT id FROM wipes"))
    await run_due(runner, start - dt.timedelta(hours=22))
    await run_due(runner, start - dt.timedelta(hours=21))
    await run_due(runner, start - dt.timedelta(hours=20))
    posts = wipe_posts(fake)
    assert len(posts) == 2 and "has been cancelled." in posts[1]["content"]


async def test_a_wipe_cancelled_before_its_reminder_is_not_announced(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    start = await planned_with_event(runner, pool, fake)
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    await runner.command(ADMIN, "wipe remove", wipe=wipe_id)
    await run_due(runner, start - dt.timedelta(hours=23))
    assert wipe_posts(fake) == []  # nobody was told of it: nothing to take back


async def test_a_move_after_the_reminder_is_announced_and_the_event_follows(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    start = await planned_with_event(runner, pool, fake)
    await run_due(runner, start - dt.timedelta(hours=23))
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    new_start = start + dt.timedelta(days=2)
    answer = reply_text(
        await runner.command(ADMIN, "wipe move", wipe=wipe_id, when=new_start.strftime("%Y-%m-%d %H:%M"))
    )
    assert answer == (
        f"Moved wipe #{wipe_id} **Big Wipe** to {new_start:%Y-%m-%d %H:%M} UTC (<t:{int(new_start.timestamp())}:F> "
        f"in your time zone). If it was already announced, I'll post the new time in <#{GENERAL}>."
    )
    (event,) = events_of(fake)
    assert event["scheduled_start_time"].startswith(new_start.strftime("%Y-%m-%dT%H:%M"))

    await run_due(runner, start - dt.timedelta(hours=22))
    await runner.restart()
    await run_due(runner, start - dt.timedelta(hours=21))
    await run_due(runner, start + dt.timedelta(minutes=1))  # the old start passes quietly
    posts = wipe_posts(fake)
    assert len(posts) == 2
    moved = posts[1]
    assert moved["content"] == (
        f"🔁 **Big Wipe** on **Rust @here** has been moved from <t:{int(start.timestamp())}> to "
        f"<t:{int(new_start.timestamp())}> (<t:{int(new_start.timestamp())}:R>)."
    )
    assert moved["embeds"] == [] and moved["mention_roles"] == [] and not moved["mention_everyone"]

    # the new start gets its own reminder, which pings as every reminder does
    await run_due(runner, new_start - dt.timedelta(hours=23))
    posts = wipe_posts(fake)
    assert len(posts) == 3 and "starts <t:" in posts[2]["content"] and posts[2]["mention_roles"] == [str(ROLE_VOTER)]

    # members were told of the new start: cancelling it now is announced, once
    await runner.command(ADMIN, "wipe remove", wipe=wipe_id)
    assert events_of(fake) == []
    await run_due(runner, new_start - dt.timedelta(hours=22))
    await run_due(runner, new_start - dt.timedelta(hours=21))
    posts = wipe_posts(fake)
    assert len(posts) == 4 and "has been cancelled." in posts[3]["content"]


async def test_a_move_notice_alone_counts_as_telling_members(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    start = await planned_with_event(runner, pool, fake)
    await run_due(runner, start - dt.timedelta(hours=23))
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    new_start = start + dt.timedelta(days=5)
    await runner.command(ADMIN, "wipe move", wipe=wipe_id, when=new_start.strftime("%Y-%m-%d %H:%M"))
    await run_due(runner, start - dt.timedelta(hours=22))
    assert "has been moved from" in wipe_posts(fake)[-1]["content"]
    await runner.command(ADMIN, "wipe remove", wipe=wipe_id)  # before the new start's reminder
    await run_due(runner, start - dt.timedelta(hours=21))
    posts = wipe_posts(fake)
    assert len(posts) == 3 and "has been cancelled." in posts[2]["content"]
    assert f"<t:{int(new_start.timestamp())}" in posts[2]["content"]


async def test_move_refuses_bad_input(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    start = await planned_with_event(runner, pool, fake)
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    assert "in the past" in reply_text(await runner.command(ADMIN, "wipe move", wipe=wipe_id, when="2020-01-01 10:00"))
    assert "no planned wipe #999" in reply_text(
        await runner.command(ADMIN, "wipe move", wipe=999, when=start.strftime("%Y-%m-%d %H:%M"))
    )
    assert await pool.fetchval("SELECT starts_at FROM wipes") == start


@pytest.fixture
async def http(runner: BotRunner) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=runner.web_url) as session:
        yield session


async def test_a_listing_site_moving_then_cancelling_an_announced_wipe(
    runner: BotRunner, http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await configured(pool)
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    runner.clock.set(now)
    starts, later = now + dt.timedelta(days=2), now + dt.timedelta(days=4)
    data = {"wipe_id": "w1", "title": "Map Wipe", "starts_at": starts.isoformat()}
    assert (await push(http, server.id, {"type": "wipe.scheduled", "id": "e1", "data": data}))[0] == 202
    await settled(runner)
    await run_due(runner, starts - dt.timedelta(hours=23))
    assert len(wipe_posts(fake)) == 1

    moved = {**data, "starts_at": later.isoformat()}  # the site's own id: the same wipe, a new start
    assert (await push(http, server.id, {"type": "wipe.scheduled", "id": "e2", "data": moved}))[0] == 202
    await settled(runner)
    await run_due(runner, starts - dt.timedelta(hours=22))
    await run_due(runner, starts - dt.timedelta(hours=21))
    posts = wipe_posts(fake)
    assert len(posts) == 2 and "has been moved from" in posts[1]["content"]

    cancelled = {"type": "wipe.cancelled", "id": "e3", "data": {"wipe_id": "w1"}}
    assert (await push(http, server.id, cancelled))[0] == 202
    await settled(runner)
    await runner.restart()
    await run_due(runner, starts - dt.timedelta(hours=20))
    await run_due(runner, later - dt.timedelta(hours=23))
    posts = wipe_posts(fake)
    assert len(posts) == 3 and "has been cancelled." in posts[2]["content"]
