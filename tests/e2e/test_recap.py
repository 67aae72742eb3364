"""The monthly recap through the fake Discord with the injected clock: posted once on the 1st at the daily post time
(across restarts, a DST change and a crash between the post and its bookkeeping), with its chart attached, in the
server's language; not posted when switched off or when the month had no votes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp
import asyncpg

from bot.app.extensions import features
from bot.core import i18n
from bot.core.i18n import _, n_
from bot.core.servers import ServerService
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.leaderboards.service import RECAP_HEIGHT, RECAP_WIDTH
from tests.e2e.engagement_helpers import link_in_game, make_server, record_vote
from tests.e2e.harness import ADMIN, GENERAL, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n"
UTC = dt.UTC


def leaderboards(runner: BotRunner) -> Any:
    return runner.service("Leaderboards")


async def tick_at(runner: BotRunner, when: dt.datetime) -> None:
    runner.clock.set(when)
    await leaderboards(runner).tick()


def recaps(fake: FakeDiscord, channel: int = GENERAL) -> list[dict[str, Any]]:
    """The recap posts in the channel (the daily leaderboard posts carry no picture)."""
    return [m for m in fake.messages(channel) if m["attachments"]]


async def daily_leaderboard(pool: asyncpg.Pool, server: Server, **settings: object) -> None:
    await ServerService(pool, features()).switch_feature(
        server, "daily_leaderboard", enabled=True, channel_id=GENERAL, settings=settings or None
    )


async def recap_runs(pool: asyncpg.Pool, server: Server) -> list[str]:
    records = await pool.fetch(
        "SELECT period FROM engagement_runs WHERE server_id = $1 AND kind = 'monthly_recap' ORDER BY period", server.id
    )
    return [r["period"] for r in records]


async def check_picture(fake: FakeDiscord, message: dict[str, Any]) -> bytes:
    """The embed shows the message's one PNG attachment, of the recap chart's size; returns its bytes."""
    [attachment] = message["attachments"]
    assert attachment["filename"].endswith(".png")
    assert (attachment["width"], attachment["height"]) == (RECAP_WIDTH, RECAP_HEIGHT)
    assert message["embeds"][0]["image"]["url"] == attachment["url"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/_fake/attachments/{attachment['id']}") as response,
    ):
        assert response.status == 200
        data = await response.read()
    assert data.startswith(PNG) and len(data) == attachment["size"]
    return data


async def two_months_of_votes(runner: BotRunner, pool: asyncpg.Pool, server: Server) -> None:
    """September: 4 votes. October: 5 — Steve (the member) 2 on the 5th and 1 on Top.gg on the 12th, Alex on the
    12th, Bob on the 20th: the 5th and the 12th tie with 2 each. November: 1, just after midnight."""
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    for n in range(4):
        await record_vote(pool, server, f"s{n}", dt.datetime(2026, 9, 10 + n, 12, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 5, 10, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "o2", dt.datetime(2026, 10, 5, 11, tzinfo=UTC), player_name="steve")
    await record_vote(pool, server, "o3", dt.datetime(2026, 10, 12, 9, tzinfo=UTC), player_name="Alex")
    await VoteLedger(pool).record(
        Vote(server.id, "topgg", "t1", dt.datetime(2026, 10, 12, 10, tzinfo=UTC), discord_user_id=MEMBER)
    )
    await record_vote(pool, server, "o4", dt.datetime(2026, 10, 20, 9, tzinfo=UTC), player_name="Bob")
    await record_vote(pool, server, "n1", dt.datetime(2026, 11, 1, 0, 30, tzinfo=UTC), player_name="Bob")


async def test_recap_on_the_first_at_the_post_time_once_across_restarts(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)  # UTC, daily post at 09:00
    await daily_leaderboard(pool, server)
    await two_months_of_votes(runner, pool, server)
    fake.clear_requests()

    await tick_at(runner, dt.datetime(2026, 11, 1, 8, 59, tzinfo=UTC))
    assert recaps(fake) == []
    await tick_at(runner, dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    [message] = recaps(fake)
    posts = fake.messages(GENERAL)
    assert posts[-1] == message  # after that day's daily leaderboard post
    assert posts[-2]["embeds"][0]["title"] == "Alpha vote leaderboard"
    await tick_at(runner, dt.datetime(2026, 11, 1, 9, 1, tzinfo=UTC))
    await runner.restart()  # after the post: not again, on the 1st nor within the catch-up days
    await tick_at(runner, dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    await tick_at(runner, dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    assert recaps(fake) == [message]
    assert fake.state.nonce_hits == []  # the claim knew it was done: Discord's nonce was not what stopped it

    embed = message["embeds"][0]
    assert embed["title"] == "Alpha — October 2026 in review"
    assert embed["description"] == "**5** votes in October 2026: +1 (+25%) against 4 in September 2026."
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Top voters"].splitlines() == [
        f"🥇 <@{MEMBER}> (Steve) — **3** votes",  # the linked player name and the Top.gg vote are one member
        "🥈 Alex — **1** vote",  # tied with Bob, and there first
        "🥉 Bob — **1** vote",
    ]
    assert fields["Best day"] == "October 5, 2026: **2** votes"  # tied with the 12th: the earliest
    data = await check_picture(fake, message)
    assert message["attachments"][0]["description"] == "Votes per day in October 2026, by listing site"
    assert await recap_runs(pool, server) == ["2026-10"]

    # the bot is restarted before the next post time: November's recap once, after it
    await tick_at(runner, dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    await runner.restart()
    await tick_at(runner, dt.datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    assert len(recaps(fake)) == 1
    await tick_at(runner, dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    await tick_at(runner, dt.datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    await runner.restart()
    await tick_at(runner, dt.datetime(2026, 12, 1, 9, 2, tzinfo=UTC))
    november = recaps(fake)[1:]
    assert len(november) == 1
    embed = november[0]["embeds"][0]
    assert embed["title"] == "Alpha — November 2026 in review"
    assert embed["description"] == "**1** vote in November 2026: -4 (-80%) against 5 in October 2026."
    assert await check_picture(fake, november[0]) != data

    # December had no votes: nothing posted, and not asked again at every tick
    await tick_at(runner, dt.datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    await tick_at(runner, dt.datetime(2027, 1, 1, 9, 1, tzinfo=UTC))
    assert len(recaps(fake)) == 2
    assert await recap_runs(pool, server) == ["2026-10", "2026-11", "2026-12"]


async def test_recap_mentions_nobody(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool)
    await daily_leaderboard(pool, server)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 5, tzinfo=UTC), player_name="@everyone")
    await record_vote(pool, server, "o2", dt.datetime(2026, 10, 6, tzinfo=UTC), player_name="Steve")
    fake.clear_requests()
    await tick_at(runner, dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    posted = [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith(f"/channels/{GENERAL}/messages")]
    bodies = [r.get("json") or {} for r in posted]
    assert bodies and all(body.get("allowed_mentions", {}).get("parse") == [] for body in bodies)
    [message] = recaps(fake)
    assert "@\u200beveryone" in message["embeds"][0]["fields"][0]["value"]
    assert message["mention_everyone"] is False and message["mentions"] == []


async def test_recap_once_across_the_dst_change_with_local_month_boundaries(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool, timezone="America/New_York")  # DST ends on Sunday 1 November 2026 at 02:00
    await daily_leaderboard(pool, server)
    await record_vote(pool, server, "s1", dt.datetime(2026, 9, 15, 12, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 1, 4, 30, tzinfo=UTC), player_name="Steve")  # 00:30
    await record_vote(pool, server, "o2", dt.datetime(2026, 10, 10, 12, tzinfo=UTC), player_name="Steve")
    # 23:30 in New York on October 31 (03:30 UTC on November 1): October's
    await record_vote(pool, server, "o3", dt.datetime(2026, 11, 1, 3, 30, tzinfo=UTC), player_name="Alex")
    await record_vote(pool, server, "o4", dt.datetime(2026, 11, 1, 3, 45, tzinfo=UTC), player_name="Alex")
    # 00:30 EDT on November 1: November's
    await record_vote(pool, server, "n1", dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC), player_name="Bob")
    # 23:30 on September 30 in New York (03:30 UTC on October 1): September's
    await record_vote(pool, server, "s2", dt.datetime(2026, 10, 1, 3, 30, tzinfo=UTC), player_name="Bob")
    fake.clear_requests()

    # 09:00 on November 1 is EST (UTC-5) again: 14:00 UTC, not 13:00 (09:00 EDT)
    for hour, minute in ((4, 0), (13, 0), (13, 59)):
        await tick_at(runner, dt.datetime(2026, 11, 1, hour, minute, tzinfo=UTC))
    assert recaps(fake) == []
    await tick_at(runner, dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC))
    await tick_at(runner, dt.datetime(2026, 11, 1, 15, 0, tzinfo=UTC))
    await runner.restart()
    await tick_at(runner, dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    [message] = recaps(fake)
    embed = message["embeds"][0]
    assert embed["title"] == "Alpha — October 2026 in review"
    # o1..o4 (the one at 23:30 on Oct 31 included, the one at 23:30 on Sep 30 not); September: s1 and s2
    assert embed["description"] == "**4** votes in October 2026: +2 (+100%) against 2 in September 2026."
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Best day"] == "October 31, 2026: **2** votes"  # the local day, not November 1 (UTC)
    assert fields["Top voters"].splitlines() == ["🥇 Steve — **2** votes", "🥈 Alex — **2** votes"]
    await check_picture(fake, message)
    assert await recap_runs(pool, server) == ["2026-10"]
    assert fake.state.nonce_hits == []  # once by the claim, not by Discord dropping a second post


async def test_recap_at_a_post_time_inside_the_repeated_hour(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """01:30 happens twice in New York on November 1 (EDT, then EST): the recap goes out at the first, once."""
    server = await make_server(pool, timezone="America/New_York")
    await daily_leaderboard(pool, server)
    answer = reply_text(await runner.command(ADMIN, "leaderboards settings", post_time="01:30", monthly_recap=True))
    assert "The monthly recap of the month before is posted on the 1st at 01:30." in answer
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 10, 12, tzinfo=UTC), player_name="Steve")
    fake.clear_requests()
    await tick_at(runner, dt.datetime(2026, 11, 1, 5, 29, tzinfo=UTC))  # 01:29 EDT
    assert recaps(fake) == []
    await tick_at(runner, dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT
    assert len(recaps(fake)) == 1
    await runner.restart()
    await tick_at(runner, dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST, the hour again
    await tick_at(runner, dt.datetime(2026, 11, 1, 6, 31, tzinfo=UTC))
    [message] = recaps(fake)
    assert message["embeds"][0]["description"] == "**1** vote in October 2026; none in September 2026."
    assert fake.state.nonce_hits == []


async def test_recap_switched_off_posts_nothing(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await make_server(pool)
    await daily_leaderboard(pool, server)
    answer = reply_text(await runner.command(ADMIN, "leaderboards settings", monthly_recap=False))
    assert answer.endswith("The monthly recap is off.")
    stored = await pool.fetchval(
        "SELECT settings FROM server_features WHERE server_id = $1 AND feature = 'daily_leaderboard'", server.id
    )
    assert stored["monthly_recap"] is False
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 10, 12, tzinfo=UTC), player_name="Steve")
    fake.clear_requests()
    for day in (1, 2):
        await tick_at(runner, dt.datetime(2026, 11, day, 9, 0, tzinfo=UTC))
    assert recaps(fake) == []
    assert [m["embeds"][0]["title"] for m in fake.messages(GENERAL)] == ["Alpha vote leaderboard"]  # the daily one
    assert await recap_runs(pool, server) == []

    # switched on again within the catch-up days: October's recap still comes
    await runner.command(ADMIN, "leaderboards settings", monthly_recap=True)
    await tick_at(runner, dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    assert len(recaps(fake)) == 1


async def test_recap_caught_up_within_three_days_then_skipped(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await daily_leaderboard(pool, server)
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 10, 12, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "n1", dt.datetime(2026, 11, 10, 12, tzinfo=UTC), player_name="Steve")
    fake.clear_requests()
    await tick_at(runner, dt.datetime(2026, 11, 4, 8, 59, tzinfo=UTC))  # down since before the 1st: 71:59 h late
    assert len(recaps(fake)) == 1
    await tick_at(runner, dt.datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # 72 h late: too late, November's is skipped
    assert len(recaps(fake)) == 1
    assert await recap_runs(pool, server) == ["2026-10"]


async def test_a_crash_between_the_post_and_its_bookkeeping_does_not_post_twice(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await daily_leaderboard(pool, server)
    await record_vote(pool, server, "o1", dt.datetime(2026, 10, 10, 12, tzinfo=UTC), player_name="Steve")
    service = leaderboards(runner)
    post = service._messenger.post

    async def posted_then_lost(*args: Any, **kwargs: Any) -> int:
        message_id: int = await post(*args, **kwargs)
        if kwargs.get("pictures"):
            service._messenger.post = post
            raise ConnectionResetError("the database went away before the claim was committed")
        return message_id

    service._messenger.post = posted_then_lost
    fake.clear_requests()
    await tick_at(runner, dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    assert await recap_runs(pool, server) == []  # rolled back: still to do
    await tick_at(runner, dt.datetime(2026, 11, 1, 9, 1, tzinfo=UTC))
    assert len(recaps(fake)) == 1 and len(fake.state.nonce_hits) == 1  # the same nonce: Discord kept one
    assert await recap_runs(pool, server) == ["2026-10"]


async def test_a_german_server_gets_its_recap_in_german(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool, language="de", timezone="Europe/Berlin")
    await daily_leaderboard(pool, server)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    for n in range(3):
        await record_vote(pool, server, f"o{n}", dt.datetime(2026, 10, 12, 10 + n, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "s1", dt.datetime(2026, 9, 12, 10, tzinfo=UTC), player_name="Steve")
    await record_vote(pool, server, "s2", dt.datetime(2026, 9, 13, 10, tzinfo=UTC), player_name="Steve")
    fake.clear_requests()
    await tick_at(runner, dt.datetime(2026, 11, 1, 8, 0, tzinfo=UTC))  # 09:00 CET
    [message] = recaps(fake)
    embed = message["embeds"][0]
    german = i18n.language("de")
    assert german is not None
    with i18n.speaking(german):
        month, before = i18n.month_name(2026, 10), i18n.month_name(2026, 9)
        assert (month, before) == ("Oktober 2026", "September 2026")
        title = _("{server} — {month} in review", server="Alpha", month=month)
        change = n_(
            "**{count}** vote in {month}: {change} ({percent}) against {previous} in {before}.",
            "**{count}** votes in {month}: {change} ({percent}) against {previous} in {before}.",
            3,
            change="+1",
            percent="+" + i18n.percent(0.5),
            previous="2",
            month=month,
            before=before,
        )
        steve = f"<@{MEMBER}> (Steve)"
        ranking = n_(
            "{mark} {voter} — **{count}** vote", "{mark} {voter} — **{count}** votes", 3, mark="🥇", voter=steve
        )
        best = n_("{day}: **{count}** vote", "{day}: **{count}** votes", 3, day="12. Oktober 2026")
        alt = _("Votes per day in {month}, by listing site", month=month)
    assert embed["title"] == title and "Oktober 2026" in title
    assert embed["description"] == change and "+50\xa0%" in change  # German percent: a no-break space before the sign
    assert ranking != f"🥇 {steve} — **3** votes"  # an existing text: the shipped catalog has it in German
    assert embed["fields"][0]["value"] == ranking
    assert embed["fields"][1]["value"] == best
    assert message["attachments"][0]["description"] == alt
    await check_picture(fake, message)
