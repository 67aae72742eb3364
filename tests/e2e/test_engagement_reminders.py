"""Reminders against fakediscord: "Remind me" button, DM delivered once, closed DMs → channel mention, quiet hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.core.time import slot_of, zone
from bot.db.records import Server
from bot.db.runs import RunRepository
from bot.votes.events import VoteEvent
from tests.e2e.engagement_helpers import link_in_game, make_server, record_vote, sent, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, ROLE_VOTER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord


def reminders(runner: BotRunner) -> Any:
    return runner.service("Reminders")


async def press_remind_me(runner: BotRunner, fake: FakeDiscord, server: Server) -> str:
    """Vote (thank-you message carries the button), then press it as MEMBER."""
    thank_you = next(m for m in fake.messages(GENERAL) if "Thank you" in (m.get("content") or ""))
    custom_ids = [c["custom_id"] for row in thank_you["components"] for c in row["components"]]
    assert custom_ids == [f"reminders:remind:{server.id}"]
    created = await fake.interact(
        {
            "type": 3,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(MEMBER),
            "custom_id": custom_ids[0],
            "message_id": thank_you["id"],
        }
    )
    return reply_text(await fake.wait_for_response(created["interaction_id"], timeout=10))


async def setup_voted(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, **server_columns: Any) -> Server:
    server = await make_server(pool, **server_columns)
    await ServerService(pool, features()).switch_feature(server, "reminders", enabled=True, channel_id=GENERAL)
    await runner.command(ADMIN, "rewards setup", channel=str(GENERAL))
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    return server


async def test_remind_me_then_one_dm(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    # 15:00 UTC: the channel ping's 12 h slot (from midnight) began three hours ago, past its one-hour grace
    now = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    runner.clock.set(now)
    server = await setup_voted(runner, pool, fake)
    # /vote shows the button too
    vote_reply = await runner.command(MEMBER, "vote")
    buttons = [c.get("custom_id") for row in vote_reply[0]["data"]["components"] for c in row["components"]]
    assert f"reminders:remind:{server.id}" in buttons

    await record_vote(pool, server, "v1", now, player_name="Steve", expires_at=now + dt.timedelta(hours=2))
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    assert "I'll remind you" in await press_remind_me(runner, fake, server)
    cog = reminders(runner)
    fake.clear_requests()
    assert await cog.sweep() == 0  # not due yet
    runner.clock.set(now + dt.timedelta(hours=2, seconds=1))
    assert await cog.sweep() == 1
    assert await cog.sweep() == 0  # delivered once
    await runner.restart()  # and a restart does not deliver it again
    runner.clock.set(now + dt.timedelta(hours=3))
    assert await reminders(runner).sweep() == 0
    assert "You can vote right now" in await press_remind_me(runner, fake, server)  # the button survived
    dms = [r for r in fake.requests if r["method"] == "POST" and r["path"].startswith("/channels/")]
    dms = [r for r in dms if "⏰ You can vote for **Alpha** again" in ((r["json"] or {}).get("content") or "")]
    assert len(dms) == 1 and dms[0]["json"]["allowed_mentions"]["parse"] == []
    # the next vote schedules the next reminder on its own; /remind off stops it
    await record_vote(pool, server, "v2", now, player_name="Steve", expires_at=now + dt.timedelta(hours=5))
    await wait_until(lambda: len([t for t in texts(fake, GENERAL) if "Thank you" in t]) == 2)
    assert await pool.fetchval("SELECT count(*) FROM reminders") == 1
    assert (
        reply_text(await runner.command(MEMBER, "remind off")) == f"Your vote reminders for **{server.name}** are off."
    )
    assert await pool.fetchval("SELECT count(*) FROM reminders") == 0


async def test_closed_dms_fall_back_to_a_channel_mention_and_quiet_hours_wait(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await setup_voted(runner, pool, fake, timezone="Europe/Berlin")
    voted = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)
    await record_vote(pool, server, "v1", voted, player_name="Steve", expires_at=voted + dt.timedelta(hours=4))
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    cog = reminders(runner)
    runner.clock.set(voted)
    await press_remind_me(runner, fake, server)
    # quiet 22:00-08:00 Berlin; due 22:00 UTC = 23:00 Berlin → waits until 08:00 Berlin (07:00 UTC)
    refused = reply_text(await runner.command(MEMBER, "remind quiet", start="22", end="8:5"))
    assert refused == "“22” is not a time. Use the 24-hour clock, e.g. 09:00 or 22:30."  # as for every setting
    answer = reply_text(await runner.command(MEMBER, "remind quiet", start="22:00", end="8:00"))
    assert answer == (
        f"I won't send you vote reminders for **{server.name}** between 22:00 and 08:00 (Europe/Berlin); "
        "one due then comes at 08:00."
    )
    empty = reply_text(await runner.command(MEMBER, "remind quiet", start="22:00", end="22:00"))
    assert empty == "Quiet hours need a start and an end that differ, e.g. start:22:00 end:08:00."
    fake.set_dms_open(MEMBER, False)
    runner.clock.set(voted + dt.timedelta(hours=4, minutes=1))
    assert await cog.sweep() == 0
    due = await pool.fetchval("SELECT due_at FROM reminders")
    assert due == dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC)
    runner.clock.set(due)
    fake.clear_requests()
    assert await cog.sweep() == 1
    fallback = [r for r in sent(fake, "POST", f"/channels/{GENERAL}/messages") if "again" in r["json"]["content"]]
    assert len(fallback) == 1
    assert fallback[0]["json"]["content"].startswith(f"<@{MEMBER}> ")
    assert fallback[0]["json"]["allowed_mentions"]["users"] in ([MEMBER], [str(MEMBER)])
    assert await cog.sweep() == 0


async def test_channel_ping_once_per_cooldown_slot(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool, timezone="America/New_York")
    await ServerService(pool, features()).switch_feature(
        server, "reminders", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER
    )
    cog = reminders(runner)
    at = dt.datetime(2026, 11, 24, 17, 5, tzinfo=dt.UTC)  # 12:05 New York: the 12:00 slot of a 12 h cooldown
    runner.clock.set(at)
    fake.clear_requests()
    await cog.sweep()
    await cog.sweep()
    await runner.restart()
    runner.clock.set(at + dt.timedelta(minutes=10))
    await reminders(runner).sweep()
    pings = [r for r in sent(fake, "POST", f"/channels/{GENERAL}/messages") if "You can vote" in r["json"]["content"]]
    assert len(pings) == 1
    assert pings[0]["json"]["content"].startswith(f"<@&{ROLE_VOTER}> ")
    assert pings[0]["json"]["allowed_mentions"]["roles"] in ([ROLE_VOTER], [str(ROLE_VOTER)])


async def test_a_late_retry_of_an_older_vote_neither_moves_nor_repeats_the_reminder(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """The dispatcher retries a failed consumer after newer votes went ahead, and replays dead letters."""
    now = runner.clock.now
    server = await setup_voted(runner, pool, fake)
    await record_vote(pool, server, "v1", now, player_name="Steve", expires_at=now + dt.timedelta(hours=2))
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    assert "I'll remind you" in await press_remind_me(runner, fake, server)
    service = reminders(runner)
    older = VoteEvent(0, server, "topserver", "v0", "Steve", MEMBER, 1, now, now + dt.timedelta(hours=1))
    await service.handle(older)  # an older vote's cooldown ends sooner: it must not pull the reminder forward
    assert await pool.fetchval("SELECT due_at FROM reminders") == now + dt.timedelta(hours=2)
    runner.clock.set(now + dt.timedelta(hours=2, seconds=1))
    assert await service.sweep() == 1
    await service.handle(older)  # replayed after the reminder went out: its cooldown is long over
    await service.handle(dataclasses.replace(older, next_vote_at=now + dt.timedelta(hours=2)))
    assert await pool.fetchval("SELECT count(*) FROM reminders") == 0
    assert await service.sweep() == 0


async def test_a_channel_ping_started_before_a_crash_is_posted_once_after_it(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await ServerService(pool, features()).switch_feature(
        server, "reminders", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER
    )
    at = dt.datetime(2026, 11, 24, 12, 5, tzinfo=dt.UTC)  # the 12:00 UTC slot of a 12 h cooldown
    runner.clock.set(at)
    # a process started the slot's ping, then died before Discord saw it
    slot = slot_of(at, zone(server.timezone), server.vote_cooldown)
    assert await RunRepository(pool).start(server.id, "channel_ping", slot.key)
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 503, "count": 1})
    fake.clear_requests()
    await reminders(runner).sweep()  # Discord down for this one: still to do
    await reminders(runner).sweep()
    await reminders(runner).sweep()
    pings = [r for r in sent(fake, "POST", f"/channels/{GENERAL}/messages") if r["status"] == 200]
    assert len([p for p in pings if "You can vote" in p["json"]["content"]]) == 1
    assert await RunRepository(pool).unfinished(server.id, "channel_ping") == []


async def test_a_crash_after_the_dm_does_not_send_it_twice(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """The DM went out, the process died before it deleted the reminder: after the lease the retry carries
    the same nonce (made from the time the reminder was scheduled for, which the lease leaves alone)."""
    now = runner.clock.now
    server = await setup_voted(runner, pool, fake)
    await record_vote(pool, server, "v1", now, player_name="Steve", expires_at=now + dt.timedelta(hours=2))
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    assert "I'll remind you" in await press_remind_me(runner, fake, server)
    service = reminders(runner)
    store = service._store  # the crash lands between the DM and its finish()
    finish = store.finish

    async def crash(reminder: Any) -> None:
        store.finish = finish
        raise ConnectionResetError("killed")

    store.finish = crash
    runner.clock.set(now + dt.timedelta(hours=2, seconds=1))
    assert await service.sweep() == 0  # sent, then "crashed"
    assert await service.sweep() == 0  # leased: nobody else picks it up meanwhile
    runner.clock.advance(minutes=6)  # past the lease
    assert await service.sweep() == 1
    dm = fake.state.dm_channel_for(MEMBER)
    reminders_sent = [m for m in fake.messages(int(dm["id"])) if "again" in (m.get("content") or "")]
    assert len(reminders_sent) == 1
    assert await pool.fetchval("SELECT count(*) FROM reminders") == 0


async def test_reminders_say_what_their_channel_is_for_and_never_ping_more_than_hourly(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    refused = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders"))
    assert refused.startswith("To turn on Vote reminders, choose a channel in the channel option.")
    assert "Each time voting opens again I ping that channel" in refused and "direct messages are closed" in refused
    enabled = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert f"in <#{GENERAL}>." in enabled and "direct messages are closed" in enabled

    # the server's vote cooldown: at least an hour, shown as people read it
    too_short = reply_text(await runner.command(ADMIN, "setup options", vote_cooldown_hours=0.02))
    assert (
        too_short
        == "The vote cooldown must be 1 to 168 hours (one week), not 0.02. Use the same cooldown as your listing site."
    )
    assert (await ServerService(pool, features()).get(server.id)).vote_cooldown == dt.timedelta(hours=12)
    answer = reply_text(await runner.command(ADMIN, "setup options", vote_cooldown_hours=1.5))
    assert "vote cooldown 1 hr 30 min" in answer

    # a cooldown stored before the minimum existed (72 s) pings the channel once an hour, not every 72 s
    await pool.execute("UPDATE servers SET vote_cooldown = interval '72 seconds' WHERE id = $1", server.id)
    cog = reminders(runner)
    fake.clear_requests()
    start = dt.datetime(2026, 11, 24, 12, 0, 30, tzinfo=dt.UTC)
    for offset in (0, 72, 150, 1800, 3600):
        runner.clock.set(start + dt.timedelta(seconds=offset))
        await cog.sweep()
    pings = [r for r in sent(fake, "POST", f"/channels/{GENERAL}/messages") if "You can vote" in r["json"]["content"]]
    assert len(pings) == 2  # 12:00 and 13:00
