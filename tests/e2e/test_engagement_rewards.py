"""Linking and per-vote rewards against fakediscord: thank-you, temporary role removed after expiry, once only."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.core.time import month_label
from bot.votes.events import VoteEvent
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.e2e.engagement_helpers import (
    delivered,
    link_in_game,
    make_server,
    member_roles,
    record_vote,
    sent,
    texts,
    wait_until,
)
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, ROLE_HIGH, ROLE_VOTER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord


def rewards(runner: BotRunner):  # type: ignore[no-untyped-def]
    return runner.service("Rewards")


async def test_vote_thanks_gives_role_and_takes_it_back_after_restart(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    # an admin configures rewards; a role above the bot is refused with a clear message
    refused = reply_text(await runner.command(ADMIN, "rewards setup", role=str(ROLE_HIGH)))
    assert "above my highest role" in refused
    answer = reply_text(await runner.command(ADMIN, "rewards setup", channel=str(GENERAL), role=str(ROLE_VOTER)))
    assert "thank-you in" in answer
    await link_in_game(runner, pool, server, MEMBER, "Steve")

    now = runner.clock()
    fake.clear_requests()
    vote_id = await record_vote(pool, server, "v1", now, player_name="steve", expires_at=now + dt.timedelta(hours=1))
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    thanks = [t for t in texts(fake, GENERAL) if "Thank you" in t]
    assert thanks == ["🎉 Thank you **steve** for voting for **Alpha**! That makes **1** vote point."]
    post = sent(fake, "POST", f"/channels/{GENERAL}/messages")[-1]
    assert post["json"]["allowed_mentions"]["parse"] == []
    await wait_until(lambda: ROLE_VOTER in member_roles(fake, MEMBER))
    await delivered(pool)  # the dispatcher has also recorded what the rewards did

    # the same vote handed over again (a crash between the effects and their bookkeeping) repeats nothing
    event = VoteEvent(vote_id, server, "topserver", "v1", "steve", MEMBER, 1, now, now + dt.timedelta(hours=1))
    await rewards(runner).handle(event)
    assert len([t for t in texts(fake, GENERAL) if "Thank you" in t]) == 1
    assert fake.state.nonce_hits == []  # vote_rewards knew it was thanked: not even sent again

    # the bot restarts before the vote expires: removal is in the database, not in memory
    await runner.restart()
    cog = rewards(runner)
    assert await cog.expire_roles() == 0
    assert ROLE_VOTER in member_roles(fake, MEMBER)
    runner.clock.set(now + dt.timedelta(hours=1, seconds=1))
    assert await cog.expire_roles() == 1
    assert ROLE_VOTER not in member_roles(fake, MEMBER)
    assert await cog.expire_roles() == 0
    assert await pool.fetchval("SELECT count(*) FROM role_grants") == 0


async def test_hostile_player_names_ping_no_one(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool)
    await runner.command(ADMIN, "rewards setup", channel=str(GENERAL))
    now = runner.clock.now
    await record_vote(pool, server, "a", now, player_name="@everyone **x**\u200b")
    await record_vote(pool, server, "b", now, player_name=f"<@&{ROLE_HIGH}> " + "y" * 174)
    await wait_until(lambda: len([t for t in texts(fake, GENERAL) if "Thank you" in t]) == 2)
    thanks = [t for t in texts(fake, GENERAL) if "Thank you" in t]  # listeners run concurrently: any order
    first = next(t for t in thanks if "everyone" in t)
    second = next(t for t in thanks if "yyy" in t)
    assert "@\u200beveryone \\*\\*x\\*\\*" in first and "@everyone" not in first
    assert f"<@&{ROLE_HIGH}>" not in second and len(second) < 300
    for post in sent(fake, "POST", f"/channels/{GENERAL}/messages"):
        assert post["json"]["allowed_mentions"]["parse"] == []


async def test_member_opted_in_is_pinged_and_unknown_member_is_harmless(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.command(ADMIN, "rewards setup", channel=str(GENERAL), role=str(ROLE_VOTER))
    await link_in_game(runner, pool, server, MEMBER, "Steve", ping=True)
    now = runner.clock.now
    await record_vote(pool, server, "a", now, player_name="Steve")
    await record_vote(pool, server, "b", now, discord_user_id=4242, player_name="Ghost")  # not in the guild
    await wait_until(lambda: len([t for t in texts(fake, GENERAL) if "Thank you" in t]) == 2)
    pinged = next(
        p for p in sent(fake, "POST", f"/channels/{GENERAL}/messages") if f"<@{MEMBER}>" in p["json"]["content"]
    )
    assert pinged["json"]["allowed_mentions"] == {"parse": [], "users": [str(MEMBER)]} or pinged["json"][
        "allowed_mentions"
    ]["users"] in ([MEMBER], [str(MEMBER)])
    assert await pool.fetchval("SELECT count(*) FROM vote_rewards") == 2
    points = reply_text(await runner.command(MEMBER, "points"))  # Steve's vote, through the link
    month = month_label(f"{runner.clock.now:%Y-%m}")
    assert points == f"You have **1** vote point on Alpha (1 in {month}). Linked as **Steve**."


async def test_top_gg_voters_without_a_link_are_thanked_by_their_discord_name(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.command(ADMIN, "rewards setup", channel=str(GENERAL))
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(MEMBER), "nick": "Captain *Memb*"})
    fake.state.add_user({"id": 4343, "name": "wanderer", "global_name": "Wanderer"})  # not in the guild
    now = runner.clock.now
    ledger = VoteLedger(pool)
    for user_id in (MEMBER, 4343, 4242):  # Top.gg sends the Discord id and no player name; 4242 no longer exists
        await ledger.record(Vote(server.id, "topgg", f"t{user_id}", now, discord_user_id=user_id))
    await wait_until(lambda: len([t for t in texts(fake, GENERAL) if "Thank you" in t]) == 3)
    thanks = sorted(t for t in texts(fake, GENERAL) if "Thank you" in t)
    assert thanks == [
        "🎉 Thank you **Captain \\*Memb\\*** for voting for **Alpha**! That makes **1** vote point.",
        "🎉 Thank you **Wanderer** for voting for **Alpha**! That makes **1** vote point.",
        "🎉 Thank you for voting for **Alpha**!",  # 4242: a deleted account, no name to show
    ]
    for post in sent(fake, "POST", f"/channels/{GENERAL}/messages"):
        assert post["json"]["allowed_mentions"]["parse"] == []
