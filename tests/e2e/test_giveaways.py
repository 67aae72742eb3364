"""Giveaways end to end: the real bot against fakediscord — entering, requirements, ending after a restart,
rerolls, the Enter button after a restart, bad input."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from bot.web.providers import sign_topserver
from tests.e2e.engagement_helpers import delivered, link_in_game
from tests.e2e.harness import ADMIN, BASIC, GENERAL, GUILD_ID, LOCKED, MEMBER, ROLE_VOTER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6
PLAYERS = [1_100_000_000_000_000_301, 1_100_000_000_000_000_302, 1_100_000_000_000_000_303]
OUTSIDER = 1_100_000_000_000_000_304


async def giveaways_on(pool: asyncpg.Pool) -> Server:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/vote")).server
    await service.switch_feature(server, "giveaways", enabled=True, channel_id=GENERAL)
    return server


def add_members(fake: FakeDiscord, ids: list[int], roles: list[int]) -> None:
    for uid in ids:
        fake.add_member(
            {
                "guild_id": str(GUILD_ID),
                "id": str(uid),
                "name": f"p{uid % 1000}",
                "roles": [str(r) for r in roles],
                "permissions": str(BASIC),
            }
        )


def giveaway_message(fake: FakeDiscord) -> dict[str, Any]:
    return next(m for m in reversed(fake.messages(GENERAL)) if m["components"])


def button(message: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = message["components"][0]["components"][0]
    return result


async def click(fake: FakeDiscord, message: dict[str, Any], user_id: int) -> list[dict[str, Any]]:
    created = await fake.interact(
        {
            "type": 3,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(user_id),
            "custom_id": button(message)["custom_id"],
            "message_id": message["id"],
        }
    )
    first = await fake.wait_for_response(created["interaction_id"], timeout=10)
    if first[0].get("type") == 7:  # count updated in place, then the ephemeral note
        return await fake.wait_for_response(created["interaction_id"], count=2, timeout=10)
    return first


async def wait_for_text(fake: FakeDiscord, needle: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return next((m for m in fake.messages(GENERAL) if needle in m["content"]), None)

    found: dict[str, Any] = await fake.state.wait_until(find, 10, f"a message with {needle!r}")
    return found


def sent_body(fake: FakeDiscord, content: str) -> dict[str, Any]:
    """The JSON the bot sent to create the message with this content (to check allowed_mentions)."""
    return next(
        r["json"]
        for r in fake.requests
        if r["method"] == "POST"
        and r["path"] == f"/channels/{GENERAL}/messages"
        and (r.get("json") or {}).get("content") == content
    )


async def status_of(pool: asyncpg.Pool, giveaway_id: int) -> str:
    status: str = await pool.fetchval("SELECT status FROM giveaways WHERE id = $1", giveaway_id)
    return status


async def test_entries_role_requirement_end_after_restart_and_reroll(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await giveaways_on(pool)
    add_members(fake, PLAYERS, [ROLE_VOTER])
    add_members(fake, [OUTSIDER], [])
    text = reply_text(
        await runner.command(
            ADMIN,
            "giveaway start",
            prize="Nitro for @everyone <@&1100000000000000200>",
            duration="1h30m",
            winners=2,
            required_role=str(ROLE_VOTER),
        )
    )
    assert "started in" in text
    posted = giveaway_message(fake)
    assert not posted["mention_everyone"] and posted["mention_roles"] == [] and posted["mentions"] == []
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])

    for uid in PLAYERS:
        responses = await click(fake, posted, uid)
        assert "You're in" in reply_text(responses)
    assert button(fake.message(int(posted["id"])))["label"] == "Enter · 3"  # type: ignore[arg-type]
    refused = await click(fake, posted, OUTSIDER)
    assert "only for members with" in reply_text(refused) and refused[0]["data"]["flags"] & EPHEMERAL
    # leave and re-enter: the toggle
    assert "You left" in reply_text(await click(fake, posted, PLAYERS[0]))
    assert "You're in" in reply_text(await click(fake, posted, PLAYERS[0]))
    entrants = {r["discord_user_id"] for r in await pool.fetch("SELECT discord_user_id FROM giveaway_entries")}
    assert entrants == set(PLAYERS)

    # the bot is down while the end passes; on start it ends the overdue giveaway
    await runner.stop()
    runner.clock.advance(hours=1, minutes=35)
    await runner.start()
    announcement = await wait_for_text(fake, "Congratulations")
    winners = {int(u["id"]) for u in announcement["mentions"]}
    assert len(winners) == 2 and winners <= set(PLAYERS)
    assert not announcement["mention_everyone"] and announcement["mention_roles"] == []
    body = sent_body(fake, announcement["content"])
    assert body["allowed_mentions"]["parse"] == [] and {int(u) for u in body["allowed_mentions"]["users"]} == winners
    await fake.state.wait_until(lambda: not fake.message(int(posted["id"]))["components"], 5, "the button removed")
    assert await status_of(pool, giveaway_id) == "ended"
    snapshot = await pool.fetchval("SELECT snapshot FROM giveaway_draws WHERE giveaway_id = $1", giveaway_id)
    assert snapshot is not None

    # reroll: the only eligible member who has not won yet
    text = reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id, winners=1))
    assert "1 new winner" in text
    reroll = await wait_for_text(fake, "Reroll!")
    assert {int(u["id"]) for u in reroll["mentions"]} == set(PLAYERS) - winners
    ended_embed = fake.message(int(posted["id"]))["embeds"][0]  # type: ignore[index]
    assert all(f"<@{p}>" in ended_embed["description"] for p in PLAYERS)  # every winner so far
    text = reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id, winners=1))
    assert "nobody left" in text
    assert len([m for m in fake.messages(GENERAL) if "Reroll!" in m["content"]]) == 1


async def test_voted_requirement_bonus_and_more_winners_than_entrants(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await giveaways_on(pool)
    add_members(fake, PLAYERS, [])
    voter, other = PLAYERS[0], PLAYERS[1]
    await VoteLedger(pool).record(
        Vote(
            server_id=server.id,
            provider="topgg",
            external_id="v1",
            voted_at=runner.clock.now - dt.timedelta(minutes=5),
            discord_user_id=voter,
        )
    )
    await runner.command(
        ADMIN, "giveaway start", prize="VIP", duration="2d", winners=3, voted_this_month=True, voter_bonus=2
    )
    posted = giveaway_message(fake)
    requirements = posted["embeds"][0]["fields"][0]
    assert requirements == {"name": "Requirements", "value": "Voted for **Survival** this month", "inline": False}
    assert "You're in" in reply_text(await click(fake, posted, voter))
    assert "voted this month" in reply_text(await click(fake, posted, other))
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    assert "listed" not in reply_text(await runner.command(MEMBER, "giveaway list"))  # members: refused
    assert f"#{giveaway_id}" in reply_text(await runner.command(ADMIN, "giveaway list"))

    created = await fake.interact(
        {
            "type": 4,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(ADMIN),
            "name": "giveaway end",
            "options": [{"name": "giveaway", "value": "VI", "focused": True}],
        }
    )
    choices = (await fake.wait_for_response(created["interaction_id"]))[0]["data"]["choices"]
    assert choices == [{"name": f"#{giveaway_id} VIP (running)", "value": giveaway_id}]
    text = reply_text(await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id))
    assert text == f"Giveaway #{giveaway_id} ended with 1 winner."
    announcement = await wait_for_text(fake, "Congratulations")
    assert [int(u["id"]) for u in announcement["mentions"]] == [voter]
    # the congratulation is only that; how many could win is said in the post's embed
    assert announcement["content"] == f"🎉 Congratulations <@{voter}>: you won **VIP**!\n-# Giveaway #{giveaway_id}"
    ended = fake.message(int(posted["id"]))["embeds"][0]  # type: ignore[index]
    assert "There were fewer eligible entrants than winners, so everyone eligible won." in ended["description"]
    assert ended["description"].endswith(f"Hosted by <@{ADMIN}> · 1 of 3 winners drawn")
    snapshot = await pool.fetchval("SELECT snapshot::text FROM giveaway_draws WHERE giveaway_id = $1", giveaway_id)
    assert snapshot == f"[[{voter}, 3]]"  # 1 + 2 bonus tickets
    again = reply_text(await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id))
    assert again == f"Giveaway #{giveaway_id} has already ended; /giveaway reroll draws new winners."


async def test_enter_button_works_after_restart(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await giveaways_on(pool)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1d")
    posted = giveaway_message(fake)
    await runner.restart()
    responses = await click(fake, posted, MEMBER)
    assert responses[0]["type"] == 7 and "You're in" in reply_text(responses)
    assert button(fake.message(int(posted["id"])))["label"] == "Enter · 1"  # type: ignore[arg-type]
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    assert "was cancelled" in reply_text(await runner.command(ADMIN, "giveaway cancel", giveaway=giveaway_id))
    assert fake.message(int(posted["id"]))["components"] == []  # type: ignore[index]
    refused = reply_text(await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id))
    assert refused == f"Giveaway #{giveaway_id} was already cancelled."
    assert await pool.fetchval("SELECT count(*) FROM giveaway_draws") == 0


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"duration": "0m"}, "The duration must be at least 1 minute."),
        ({"duration": "9w"}, "The duration can be at most 8 weeks."),
        ({"duration": "soon"}, "can't read the duration"),
        ({"duration": "1h", "winners": 0}, "A giveaway can have 1 to 20 winners."),
        ({"duration": "1h", "voter_bonus": 50}, "The voter bonus can be 0 to 10 extra tickets."),
        ({"duration": "1h", "channel": str(LOCKED)}, "I can't post in"),
    ],
)
async def test_bad_input_stores_nothing(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, options: dict[str, Any], error: str
) -> None:
    await giveaways_on(pool)
    before = len(fake.messages(GENERAL))
    text = reply_text(await runner.command(ADMIN, "giveaway start", prize="Kit", **options))
    assert error in text
    assert await pool.fetchval("SELECT count(*) FROM giveaways") == 0
    assert len(fake.messages(GENERAL)) == before


async def test_member_cannot_start_and_feature_off_is_refused(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await giveaways_on(pool)
    assert "Manage Server" in reply_text(await runner.command(MEMBER, "giveaway start", prize="x", duration="1h"))
    await ServerService(pool, features()).switch_feature(server, "giveaways", enabled=False)
    assert "Giveaways are off" in reply_text(await runner.command(ADMIN, "giveaway start", prize="x", duration="1h"))
    assert await pool.fetchval("SELECT count(*) FROM giveaways") == 0


async def test_failed_announcement_keeps_it_running_until_posted(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await giveaways_on(pool)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1h", winners=1)
    posted = giveaway_message(fake)
    await click(fake, posted, MEMBER)
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    runner.clock.advance(hours=1, minutes=1)  # past its end
    service: Any = runner.service("Giveaways")
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 403, "count": 1})
    async with service.job.lock:
        await service.end_due(runner.clock.now)
    assert await status_of(pool, giveaway_id) == "running"
    dms = [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/users/@me/channels"]
    assert len(dms) == 1  # the owner is told once
    async with service.job.lock:
        await service.end_due(runner.clock.now)
        await service.end_due(runner.clock.now)
    assert await status_of(pool, giveaway_id) == "ended"
    announcements = [m for m in fake.messages(GENERAL) if "Congratulations" in m["content"]]
    assert len(announcements) == 1 and [int(u["id"]) for u in announcements[0]["mentions"]] == [MEMBER]


async def test_ends_on_time_through_the_scheduler(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await giveaways_on(pool)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1h")
    await click(fake, giveaway_message(fake), MEMBER)
    await pool.execute("UPDATE giveaways SET ends_at = $1", runner.clock() + dt.timedelta(seconds=1))
    service: Any = runner.service("Giveaways")
    service.job.wake()  # not due yet: the run schedules its own wake-up at the end time
    await asyncio.sleep(0.2)
    assert not [m for m in fake.messages(GENERAL) if "Congratulations" in m["content"]]
    runner.clock.advance(seconds=2)  # the end time passes: the scheduled wake-up ends it
    announcement = await wait_for_text(fake, "Congratulations")
    assert [int(u["id"]) for u in announcement["mentions"]] == [MEMBER]


async def test_winners_announced_before_a_failed_update_are_not_announced_again(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await giveaways_on(pool)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1h", winners=1)
    posted = giveaway_message(fake)
    await click(fake, posted, MEMBER)
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    runner.clock.advance(hours=1, minutes=1)
    service: Any = runner.service("Giveaways")
    finish = service._repo.finish

    async def database_gone(*args: Any) -> bool:
        service._repo.finish = finish
        raise ConnectionResetError("database gone after the announcement")

    service._repo.finish = database_gone
    async with service.job.lock:
        with pytest.raises(ConnectionResetError):
            await service.end_due(runner.clock.now)
        fake.state.nonces.clear()  # the retry comes later than Discord's nonce window
        await service.end_due(runner.clock.now)
    assert await status_of(pool, giveaway_id) == "ended"
    announcements = [m for m in fake.messages(GENERAL) if "Congratulations" in m["content"]]
    assert len(announcements) == 1


async def test_cancel_waits_for_a_draw_in_progress(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    """A cancel landing while the due job draws would mark it cancelled under winners being announced."""
    await giveaways_on(pool)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1h", winners=1)
    giveaway_id = int(button(giveaway_message(fake))["custom_id"].rsplit(":", 1)[1])
    service: Any = runner.service("Giveaways")
    async with service.job.lock:  # the due job is drawing
        cancel = asyncio.create_task(service.cancel(GUILD_ID, giveaway_id))
        await asyncio.sleep(0.1)
        assert not cancel.done() and await status_of(pool, giveaway_id) == "running"
    assert (await cancel).status == "cancelled"


TOPSERVER_SECRET = "ts-push-secret-0123456789"


def note(responses: list[dict[str, Any]]) -> str:
    """The ephemeral answer to a click (after the in-place update of the giveaway's count)."""
    content: str = responses[-1]["data"]["content"]
    return content


async def topserver_votes(
    runner: BotRunner, pool: asyncpg.Pool, server: Server, player: str, times: list[dt.datetime]
) -> None:
    """Votes as Top-Server pushes them: signed webhooks naming the player, stamped with the site's clock."""
    await CredentialRepository(pool).set_secret(server.id, "topserver", TOPSERVER_SECRET, None)
    async with aiohttp.ClientSession() as http:
        for number, voted_at in enumerate(times):
            body = json.dumps(
                {
                    "event": "vote",
                    "serverId": "ckserver",
                    "voteId": f"ckvote{number}",
                    "player": player,
                    "votedAt": voted_at.isoformat(),
                }
            ).encode()
            headers = {"x-topserver-signature": sign_topserver(TOPSERVER_SECRET, body)}
            async with http.post(f"{runner.web_url}/webhooks/topserver/{server.id}", data=body, headers=headers) as r:
                assert r.status == 200, await r.text()
    await delivered(pool)


async def test_votes_under_the_linked_player_name_qualify_and_earn_the_bonus(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 12: a linked member with two Top-Server votes was told "only for members who voted this month".
    Top-Server stamps a vote with its own clock, a little ahead of ours; /points counted the votes, the giveaway
    (votes up to "now") did not."""
    server = await giveaways_on(pool)
    add_members(fake, PLAYERS, [])
    linked, unlinked = PLAYERS[0], PLAYERS[1]
    await link_in_game(runner, pool, server, linked, "Steve")
    now = runner.clock.now
    await topserver_votes(runner, pool, server, "steve", [now + dt.timedelta(minutes=2), now + dt.timedelta(minutes=3)])
    assert "You have **2** vote points" in reply_text(await runner.command(linked, "points"))

    await runner.command(
        ADMIN, "giveaway start", prize="VIP", duration="2d", winners=1, voted_this_month=True, voter_bonus=2
    )
    posted = giveaway_message(fake)
    assert note(await click(fake, posted, linked)).startswith(
        "You're in! You have 3 tickets: 1 for entering and 2 for your votes this month."
    )
    assert "only for members who voted this month" in reply_text(await click(fake, posted, unlinked))
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    assert reply_text(await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id)) == (
        f"Giveaway #{giveaway_id} ended with 1 winner."
    )
    snapshot = await pool.fetchval("SELECT snapshot::text FROM giveaway_draws WHERE giveaway_id = $1", giveaway_id)
    assert snapshot == f"[[{linked}, 3]]"  # the voter bonus at the draw, by the same rule


async def test_the_entry_reply_counts_the_members_tickets_and_texts_use_real_plurals(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 12: "(1 entry)" was the number of entrants, the bonus was never confirmed, and "winner(s)"."""
    server = await giveaways_on(pool)
    add_members(fake, PLAYERS, [])
    voter, other, third = PLAYERS
    await VoteLedger(pool).record(
        Vote(server.id, "topgg", "v1", runner.clock.now - dt.timedelta(minutes=5), discord_user_id=voter)
    )
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1d", winners=1, voter_bonus=1)
    posted = giveaway_message(fake)
    embed = fake.message(int(posted["id"]))["embeds"][0]  # type: ignore[index]
    assert "· 1 winner" in embed["description"] and "winner(s)" not in embed["description"]
    assert "Members who voted this month get 1 extra ticket." in [f["value"] for f in embed["fields"]]

    assert note(await click(fake, posted, other)) == (
        "You're in! You have 1 ticket. Vote for the server (/vote) before the giveaway ends to get 1 more ticket."
    )
    assert note(await click(fake, posted, voter)) == (
        "You're in! You have 2 tickets: 1 for entering and 1 for your votes this month. "
        "Press the button again to leave."
    )
    assert button(fake.message(int(posted["id"])))["label"] == "Enter · 2"  # type: ignore[arg-type]
    assert note(await click(fake, posted, other)) == "You left the giveaway. Press the button again to enter."
    await click(fake, posted, other)
    await click(fake, posted, third)
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])

    assert reply_text(await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id)) == (
        f"Giveaway #{giveaway_id} ended with 1 winner."
    )
    assert reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id, winners=2)) == (
        f"Rerolled giveaway #{giveaway_id}: 2 new winners."
    )
    reroll = await wait_for_text(fake, "Reroll!")
    assert reroll["content"].startswith("🎲 Reroll! The new winners are <@")
    assert reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id)) == (
        "Every eligible entrant has already won: there is nobody left to draw."
    )


async def test_a_giveaway_nobody_entered_and_a_prize_with_mentions(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 12: "· 1 winner" under "nobody won", 🎉 on a giveaway nobody won, a prize's mentions broken with
    zero-width spaces in the embed, and "Only an ended giveaway can be rerolled" for a running one."""
    await giveaways_on(pool)
    prize = f"@everyone **Free** <@&{ROLE_VOTER}> nitro"
    await runner.command(ADMIN, "giveaway start", prize=prize, duration="1h", winners=2)
    posted = giveaway_message(fake)
    embed = posted["embeds"][0]
    assert embed["title"] == f"🎉 Giveaway: @everyone \\*\\*Free\\*\\* <@&{ROLE_VOTER}> nitro"  # embeds never ping
    assert "\u200b" not in embed["title"]
    assert not posted["mention_everyone"] and posted["mention_roles"] == []
    giveaway_id = int(button(posted)["custom_id"].rsplit(":", 1)[1])
    refused = reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id))
    assert refused == f"Giveaway #{giveaway_id} is still running: end it with /giveaway end first, then reroll."

    await runner.command(ADMIN, "giveaway end", giveaway=giveaway_id)
    announcement = await wait_for_text(fake, "nobody won")
    assert announcement["content"] == (
        f"The giveaway for **@everyone \\*\\*Free\\*\\* <@&{ROLE_VOTER}> nitro** has ended with no eligible "
        f"entries, so nobody won.\n-# Giveaway #{giveaway_id}"
    )
    assert not announcement["mention_everyone"] and announcement["mention_roles"] == []
    ended = fake.message(int(posted["id"]))["embeds"][0]  # type: ignore[index]
    assert "There were no eligible entries, so nobody won." in ended["description"]
    assert ended["description"].endswith(f"Hosted by <@{ADMIN}>")  # no "· 2 winners" under "nobody won"
    empty = reply_text(await runner.command(ADMIN, "giveaway reroll", giveaway=giveaway_id))
    assert empty == f"Nobody was eligible in giveaway #{giveaway_id}, so there is nobody to draw."
