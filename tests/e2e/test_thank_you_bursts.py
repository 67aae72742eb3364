"""A burst of votes into one channel reads as a few thank-you posts, within Discord's 5 messages per 5 s."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg

from bot.core import i18n
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.rewards.thanks import POSTS_PER_WINDOW, WINDOW
from cogs.rewards.views import Thanked, batch_thank_you_text
from tests.e2e.engagement_helpers import UNNAMED, link_in_game, make_server, texts, thanked_voters
from tests.e2e.harness import GENERAL, MEMBER, BotRunner
from tests.fakediscord import FakeDiscord

MESSAGE_POSTS = r"^/channels/\d+/messages$"
SERVER = Server(
    1, 1, "Survival", "https://example.com", None, None, None, "UTC", True, True, dt.timedelta(hours=12),
    dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
)  # fmt: skip


def thank_you_posts(fake: FakeDiscord) -> list[dict[str, object]]:
    return [m for m in fake.messages(GENERAL) if str(m.get("content") or "").startswith("🎉 Thank you")]


def busiest_window(posts: list[dict[str, object]]) -> int:
    """The most posts any :data:`WINDOW` seconds saw (by the fake's own timestamps)."""
    times = sorted(dt.datetime.fromisoformat(str(p["timestamp"])) for p in posts)
    return max((sum(1 for t in times[i:] if (t - s).total_seconds() < WINDOW) for i, s in enumerate(times)), default=0)


async def burst(pool: asyncpg.Pool, server: Server, count: int, at: dt.datetime) -> None:
    await VoteLedger(pool).record_many(
        [Vote(server.id, "topserver", f"burst{i}", at, player_name=f"Player{i:02}") for i in range(count)]
    )


async def all_thanked(pool: asyncpg.Pool, count: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NOT NULL") == count


async def test_a_burst_is_thanked_in_a_few_posts_each_voter_once(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.running.servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL)
    await link_in_game(runner, pool, server, MEMBER, "Player07", ping=True)  # this voter is pinged

    await burst(pool, server, 60, runner.clock.now)
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    while not await all_thanked(pool, 60):
        assert dt.datetime.now(dt.UTC) < deadline, "the burst was not thanked within 30 s"
        await asyncio.sleep(0.05)
    posts = thank_you_posts(fake)
    assert 2 <= len(posts) <= 12, f"{len(posts)} posts for 60 votes"  # coalesced, not one post per vote
    assert busiest_window(posts) <= POSTS_PER_WINDOW  # within Discord's 5 per 5 s, with room for other posts
    voters = thanked_voters(texts(fake, GENERAL))
    named = [v for v in voters if v != UNNAMED]
    assert len(voters) == 60 and len(set(named)) == len(named)  # every voter thanked once, none twice
    assert await pool.fetchval("SELECT count(DISTINCT thank_batch) FROM vote_rewards") == len(posts)
    pinged = [p for p in posts if f"<@{MEMBER}>" in str(p["content"])]
    assert len(pinged) == 1 and pinged[0]["mentions"] and pinged[0]["mentions"][0]["id"] == str(MEMBER)  # type: ignore[index]
    assert all(not p["mentions"] for p in posts if p is not pinged[0])  # nobody else pinged


async def test_votes_waiting_when_the_bot_stops_are_thanked_once_after_a_restart(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await runner.running.servers.switch_feature(server, "vote", enabled=True, channel_id=GENERAL)
    fake.add_fault({"method": "POST", "path_regex": MESSAGE_POSTS, "status": 503, "count": 100_000})  # Discord down
    await burst(pool, server, 30, runner.clock.now)
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    while await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thank_channel_id IS NOT NULL") < 30:
        assert dt.datetime.now(dt.UTC) < deadline, "the votes were not handed to the rewards"
        await asyncio.sleep(0.05)
    await runner.stop()  # the votes wait in the outbox: nothing in memory is needed to thank them
    assert await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NULL") == 30
    fake.clear_faults()
    await runner.start()
    await runner.service("Rewards").thanks.sweep()  # what the sweep job does right after a start
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    while not await all_thanked(pool, 30):
        assert dt.datetime.now(dt.UTC) < deadline, "votes left waiting after the restart"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # and nothing more comes
    voters = thanked_voters(texts(fake, GENERAL))
    named = [v for v in voters if v != UNNAMED]
    assert len(voters) == 30 and len(set(named)) == len(named)
    assert len(thank_you_posts(fake)) == await pool.fetchval("SELECT count(DISTINCT thank_batch) FROM vote_rewards")


def test_a_coalesced_post_names_the_first_voters_and_counts_the_others() -> None:
    five = [Thanked(None, f"P{i}", False) for i in range(5)]
    assert batch_thank_you_text(SERVER, five[:2]) == "🎉 Thank you **P0** and **P1** for voting for **Survival**!"
    many = [*five, Thanked(42, None, True), *(Thanked(None, f"Q{i}", False) for i in range(12))]
    assert batch_thank_you_text(SERVER, many) == (
        "🎉 Thank you <@42>, **P0**, **P1**, **P2**, **P3**, and 13 other voters for voting for **Survival**!"
    )
    pinged_last = [*five, Thanked(42, None, True)]  # who opted in to be pinged is named first
    assert batch_thank_you_text(SERVER, pinged_last) == (
        "🎉 Thank you <@42>, **P0**, **P1**, **P2**, **P3**, and 1 other voter for voting for **Survival**!"
    )
    nameless = [Thanked(None, None, False), Thanked(7, "", False), Thanked(9, None, False)]
    assert batch_thank_you_text(SERVER, nameless) == "🎉 Thank you to the 3 voters of **Survival**!"
    with i18n.speaking(i18n.language("fr") or i18n.ENGLISH):
        french = batch_thank_you_text(SERVER, many)
    assert "13" in french and "Survival" in french and "Thank you" not in french
