"""End to end: the real bot against tests/fakediscord — /vote, /setup, /feature, restarts and faults."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, LOCKED, MEMBER, ROLE_HIGH, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6


async def link_server(pool: asyncpg.Pool, name: str = "Survival", url: str = "https://top-server.example/s/survival"):
    return (await ServerService(pool, features()).add(guild_id=GUILD_ID, name=name, vote_url=url)).server


async def test_vote_for_a_plain_member_shows_embed_and_link_button(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await link_server(pool)
    responses = await runner.command(MEMBER, "vote")
    callback = responses[0]
    assert callback["kind"] == "callback" and callback["type"] == 4
    data = callback["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "Vote for Survival"
    button = data["components"][0]["components"][0]
    assert button["style"] == 5 and button["url"] == "https://top-server.example/s/survival"
    assert data["allowed_mentions"]["parse"] == []  # pings nobody


async def test_the_vote_card_names_the_game_as_people_write_it(runner: BotRunner, pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/s", game="minecraft")
    await service.add(guild_id=GUILD_ID, name="Shooter", vote_url="https://e.com/c", game="csgo")
    await service.add(guild_id=GUILD_ID, name="Other", vote_url="https://e.com/o", game="space engineers")
    games = []
    for name in ("Survival", "Shooter", "Other"):
        embed = (await runner.command(MEMBER, "vote", server=name))[0]["data"]["embeds"][0]
        games.append(next(f["value"] for f in embed["fields"] if f["name"] == "Game"))
    assert games == ["Minecraft", "Counter-Strike: Global Offensive", "Space Engineers"]


async def test_vote_shows_cooldown_from_last_vote(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await link_server(pool)
    voted_at = runner.clock.now - dt.timedelta(hours=1)
    await VoteLedger(pool).record(
        Vote(server_id=server.id, provider="topgg", external_id="x1", voted_at=voted_at, discord_user_id=MEMBER)
    )
    text = reply_text(await runner.command(MEMBER, "vote"))
    next_at = int((voted_at + dt.timedelta(hours=12)).timestamp())
    assert f"<t:{next_at}:R>" in text and "You can vote again" in text
    assert "You can vote again" not in reply_text(await runner.command(ADMIN, "vote"))  # admin never voted


async def test_vote_without_linked_server_or_switched_off(runner: BotRunner, pool: asyncpg.Pool) -> None:
    text = reply_text(await runner.command(MEMBER, "vote"))
    assert "No game server is linked" in text
    server = await link_server(pool)
    await ServerService(pool, features()).switch_feature(server, "all", enabled=False)
    assert "switched off" in reply_text(await runner.command(MEMBER, "vote"))


async def test_feature_enable_refused_for_member_and_nothing_changes(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await link_server(pool)
    responses = await runner.command(MEMBER, "feature enable", feature="reminders", channel=str(GENERAL))
    assert "Manage Server permission" in reply_text(responses)
    assert responses[0]["data"]["flags"] & EPHEMERAL
    setting = await ServerService(pool, features()).setting(server.id, "reminders")
    assert setting is not None and not setting.enabled and setting.channel_id is None


async def test_commands_are_hidden_from_members_by_default_permissions(runner: BotRunner, fake: FakeDiscord) -> None:
    synced = await fake.wait_for_request("PUT", r"/applications/\d+/commands$")
    by_name = {c["name"]: c for c in synced["json"]}
    assert str(by_name["feature"]["default_member_permissions"]) == str(1 << 5)
    assert str(by_name["setup"]["default_member_permissions"]) == str(1 << 5)
    assert by_name["vote"].get("default_member_permissions") is None


async def test_feature_enable_by_admin_persists_across_restart(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await link_server(pool)
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert "Turned on **Vote reminders**" in text
    notice = fake.messages(GENERAL)[-1]
    assert notice["content"] == "✅ **Survival**'s vote reminders will be posted in this channel."

    await runner.restart()
    listing = reply_text(await runner.command(ADMIN, "feature list"))
    assert f"✅ **Vote reminders** · <#{GENERAL}>" in listing
    setting = await ServerService(pool, features()).setting(server.id, "reminders")
    assert setting is not None and setting.enabled and setting.channel_id == GENERAL


async def test_feature_list_shows_every_feature_whole_with_what_off_means(
    runner: BotRunner, pool: asyncpg.Pool
) -> None:
    server = await link_server(pool)
    service = ServerService(pool, features())
    for spec in service.registry:  # every feature on, each with a channel and a role: the longest listing
        await service.switch_feature(server, spec.name, enabled=True, channel_id=GENERAL, role_id=ROLE_HIGH)
    responses = await runner.command(ADMIN, "feature list")
    embed = responses[0]["data"]["embeds"][0]
    lines = embed["description"].splitlines()
    assert lines[0] == "Master switch: **on**"
    assert [line.split("**")[1] for line in lines[2:]] == [spec.label for spec in service.registry]
    assert all(line.startswith("✅ **") and f"<#{GENERAL}> · <@&{ROLE_HIGH}>" in line for line in lines[2:])
    # settings by their human names, with units and thousands separators; no snake_case key anywhere
    assert "voter role duration: until the member may vote again" in lines[2]  # not "off": the role is kept
    milestones = next(line for line in lines if "milestones" in line)
    assert "milestone thresholds: 50, 100, 250, 500, 1,000 votes · total-votes announcement: off" in milestones
    assert "board refresh: every 10 minutes" in embed["description"]
    assert "daily post time: 09:00" in embed["description"]
    assert not any(key in embed["description"] for key in ("role_hours", "thank_you", "channel_ping", "`vote`"))


async def test_feature_list_marks_features_that_are_off_once(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await link_server(pool)
    lines = reply_text(await runner.command(ADMIN, "feature list")).splitlines()
    giveaways = next(line for line in lines if "Giveaways" in line)
    assert giveaways == "⬜ **Giveaways** (off)"
    vote = "✅ **Vote rewards (/vote, thank-yous, voter role)** · thank-you messages: on"
    assert any(line.startswith(vote) for line in lines)


async def test_channel_without_send_permission_is_refused_naming_it(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await link_server(pool)
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(LOCKED)))
    assert "missing the Send Messages permission" in text
    setting = await ServerService(pool, features()).setting(server.id, "reminders")
    assert setting is not None and not setting.enabled


async def test_role_above_the_bot_is_refused(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await link_server(pool)
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="top_voter_role", role=str(ROLE_HIGH)))
    assert "above my highest role" in text


async def test_setup_server_validates_and_links(runner: BotRunner, pool: asyncpg.Pool) -> None:
    bad = reply_text(await runner.command(ADMIN, "setup server", name="Creative", vote_url="ftp://nope"))
    assert "http:// or https://" in bad
    assert await pool.fetchval("SELECT count(*) FROM servers") == 0
    good = reply_text(
        await runner.command(ADMIN, "setup server", name="Creative", vote_url="https://example.com/v", game="minecraft")
    )
    assert "Linked **Creative**" in good and "vb_" in good
    listing = reply_text(await runner.command(ADMIN, "setup list"))
    assert "Creative" in listing and "default" in listing
    refused = reply_text(await runner.command(MEMBER, "setup server", name="X", vote_url="https://example.com"))
    assert "Manage Server permission" in refused
    assert await pool.fetchval("SELECT count(*) FROM servers") == 1


async def test_429_on_interaction_callback_is_retried(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await link_server(pool)
    fake.add_fault(
        {"method": "POST", "path_regex": r"/interactions/\d+/[^/]+/callback", "status": 429, "retry_after": 0.3}
    )
    responses = await runner.command(MEMBER, "vote")
    assert responses[0]["data"]["embeds"][0]["title"] == "Vote for Survival"
    callbacks = [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/callback")]
    assert [r["status"] for r in callbacks][-2:] == [429, 200] or [r["status"] for r in callbacks][-2:] == [429, 204]


async def test_429_on_message_send_is_retried(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await link_server(pool)
    fake.add_fault(
        {"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 429, "retry_after": 0.3}
    )
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert "Turned on" in text
    sends = [
        r["status"]
        for r in fake.requests
        if r["method"] == "POST" and r["path"].endswith(f"/channels/{GENERAL}/messages")
    ]
    assert sends == [429, 200]
    assert "will be posted in this channel" in fake.messages(GENERAL)[-1]["content"]


async def test_403_on_channel_gives_clear_message_and_bot_keeps_working(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await link_server(pool)
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 403})
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert "Discord refused my message" in text and "nothing was changed" in text
    setting = await ServerService(pool, features()).setting(server.id, "reminders")
    assert setting is not None and not setting.enabled
    assert "Vote for Survival" in reply_text(await runner.command(MEMBER, "vote"))  # still alive


async def test_gateway_disconnect_resumes_and_keeps_answering(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await link_server(pool)
    assert await fake.disconnect_gateway(4000) == 1
    await fake.wait_resumed(timeout=15)
    assert "Vote for Survival" in reply_text(await runner.command(MEMBER, "vote"))


async def test_owner_sync_command_in_dm(runner: BotRunner, fake: FakeDiscord) -> None:
    owner = fake.owner_id  # the application's owner (no owner_ids configured)
    channel_id = int(fake.state.dm_channel_for(owner)["id"])
    start = len(fake.requests)
    fake.post_user_message(channel_id, owner, "!sync")
    synced = await fake.wait_for_request("PUT", r"/applications/\d+/commands$", start=start, timeout=10)
    assert {c["name"] for c in synced["json"]} >= {"vote", "setup", "feature"}
    reply = await fake.wait_for_request("POST", rf"/channels/{channel_id}/messages$", start=start, timeout=10)
    assert reply["json"]["content"].startswith("Synced ")
    # anyone else is ignored
    start = len(fake.requests)
    fake.post_user_message(int(fake.state.dm_channel_for(MEMBER)["id"]), MEMBER, "!sync")
    await asyncio.sleep(0.5)
    assert not [r for r in fake.requests[start:] if r["method"] == "PUT"]


async def test_setup_options_and_linked_vote_shows_cooldown(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await link_server(pool)
    text = reply_text(
        await runner.command(ADMIN, "setup options", timezone="Europe/Berlin", vote_cooldown_hours=2.0, category="pvp")
    )
    assert "time zone Europe/Berlin" in text and "vote cooldown 2 h" in text
    assert "not a time zone" in reply_text(await runner.command(ADMIN, "setup options", timezone="Nowhere/City"))
    # a zone typed in lower case is the same zone, stored as the zone database spells it
    text = reply_text(await runner.command(ADMIN, "setup options", timezone="europe/berlin"))
    assert "time zone Europe/Berlin" in text
    assert await pool.fetchval("SELECT timezone FROM servers WHERE id = $1", server.id) == "Europe/Berlin"
    text = reply_text(await runner.command(ADMIN, "setup options", timezone="Europe/Berln"))
    assert text == "“Europe/Berln” is not a time zone. Did you mean Europe/Berlin?"
    text = reply_text(await runner.command(ADMIN, "setup options", address="a" * 250))
    assert text == f"“{'a' * 39}…” is not a valid host name or IP address."  # not the whole typo echoed back
    text = reply_text(await runner.command(ADMIN, "setup options", vote_cooldown_hours=200.0))
    assert (
        text
        == "The vote cooldown must be 1 to 168 hours (one week), not 200. Use the same cooldown as your listing site."
    )
    # a Top-Server vote carries only the in-game name; once linked it counts for /vote's cooldown
    voted_at = runner.clock.now - dt.timedelta(minutes=30)
    await VoteLedger(pool).record(
        Vote(server_id=server.id, provider="topserver", external_id="ts1", voted_at=voted_at, player_name="Steve")
    )
    await pool.execute(
        "INSERT INTO player_links (server_id, discord_user_id, player_name) VALUES ($1, $2, 'steve')", server.id, MEMBER
    )
    text = reply_text(await runner.command(MEMBER, "vote"))
    assert f"<t:{int((voted_at + dt.timedelta(hours=2)).timestamp())}:R>" in text


async def test_a_command_published_before_an_update_gets_a_clear_answer(
    runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord still shows commands synced by an older version until `votebot sync` runs again."""
    text = reply_text(await runner.command(MEMBER, "remind me"))
    assert text == "This command was just updated. Please try again in a minute."  # no operator tool named to members
    assert "incident" not in caplog.text and "does not have (any more)" in caplog.text and "votebot sync" in caplog.text


async def test_a_command_used_too_often_asks_politely_to_wait(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await link_server(pool)
    for _ in range(3):  # /vote allows three uses in ten seconds
        assert "Vote for Survival" in str(await runner.command(MEMBER, "vote"))
    text = reply_text(await runner.command(MEMBER, "vote"))
    assert re.fullmatch(r"Please wait (a second|([2-9]|10) seconds) before trying again\.", text), text


async def test_a_channel_of_the_wrong_kind_gets_a_reply_naming_the_option(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord's picker offers only text channels, but a client past that filter may send a voice channel."""
    server = await link_server(pool)
    voice = 555000000000000777
    fake.add_channel({"guild_id": str(GUILD_ID), "id": str(voice), "name": "Lounge", "type": 2})
    responses = await runner.command(ADMIN, "feature enable", feature="giveaways", channel=str(voice))
    text = reply_text(responses)
    assert text.startswith("The channel option needs a text channel") and "Please choose another channel." in text
    assert responses[0]["data"]["flags"] & EPHEMERAL
    assert "incident" not in text and "incident" not in caplog.text
    giveaways = await ServerService(pool, features()).setting(server.id, "giveaways")
    assert giveaways is None or not giveaways.enabled


async def test_crafted_unknown_feature_is_a_clear_refusal(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await link_server(pool)
    # Discord enforces the choices, a crafted interaction does not: the bot must not rely on it
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="fireworks", channel=str(GENERAL)))
    assert "Unknown feature 'fireworks'" in text
    text = reply_text(await runner.command(ADMIN, "feature disable", feature="fireworks"))
    assert "Unknown feature 'fireworks'" in text


async def test_replies_say_what_is_now_in_force(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    """A new owner reads back what they set: the role a feature uses, every leaderboard setting, the channel note."""
    from tests.e2e.harness import ROLE_VOTER

    server = await link_server(pool)
    enabled = reply_text(
        await runner.command(ADMIN, "feature enable", feature="vote", channel=str(GENERAL), role=str(ROLE_VOTER))
    )
    assert f"in <#{GENERAL}> with the role <@&{ROLE_VOTER}>." in enabled
    notice = fake.messages(GENERAL)[-1]["content"]
    assert notice == f"✅ **{server.name}**'s thank-yous for votes will be posted in this channel."
    saved = reply_text(await runner.command(ADMIN, "leaderboards settings", board_refresh=5, post_time="21:30"))
    assert saved == (
        f"Leaderboard settings of **{server.name}** saved: the live top-10 board refreshes every 5 minutes, the daily "
        "post goes out at 21:30 (UTC), and on a tie the top-voter role goes to everyone tied for the most votes. "
        "The monthly recap of the month before is posted on the 1st at 21:30."
    )
    board = reply_text(await runner.command(ADMIN, "feature enable", feature="status_board", channel=str(GENERAL)))
    assert board.endswith(
        f"**{server.name}** has no address yet, so there is nothing to show until you set one with "
        "/setup options address:host:port."
    )
    top = reply_text(await runner.command(ADMIN, "feature enable", feature="top_voter_role", role=str(ROLE_VOTER)))
    assert top.endswith("I give it to last month's top voter and take it from the previous holders.")
    shown = reply_text(await runner.command(ADMIN, "leaderboards settings"))
    assert shown.startswith(f"Leaderboard settings of **{server.name}** (nothing changed: give an option to change it)")


async def test_setup_options_sets_the_language_and_auto_follows_the_discord_server_again(
    runner: BotRunner, pool: asyncpg.Pool
) -> None:
    server = await link_server(pool)
    text = reply_text(await runner.command(ADMIN, "setup options", language="de"))
    assert await pool.fetchval("SELECT language FROM servers WHERE id = $1", server.id) == "de"
    assert text.endswith(", language Deutsch."), text  # the admin's reply stays in the admin's language
    text = reply_text(await runner.command(ADMIN, "setup options", language="auto"))
    assert await pool.fetchval("SELECT language FROM servers WHERE id = $1", server.id) is None
    assert text.endswith(", language English (follows the Discord server's language)."), text
