"""Top-10 board, daily post and month rollover against fakediscord, with an injected clock across DST and restarts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.e2e.engagement_helpers import delivered, link_in_game, make_server, member_roles, record_vote, sent
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, ROLE_HIGH, ROLE_VOTER, BotRunner
from tests.fakediscord import FakeDiscord


def boards(runner: BotRunner) -> Any:
    return runner.service("Leaderboards")


def writes(fake: FakeDiscord) -> list[str]:
    return [r["method"] for r in fake.requests if r["path"].startswith(f"/channels/{GENERAL}/messages")]


async def test_board_follows_votes_edits_only_on_change_and_heals(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await ServerService(pool, features()).switch_feature(server, "top10_board", enabled=True, channel_id=GENERAL)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    cog = boards(runner)
    now = runner.clock()
    fake.clear_requests()
    await record_vote(pool, server, "a", now, player_name="steve")
    await delivered(pool)
    await cog.board_tick()
    board = fake.messages(GENERAL)[-1]
    assert board["embeds"][0]["description"] == f"🥇 <@{MEMBER}> (Steve) — **1** vote"
    await cog.board_tick()  # nothing changed, not due: no request
    cog._checked.clear()  # due by time, same content: still no edit
    await cog.board_tick()
    assert writes(fake) == ["POST"]

    await record_vote(pool, server, "b", now, player_name="**Bob**")
    await delivered(pool)
    await cog.board_tick()
    assert writes(fake) == ["POST", "PATCH"]
    description = fake.message(int(board["id"]))["embeds"][0]["description"]
    assert description.splitlines() == [f"🥇 <@{MEMBER}> (Steve) — **1** vote", "🥈 \\*\\*Bob\\*\\* — **1** vote"]

    fake.delete_message(GENERAL, int(board["id"]))  # deleted by a moderator: posted again
    await record_vote(pool, server, "c", now, player_name="steve")
    await delivered(pool)
    await cog.board_tick()
    assert writes(fake)[-2:] == ["PATCH", "POST"]
    assert "**2** votes" in fake.messages(GENERAL)[-1]["embeds"][0]["description"]


async def test_daily_post_once_across_restart_and_dst(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool, timezone="Europe/Berlin")
    await ServerService(pool, features()).switch_feature(server, "daily_leaderboard", enabled=True, channel_id=GENERAL)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    ledger = VoteLedger(pool)
    for day in (27, 28):
        at = dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC)
        await ledger.record(Vote(server.id, "topserver", f"d{day}", at, player_name="Steve"))

    async def tick_at(when: dt.datetime) -> None:
        runner.clock.set(when)
        await boards(runner).tick()

    fake.clear_requests()
    await tick_at(dt.datetime(2026, 3, 28, 7, 59, tzinfo=dt.UTC))  # 08:59 CET: not yet
    await tick_at(dt.datetime(2026, 3, 28, 8, 0, tzinfo=dt.UTC))  # 09:00 CET: post for the 28th
    await tick_at(dt.datetime(2026, 3, 28, 8, 1, tzinfo=dt.UTC))
    await runner.restart()
    await tick_at(dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC))  # after a restart: not again
    # DST starts on the 29th: 09:00 CEST is 07:00 UTC
    await tick_at(dt.datetime(2026, 3, 29, 6, 59, tzinfo=dt.UTC))
    await tick_at(dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC))
    await runner.restart()
    await tick_at(dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC))
    # the bot was down at 09:00 on the 30th: caught up 5 h late; the 31st is 7 h late and skipped
    await tick_at(dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC))
    await tick_at(dt.datetime(2026, 3, 31, 14, 0, tzinfo=dt.UTC))
    posts = [r["json"]["embeds"][0] for r in sent(fake, "POST", f"/channels/{GENERAL}/messages")]
    assert [p["fields"][0]["name"] for p in posts] == [
        "Yesterday (March 27, 2026)",
        "Yesterday (March 28, 2026)",
        "Yesterday (March 29, 2026)",
    ]
    assert f"<@{MEMBER}>" in posts[0]["fields"][0]["value"] and "**1** vote" in posts[0]["fields"][0]["value"]
    assert "**2** votes" in posts[1]["fields"][1]["value"]  # month to date
    assert posts[1]["fields"][1]["name"] == "March 2026 so far"
    assert await pool.fetchval("SELECT count(*) FROM engagement_runs WHERE kind = 'daily'") == 3


async def test_month_rollover_once_across_restart_and_dst(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool, timezone="America/New_York")  # DST ends on Sunday 1 November 2026
    service = ServerService(pool, features())
    await service.switch_feature(server, "top_voter_role", enabled=True, role_id=ROLE_VOTER)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    await link_in_game(runner, pool, server, ADMIN, "Alex")
    october = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
    for key in ("o1", "o2"):
        await record_vote(pool, server, key, october, player_name="Steve")
    await record_vote(pool, server, "o3", october, player_name="Alex")
    await record_vote(pool, server, "o4", october, player_name="Unlinked")
    # the last October vote, 23:30 in New York on Oct 31 (03:30 UTC on Nov 1), still counts for October
    await record_vote(pool, server, "o5", dt.datetime(2026, 11, 1, 3, 30, tzinfo=dt.UTC), player_name="Alex")
    for key in ("n1", "n2", "n3"):
        await record_vote(pool, server, key, dt.datetime(2026, 11, 10, tzinfo=dt.UTC), player_name="Alex")

    async def tick_at(when: dt.datetime) -> None:
        runner.clock.set(when)
        await boards(runner).tick()

    fake.clear_requests()
    await tick_at(dt.datetime(2026, 11, 1, 3, 59, tzinfo=dt.UTC))  # 23:59 EDT on Oct 31: September's (empty) run
    assert member_roles(fake, MEMBER) == [] and member_roles(fake, ADMIN) == []
    await tick_at(dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC))  # midnight in New York: October → tie 2:2
    assert ROLE_VOTER in member_roles(fake, MEMBER) and ROLE_VOTER in member_roles(fake, ADMIN)
    await runner.restart()
    await tick_at(dt.datetime(2026, 11, 2, 4, 0, tzinfo=dt.UTC))
    assert len(sent(fake, "PUT", "/roles/")) == 2  # once, even across the restart
    # the bot is down over the December rollover and starts on the 3rd: caught up, Alex alone keeps the role
    await runner.restart()
    await tick_at(dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC))
    await tick_at(dt.datetime(2026, 12, 3, 12, 1, tzinfo=dt.UTC))
    assert ROLE_VOTER not in member_roles(fake, MEMBER) and ROLE_VOTER in member_roles(fake, ADMIN)
    assert len(sent(fake, "DELETE", "/roles/")) == 1
    runs = await pool.fetch("SELECT period FROM engagement_runs WHERE kind = 'top_voter_role' ORDER BY period")
    assert [r["period"] for r in runs] == ["2026-09", "2026-10", "2026-11"]


async def test_deleted_channel_and_role_above_the_bot_are_reported_once_and_retried(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    service = ServerService(pool, features())
    gone = 1_100_000_000_000_009_999
    await service.switch_feature(server, "daily_leaderboard", enabled=True, channel_id=gone)
    await service.switch_feature(server, "top_voter_role", enabled=True, role_id=ROLE_HIGH)  # moved above the bot
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 10, tzinfo=dt.UTC), player_name="Steve")
    fake.clear_requests()
    for minute in range(3):
        runner.clock.set(dt.datetime(2026, 11, 1, 9, minute, tzinfo=dt.UTC))
        await boards(runner).tick()
    dms = [r for r in sent(fake, "POST", "/messages") if "**Test Guild**" in ((r["json"] or {}).get("content") or "")]
    assert len(dms) == 2  # one about the channel, one about the role: told once each
    assert any("daily leaderboard" in d["json"]["content"] for d in dms)
    assert any("top-voter role" in d["json"]["content"] for d in dms)
    assert await pool.fetchval("SELECT count(*) FROM engagement_runs WHERE kind IN ('daily', 'top_voter_role')") == 0
    # fixed: the role is put below the bot's, the next tick hands it out (still for October)
    await service.switch_feature(server, "top_voter_role", enabled=True, role_id=ROLE_VOTER)
    await boards(runner).tick()
    assert ROLE_VOTER in member_roles(fake, MEMBER)


async def test_a_vote_survives_a_failed_board_tick(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool)
    await ServerService(pool, features()).switch_feature(server, "top10_board", enabled=True, channel_id=GENERAL)
    cog = boards(runner)
    await cog.board_tick()  # the empty board, and the periodic refresh is not due for a while
    await record_vote(pool, server, "a", runner.clock(), player_name="Steve")
    await delivered(pool)
    top10 = cog._repo.top10

    async def database_hiccup(*args: Any) -> Any:
        cog._repo.top10 = top10
        raise ConnectionResetError("database gone for a moment")

    cog._repo.top10 = database_hiccup
    assert await cog.board_tick() == 0
    assert await cog.board_tick() == 1  # still marked stale: shown at the next tick, not after the interval
    assert "Steve" in fake.messages(GENERAL)[-1]["embeds"][0]["description"]


async def test_daily_post_on_the_first_gives_the_final_standings_of_the_month_that_ended(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    busy = await make_server(pool, timezone="Europe/Berlin")
    quiet = await make_server(pool, name="Beta")
    service = ServerService(pool, features())
    other = 1_100_000_000_000_000_012
    fake.add_channel({"guild_id": str(GUILD_ID), "id": str(other), "name": "beta-votes", "type": 0})
    await service.switch_feature(busy, "daily_leaderboard", enabled=True, channel_id=GENERAL)
    await service.switch_feature(quiet, "daily_leaderboard", enabled=True, channel_id=other)
    await service.switch_feature(busy, "top10_board", enabled=True, channel_id=GENERAL)
    await record_vote(pool, busy, "n1", dt.datetime(2026, 11, 12, 12, tzinfo=dt.UTC), player_name="Steve")
    await record_vote(pool, busy, "n2", dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), player_name="Steve")
    await delivered(pool)
    fake.clear_requests()
    runner.clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))  # on the 1st, past 09:00 in Berlin and in UTC
    await boards(runner).tick()
    await boards(runner).board_tick()

    daily = [r["json"]["embeds"][0] for r in sent(fake, "POST", f"/channels/{GENERAL}/messages")]
    post = next(e for e in daily if e["title"] == "Alpha vote leaderboard")
    assert [f["name"] for f in post["fields"]] == ["Yesterday (November 30, 2026)", "November 2026 — final standings"]
    assert post["fields"][1]["value"] == "🥇 Steve — **2** votes"
    assert sent(fake, "POST", f"/channels/{other}/messages") == []  # no votes to rank: no empty board posted
    claimed = "SELECT count(*) FROM engagement_runs WHERE server_id = $1 AND kind = 'daily'"
    assert await pool.fetchval(claimed, quiet.id) == 1  # and not retried at every tick
    board = next(e for e in daily if e["title"].startswith("Top voters"))  # the live board: the new month
    assert board["title"] == "Top voters of Alpha — December 2026"
    assert board["description"] == "No votes yet in December 2026."


async def test_board_names_voters_who_are_not_in_the_guild(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await ServerService(pool, features()).switch_feature(server, "top10_board", enabled=True, channel_id=GENERAL)
    fake.state.add_user({"id": 4343, "name": "wanderer", "global_name": "Wanderer @everyone"})  # left the guild
    now = runner.clock()
    ledger = VoteLedger(pool)
    votes = {MEMBER: 3, 4343: 2, 4242: 1}  # 4242: a deleted account
    for user_id, count in votes.items():
        for n in range(count):
            await ledger.record(Vote(server.id, "topgg", f"t{user_id}-{n}", now, discord_user_id=user_id))
    await delivered(pool)
    fake.clear_requests()
    await boards(runner).board_tick()
    board = fake.messages(GENERAL)[-1]
    assert board["embeds"][0]["description"].splitlines() == [
        f"🥇 <@{MEMBER}> — **3** votes",  # a member: the mention shows their name
        "🥈 Wanderer @\u200beveryone — **2** votes",
        "🥉 a former member — **1** vote",
    ]
    assert sent(fake, "POST", f"/channels/{GENERAL}/messages")[0]["json"]["allowed_mentions"]["parse"] == []
    lookups = len(fake.requests)
    boards(runner)._checked.clear()  # refreshed again soon after: the names are remembered
    await boards(runner).board_tick()
    assert [r for r in fake.requests[lookups:] if "/members/" in r["path"] or "/users/" in r["path"]] == []


async def test_boards_are_refreshed_spread_over_their_interval_not_all_at_once(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    servers = ServerService(pool, features())
    for n in range(20):
        server = await make_server(pool, name=f"Server {n}")
        await servers.switch_feature(server, "top10_board", enabled=True, channel_id=GENERAL)
    cog = boards(runner)
    assert await cog.board_tick() == 20  # boards not posted yet: all at once, so nobody waits for their first board
    await runner.restart()  # a start: every board is seen for the first time
    cog = boards(runner)
    per_tick = []
    for _tick in range(40):  # 40 ticks of 15 s: one refresh interval (10 minutes)
        per_tick.append(await cog.board_tick())
        runner.clock.advance(seconds=15)
    assert sum(per_tick) == 20  # each board once in its interval
    assert max(per_tick) <= 3, per_tick  # spread over it: about one every other tick, not 20 in the same second
