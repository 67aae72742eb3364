"""Every vote effect exactly once, through the real bot and the fake Discord: a Discord outage loses nothing and
repeats nothing, a consumer broken for good is dead-lettered while the others' effects are made, and a bot
killed with SIGKILL mid-way makes each effect once after its restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.config import Config
from bot.app.extensions import EXTENSIONS
from bot.core.servers import ServerService
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.clock import MovableClock
from tests.conftest import bot_environ
from tests.e2e.bot_process import BotProcess
from tests.e2e.broken_consumer import NAME as BROKEN
from tests.e2e.engagement_helpers import (
    UNNAMED,
    link_in_game,
    make_server,
    record_vote,
    texts,
    thanked_voters,
    wait_until,
)
from tests.e2e.harness import GENERAL, GUILD_ID, MEMBER, BotRunner
from tests.fakediscord import FakeDiscord

T0 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # the channel ping's 12 h slot began 3 h ago: no ping
MESSAGE_POSTS = r"^/channels/\d+/messages$"  # channel posts and DMs; not interaction replies


async def switch_on(servers: ServerService, server: Server) -> None:
    await servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL)  # thank-you channel
    await servers.switch_feature(server, "milestones", enabled=True, channel_id=GENERAL, settings={"thresholds": "3"})
    await servers.switch_feature(
        server, "reminders", enabled=True, channel_id=GENERAL, settings={"channel_ping": "off"}
    )


def thanks(fake: FakeDiscord) -> list[str]:
    return [t for t in texts(fake, GENERAL) if t.startswith("🎉 Thank you")]


def milestones(fake: FakeDiscord) -> list[str]:
    return [t for t in texts(fake, GENERAL) if t.startswith("🏆")]


def reminder_dms(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.state.messages.values()
        if (m.get("content") or "").startswith("⏰ You can vote") and int(m["channel_id"]) != GENERAL
    ]


async def outbox_empty(pool: asyncpg.Pool) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while await pool.fetchval("SELECT count(*) FROM vote_outbox"):
        assert asyncio.get_running_loop().time() < deadline, "votes still waiting for delivery"
        await asyncio.sleep(0.02)


async def retried_all(pool: asyncpg.Pool, votes: int) -> None:
    """The bot's dispatcher (in the background) tried every vote, and some consumer of each failed."""
    deadline = asyncio.get_running_loop().time() + 10
    while await pool.fetchval("SELECT count(*) FROM vote_outbox WHERE failures IS NOT NULL") < votes:
        assert asyncio.get_running_loop().time() < deadline, "the dispatcher did not try every vote"
        await asyncio.sleep(0.02)


async def test_a_discord_outage_loses_no_effect_and_repeats_none(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    runner.clock.set(T0)
    servers = runner.running.servers
    server = await make_server(pool)
    await switch_on(servers, server)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    subscribed = await runner.service("Reminders").remind_me(GUILD_ID, server.id, MEMBER, GENERAL)  # "Remind me"
    assert "You can vote right now" in subscribed

    fake.add_fault({"method": "POST", "path_regex": MESSAGE_POSTS, "status": 503, "count": 100_000})  # Discord down
    await record_vote(pool, server, "v1", T0, player_name="Steve", expires_at=T0 + dt.timedelta(hours=1))
    await record_vote(pool, server, "v2", T0, player_name="Alex")
    await record_vote(pool, server, "v3", T0, player_name="Zed")  # the third vote: milestone 3
    await retried_all(pool, 3)  # every thank-you failed (and the milestone); the reminder is scheduled
    assert thanks(fake) == [] and milestones(fake) == []
    assert await pool.fetchval("SELECT count(*) FROM reminders") == 1

    runner.clock.set(T0 + dt.timedelta(hours=1, seconds=1))  # the reminder is due while Discord is still down
    assert await runner.service("Reminders").sweep() == 0
    runner.running.dispatcher.wake()  # and the votes' retries come due: still failing
    await asyncio.sleep(0.2)
    assert thanks(fake) == [] and reminder_dms(fake) == []

    fake.clear_faults()  # Discord is back
    runner.clock.advance(minutes=10)  # past every back-off and the reminder's lease
    await runner.deliver()
    await outbox_empty(pool)  # (the bot's own dispatcher may have taken some of them meanwhile)
    assert await runner.service("Reminders").sweep() == 1
    # The first vote's retry thanks it alone; the two others were waiting for the channel meanwhile, so they
    # may be thanked together ("Thank you **Alex** and **Zed** …"): each voter once either way.
    assert "🎉 Thank you **Steve** for voting for **Alpha**! That makes **1** vote point." in thanks(fake)
    assert thanked_voters(thanks(fake)) == ["Alex", "Steve", "Zed"]
    assert milestones(fake) == ["🏆 **Alpha** reached **3** votes this month (November 2026)!"]
    assert len(reminder_dms(fake)) == 1

    assert fake.state.nonce_hits == []  # failed posts were not made: each effect was sent once

    # nothing is left to do, and doing it all again (a restart, every vote handed over again, more sweeps)
    # repeats nothing: the features' own records say it is done, not Discord's nonce window
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0
    await runner.restart()
    runner.clock.advance(hours=2)
    await pool.execute("INSERT INTO vote_outbox (vote_id) SELECT id FROM votes")
    await runner.deliver()
    await outbox_empty(pool)
    await runner.service("Reminders").sweep()
    assert thanked_voters(thanks(fake)) == ["Alex", "Steve", "Zed"]
    assert len(milestones(fake)) == 1 and len(reminder_dms(fake)) == 1
    assert fake.state.nonce_hits == []


@pytest.fixture
async def broken_runner(
    fake: FakeDiscord, config: Config, pool: asyncpg.Pool, clock: MovableClock
) -> AsyncIterator[BotRunner]:
    running = BotRunner(fake, config, pool, clock, extensions=(*EXTENSIONS, "tests.e2e.broken_consumer"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_consumer_broken_for_good_is_dead_lettered_and_the_others_work(
    broken_runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, config: Config, tmp_path: Path
) -> None:
    runner = broken_runner
    runner.clock.set(T0)
    server = await make_server(pool)
    await switch_on(runner.running.servers, server)
    vote_id = await record_vote(pool, server, "v1", T0, player_name="Steve")
    await retried_all(pool, 1)
    for _ in range(runner.running.dispatcher.max_attempts):
        runner.clock.advance(hours=2)
        await runner.deliver()
    assert thanks(fake) == ["🎉 Thank you **Steve** for voting for **Alpha**!"]  # the other consumers' effect
    attempts = await pool.fetchval("SELECT attempts FROM vote_dead_letters WHERE consumer = $1", BROKEN)
    assert attempts == runner.running.dispatcher.max_attempts
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0  # delivered: nobody waits for it

    async with aiohttp.ClientSession(base_url=runner.web_url) as http:
        async with http.get("/healthz") as response:
            health = await response.json()
        async with http.get("/metrics") as response:
            metrics = await response.text()
    assert health["dead_letters"] == 1 and health["outbox_backlog"] == 0
    assert "votebot_dead_letters 1" in metrics.splitlines()

    env = {**os.environ, **bot_environ(config.database.url, str(tmp_path / "cli"))}
    (tmp_path / "bot.toml").write_text("")
    cli = [sys.executable, "-m", "bot", "outbox", "--config", str(tmp_path / "bot.toml")]
    listing = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert listing.stdout.startswith("No votes waiting for delivery; 1 dead letter.\n")
    assert f"vote {vote_id} (server {server.id}, topserver" in listing.stdout and f"{BROKEN} gave up" in listing.stdout
    replay = subprocess.run(  # noqa: S603
        [*cli, "replay", "--consumer", BROKEN], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert f"vote {vote_id}: {BROKEN} queued again" in replay.stdout
    assert "1 dead letter queued again; a running bot delivers it at once." in replay.stdout
    await retried_all(pool, 1)  # the bot's dispatcher, woken by the replay: it fails again (still broken)
    row = await pool.fetchrow("SELECT consumers, done, failures FROM vote_outbox WHERE vote_id = $1", vote_id)
    assert row["consumers"] == [BROKEN] and row["failures"][BROKEN]["attempts"] == 1  # only it ran
    assert len(thanks(fake)) == 1
    assert await pool.fetchval("SELECT count(*) FROM vote_dead_letters") == 0  # back in the outbox, retrying


async def test_killed_mid_way_each_effect_happens_once_after_restart(
    fake: FakeDiscord, database_url: str, pool: asyncpg.Pool, servers: ServerService, tmp_path: Path
) -> None:
    server = await make_server(pool)
    await servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL)
    await servers.switch_feature(server, "milestones", enabled=True, channel_id=GENERAL, settings={"every": "5"})
    # Discord answers each post late (the message exists before the bot hears back): a kill lands mid-request
    fake.add_fault({"method": "POST", "path_regex": MESSAGE_POSTS, "status": 0, "delay": 0.15, "count": 100_000})
    bot = BotProcess(fake, database_url, tmp_path / "bot")
    await bot.start()
    try:
        now = dt.datetime.now(dt.UTC)
        await VoteLedger(pool).record_many(
            [Vote(server.id, "topserver", f"v{i}", now, player_name=f"Player{i}") for i in range(20)]
        )
        await wait_until(lambda: len(thanks(fake)) >= 2, timeout=30)
        await bot.kill()  # SIGKILL: no cleanup, transactions cut off mid-way
        assert len(thanked_voters(thanks(fake))) < 20
        await bot.start()
        await wait_until(lambda: len(thanked_voters(thanks(fake))) >= 20 and milestones_total(fake), timeout=60)
        await asyncio.sleep(0.5)  # and nothing more comes
    finally:
        await bot.kill()
    # each voter thanked once, none twice: alone, or together with the burst's others ("… and 12 other voters")
    voters = thanked_voters(thanks(fake))
    named = [voter for voter in voters if voter != UNNAMED]
    assert len(voters) == 20 and len(set(named)) == len(named) and set(named) <= {f"Player{i}" for i in range(20)}
    batches = await pool.fetchval("SELECT count(DISTINCT thank_batch) FROM vote_rewards")
    assert len(thanks(fake)) == batches  # one post per batch: none posted twice
    # all 20 votes were committed in one statement before the first delivery: the first check saw 20 already
    assert milestones_total(fake) == ["🎉 **Alpha** passed **20** votes in total!"]
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NOT NULL") == 20
    assert len(thanks(fake)) < 20  # the burst read as fewer posts than votes
    assert fake.state.nonce_hits  # the kill did land mid-request: a post Discord made was sent again, and dropped


def milestones_total(fake: FakeDiscord) -> list[str]:
    return [t for t in texts(fake, GENERAL) if t.startswith("🎉 **Alpha** passed")]
