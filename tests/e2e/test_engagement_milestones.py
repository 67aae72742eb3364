"""Milestones and rank-ups against fakediscord: announced once, even when a vote is delivered again."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.votes.events import VoteEvent
from tests.e2e.engagement_helpers import make_server, record_vote, sent, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, BotRunner, reply_text
from tests.fakediscord import FakeDiscord


async def test_milestone_and_rank_up_announced_once(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    alpha = await make_server(pool, "Alpha", category="survival")
    beta = await make_server(pool, "Beta", category="survival")
    await ServerService(pool, features()).switch_feature(alpha, "milestones", enabled=True, channel_id=GENERAL)
    answer = reply_text(await runner.command(ADMIN, "milestones settings", thresholds="2, 5", every=3))
    assert (
        answer
        == "Milestones of **Alpha**: I announce when the month reaches 2 and 5 votes, and every 3 votes in total."
    )
    now = runner.clock.now
    for key in ("b1", "b2"):
        await record_vote(pool, beta, key, now, player_name="Other")
    await record_vote(pool, alpha, "a1", now, player_name="Steve")  # rank 2 of 2: the month's baseline
    await asyncio.sleep(0.3)
    assert not [t for t in texts(fake, GENERAL) if "🏆" in t or "📈" in t]
    a2 = await record_vote(pool, alpha, "a2", now, player_name="Steve")  # 2 votes: threshold, and tied for #1
    await wait_until(lambda: len([t for t in texts(fake, GENERAL) if "🏆" in t or "📈" in t]) == 2)
    assert "🏆 **Alpha** reached **2** votes this month" in texts(fake, GENERAL)[-2]
    assert texts(fake, GENERAL)[-1] == "📈 **Alpha** climbed to **#1** in survival this month!"

    # the same vote delivered twice more (a retry after a crash, say): nothing new
    event = VoteEvent(a2, alpha, "topserver", "a2", "Steve", None, 1, now, None)
    await runner.service("Milestones").handle(event)
    await runner.service("Milestones").handle(dataclasses.replace(event, attempt=2))
    assert len([t for t in texts(fake, GENERAL) if "🏆" in t or "📈" in t]) == 2
    assert fake.state.nonce_hits == []  # the finished runs said so: not even sent again

    await record_vote(pool, alpha, "a3", now, player_name="@everyone")
    await wait_until(lambda: any("passed **3** votes in total" in t for t in texts(fake, GENERAL)))
    for post in sent(fake, "POST", f"/channels/{GENERAL}/messages"):
        assert post["json"]["allowed_mentions"]["parse"] == []
    assert "“x” is not a whole number." in reply_text(
        await runner.command(ADMIN, "milestones settings", thresholds="x, 1")
    )


async def test_out_of_range_settings_are_refused_and_nothing_is_stored(runner: BotRunner, pool: asyncpg.Pool) -> None:
    """Discord's client enforces option ranges; a crafted interaction does not — the bot refuses the same way."""
    await make_server(pool, "Alpha")
    refused = reply_text(await runner.command(ADMIN, "milestones settings", every=-1))
    assert refused == "The total-votes announcement must be 0 to 1,000,000 votes, not -1. 0 turns it off."
    refused = reply_text(await runner.command(ADMIN, "leaderboards settings", board_refresh=0, post_time="09:00"))
    assert refused == "The board refresh must be 1 to 60 minutes, not 0."
    refused = reply_text(await runner.command(ADMIN, "leaderboards settings", post_time="25:00"))
    assert refused == "“25:00” is not a time. Use the 24-hour clock, e.g. 09:00 or 22:30."
    refused = reply_text(await runner.command(ADMIN, "rewards setup", role_hours=721))
    assert (
        refused == "The voter role duration must be 0 to 720 hours, not 721. 0 means until the member may vote again."
    )
    refused = reply_text(await runner.command(ADMIN, "milestones settings", thresholds="10, 5, abc"))
    assert refused == (
        "“abc” is not a whole number. "
        "Give 1 to 20 milestone thresholds between 1 and 1,000,000,000 votes, separated by commas."
    )
    refused = reply_text(
        await runner.command(ADMIN, "milestones settings", thresholds=",".join(map(str, range(1, 25))))
    )
    assert refused == "That's 24 milestone thresholds; at most 20 are allowed."
    stored = await pool.fetch("SELECT feature, settings FROM server_features WHERE settings <> '{}'::jsonb")
    assert stored == []  # nothing half-saved (the valid post_time above was refused with the bad board_refresh)
    assert "every 5 votes" in reply_text(await runner.command(ADMIN, "milestones settings", every=5))
