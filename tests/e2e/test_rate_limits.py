"""The bot inside Discord's rate limits, through the fake that enforces them: a burst of 300 votes into one
guild, a board whose channel refuses the bot, and members answered meanwhile."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.e2e.engagement_helpers import UNNAMED, make_server, texts, thanked_voters
from tests.e2e.harness import GENERAL, GUILD_ID, LOCKED, MEMBER, ROLE_VOTER, BotRunner, guild_spec
from tests.fakediscord import FakeDiscord

VOTERS = [2_200_000_000_000_000_000 + n for n in range(300)]
ROLE_WINDOW = 0.5  # seconds: Discord's 10 role changes per 10 s per guild, shrunk so the burst takes seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The e2e fake (its ``runner`` fixture runs the bot against it), with Discord's rate limits enforced."""
    server = FakeDiscord(token="test-token", rate_limits=True)
    await server.start()
    server.add_guild(guild_spec(server.bot_user_id))
    server.ratelimits.configure(
        {
            "routes": {
                "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": [10, ROLE_WINDOW],
                "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": [10, ROLE_WINDOW],
            }
        }
    )
    for n, voter in enumerate(VOTERS):
        server.add_member({"guild_id": str(GUILD_ID), "id": str(voter), "name": f"voter{n}"})
    try:
        yield server
    finally:
        await server.stop()


def busiest_window(fake: FakeDiscord, channel_id: int, seconds: float = 5.0) -> int:
    """The most messages the bot posted in ``channel_id`` in any ``seconds`` (the fake's own timestamps)."""
    times = sorted(dt.datetime.fromisoformat(m["timestamp"]) for m in fake.messages(channel_id))
    return max((sum(1 for t in times[i:] if (t - s).total_seconds() < seconds) for i, s in enumerate(times)), default=0)


async def test_a_burst_of_300_votes_stays_inside_discords_limits(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.running.servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    now = runner.clock.now
    await VoteLedger(pool).record_many(
        [Vote(server.id, "topgg", f"burst{n}", now, discord_user_id=voter) for n, voter in enumerate(VOTERS)]
    )
    answers: list[float] = []

    async def members_keep_voting() -> None:  # a member runs /vote every half second during the burst
        while True:
            started = time.monotonic()
            await runner.command(MEMBER, "vote")
            answers.append(time.monotonic() - started)
            await asyncio.sleep(0.5)

    voting = asyncio.create_task(members_keep_voting())
    try:
        deadline = time.monotonic() + 120
        while await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NOT NULL") < len(VOTERS):
            assert time.monotonic() < deadline, "the burst was not done within 2 minutes"
            await asyncio.sleep(0.2)
        while len(role_adds(fake)) < len(VOTERS):
            assert time.monotonic() < deadline, f"{len(role_adds(fake))} roles given of {len(VOTERS)}"
            await asyncio.sleep(0.2)
    finally:
        voting.cancel()
        await asyncio.gather(voting, return_exceptions=True)

    given = Counter(r["path"].split("/")[4] for r in role_adds(fake))
    assert sorted(given) == sorted(str(v) for v in VOTERS) and set(given.values()) == {1}  # each role once
    voters = thanked_voters(texts(fake, GENERAL))
    named = [v for v in voters if v != UNNAMED]
    assert len(voters) == len(VOTERS) and len(set(named)) == len(named)  # every voter thanked once
    assert len(texts(fake, GENERAL)) < 40  # a few posts, not 300 trickling out
    lookups = [r for r in fake.requests if r["method"] == "GET" and "/members/" in str(r["path"])]
    assert len(lookups) <= 5 * len(texts(fake, GENERAL))  # names asked only for the voters a post names
    assert busiest_window(fake, GENERAL) <= 5  # the channel's 5 messages per 5 s
    stats = fake.ratelimits.stats()
    assert stats["predictable_429s"] == 0, stats  # nothing the headers announced was sent anyway
    assert stats["429"].get("global", 0) == 0, stats  # the budget kept the bot under the global limit
    assert answers and max(answers) < 1.0, answers  # /vote answered within a second throughout


def role_adds(fake: FakeDiscord) -> list[dict[str, object]]:
    return [
        r
        for r in fake.requests
        if r["method"] == "PUT" and f"/roles/{ROLE_VOTER}" in str(r["path"]) and r.get("status") == 204
    ]


async def test_a_board_whose_channel_refuses_the_bot_costs_few_invalid_requests_an_hour(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.running.servers.switch_feature(server, "top10_board", enabled=True, channel_id=LOCKED)
    board = runner.service("Leaderboards")
    fake.ratelimits.reset()
    for _minute in range(60):  # an hour of board ticks with a vote every minute (each makes the board stale)
        await VoteLedger(pool).record(
            Vote(server.id, "topserver", f"v{_minute}", runner.clock.now, player_name=f"Player{_minute}")
        )
        await runner.deliver()
        for _tick in range(4):
            await board.board_tick()
            runner.clock.advance(seconds=15)
    refused = fake.ratelimits.stats()["by_status"]["403"]
    assert 1 <= refused < 20, refused  # Discord bans at 10,000 invalid requests in 10 minutes


async def test_the_guilds_role_limit_does_not_hold_up_the_thank_yous(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    fake.ratelimits.configure(  # Discord's own role limit this time: 10 per 10 s in a guild
        {
            "routes": {
                "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": [10, 10.0],
                "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": [10, 10.0],
            }
        }
    )
    server = await make_server(pool)
    await runner.running.servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    voters = VOTERS[:30]
    await VoteLedger(pool).record_many(
        [Vote(server.id, "topgg", f"slow{n}", runner.clock.now, discord_user_id=v) for n, v in enumerate(voters)]
    )
    deadline = time.monotonic() + 60
    while await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NOT NULL") < len(voters):
        assert time.monotonic() < deadline, "the thank-yous waited"
        await asyncio.sleep(0.1)
    assert len(role_adds(fake)) < len(voters)  # thanked before the role bucket let every role through
    while len(role_adds(fake)) < len(voters):  # the roles follow at Discord's pace, one by one
        assert time.monotonic() < deadline, f"{len(role_adds(fake))} roles given of {len(voters)}"
        await asyncio.sleep(0.2)
    given = Counter(r["path"].split("/")[4] for r in role_adds(fake))
    assert len(given) == len(voters) and set(given.values()) == {1}
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0  # the votes' delivery did not wait either
    assert fake.ratelimits.stats()["predictable_429s"] == 0
