"""The audit log end to end: what owners change with slash commands, buttons and forms is logged as theirs (the
interaction's user), and the bot's own work (boards, a giveaway ending on time) is not logged at all."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import asyncpg
import discord

from bot.app.extensions import features
from bot.core.boards import BoardContent
from bot.core.servers import ServerService
from bot.db.audit import AuditEntry, AuditRepository
from bot.db.credentials import CredentialRepository, fingerprint
from bot.db.records import Server
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text, submit_form
from tests.e2e.test_server_removal import buttons, press
from tests.fakediscord import FakeDiscord


async def linked(pool: asyncpg.Pool) -> Server:
    service = ServerService(pool, features())  # set up by the test, acting as no one: not logged
    return (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/v")).server


async def log_of(pool: asyncpg.Pool, server: Server) -> list[AuditEntry]:
    return await AuditRepository(pool).list_for_server(server.id)


async def test_feature_enable_is_logged_as_the_admin(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await linked(pool)
    refused = await runner.command(MEMBER, "feature enable", feature="reminders", channel=str(GENERAL))
    assert "Manage Server permission" in reply_text(refused)
    assert await log_of(pool, server) == []  # refused: nothing changed, nothing logged

    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert "Turned on **Vote reminders**" in text
    [entry] = await log_of(pool, server)
    assert (entry.source, entry.user_id, entry.action) == ("discord", ADMIN, "feature.on")
    assert entry.details == {"feature": "reminders", "channel_id": [None, GENERAL]}
    assert (entry.actor, entry.guild_id) == (f"user{ADMIN}", GUILD_ID)  # the name in the payload (the fake's)

    await runner.command(ADMIN, "feature disable", feature="reminders")
    assert [e.action for e in await log_of(pool, server)] == ["feature.off", "feature.on"]


async def test_setup_options_logs_the_old_and_new_value(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await linked(pool)
    text = reply_text(await runner.command(ADMIN, "setup options", timezone="Europe/Paris"))
    assert text.startswith("Saved.")
    [entry] = await log_of(pool, server)
    assert (entry.source, entry.user_id, entry.action) == ("discord", ADMIN, "server.options")
    assert entry.details == {"changes": {"timezone": ["UTC", "Europe/Paris"]}}
    await runner.command(ADMIN, "setup options", timezone="Europe/Paris")  # the same again: nothing changed
    assert len(await log_of(pool, server)) == 1


async def test_a_stored_secret_is_logged_by_fingerprint_only(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked(pool)
    secret = "ts-push-secret-0123456789abcdef"
    modal = (await runner.command(ADMIN, "setup provider", provider="topserver"))[0]
    answer = await submit_form(fake, modal, {"secret": secret})
    assert "saved" in answer
    await runner.command(ADMIN, "setup provider", provider="votifier", generate=True)
    token = await CredentialRepository(pool).get(server.id, "votifier")
    assert token is not None

    votifier, topserver = await log_of(pool, server)
    for entry, provider, value in ((topserver, "topserver", secret), (votifier, "votifier", token.secret)):
        assert (entry.source, entry.user_id, entry.action) == ("discord", ADMIN, "provider.secret")
        assert entry.details["provider"] == provider and entry.details["fingerprint"] == fingerprint(value)
        row = await pool.fetchval("SELECT a::text FROM audit_log a WHERE id = $1", entry.id)
        assert value not in row and value[:12] not in row  # the secret, nor a part of it, is never stored


async def test_a_giveaway_started_by_command_is_logged_and_its_end_on_time_is_not(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked(pool)
    await ServerService(pool, features()).switch_feature(server, "giveaways", enabled=True, channel_id=GENERAL)
    await runner.command(ADMIN, "giveaway start", prize="Kit", duration="1h")
    [entry] = await log_of(pool, server)
    assert (entry.source, entry.user_id, entry.action) == ("discord", ADMIN, "giveaway.create")
    assert entry.details["prize"] == "Kit" and entry.details["channel_id"] == GENERAL

    # the bot ends it on time (its scheduler was woken inside the admin's command): the bot's own work
    await pool.execute("UPDATE giveaways SET ends_at = $1", runner.clock() + dt.timedelta(seconds=1))
    service: Any = runner.service("Giveaways")
    service.job.wake()
    await asyncio.sleep(0.1)
    runner.clock.advance(seconds=2)

    deadline = asyncio.get_running_loop().time() + 10
    while await pool.fetchval("SELECT status FROM giveaways") != "ended":
        assert asyncio.get_running_loop().time() < deadline, "the giveaway did not end on time"
        await asyncio.sleep(0.05)
    assert [e.action for e in await log_of(pool, server)] == ["giveaway.create"]


async def test_a_board_refresh_is_not_logged(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await linked(pool)
    await runner.command(ADMIN, "feature enable", feature="status_board", channel=str(GENERAL))
    found = await ServerService(pool, features()).get(server.id)
    embed = discord.Embed(title="Board", description="one", timestamp=runner.clock())
    await runner.running.boards.refresh(found, "status_board", BoardContent([embed]))
    assert [e.action for e in await log_of(pool, server)] == ["feature.on"]


async def test_wipes_planned_and_removed_by_command_are_logged(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await linked(pool)
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    await runner.command(ADMIN, "wipe add", title="Monthly wipe", when=start.strftime("%Y-%m-%d %H:%M"))
    wipe_id = await pool.fetchval("SELECT id FROM wipes")
    await runner.command(ADMIN, "wipe remove", wipe=wipe_id)
    removed, planned = await log_of(pool, server)
    assert (planned.action, planned.user_id, planned.details["title"]) == ("wipe.create", ADMIN, "Monthly wipe")
    assert dt.datetime.fromisoformat(planned.details["starts_at"]) == start.replace(tzinfo=dt.UTC)
    assert (removed.action, removed.details) == ("wipe.cancel", {"wipe_id": wipe_id, "title": "Monthly wipe"})


async def test_a_server_removed_with_the_confirm_button_is_logged_as_who_pressed_it(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked(pool)
    asked = await runner.command(ADMIN, "setup remove", server=str(server.id))
    await press(fake, MEMBER, asked[0]["message_id"], buttons(asked[0])["Remove"])  # refused: not theirs
    assert await log_of(pool, server) == []
    await press(fake, ADMIN, asked[0]["message_id"], buttons(asked[0])["Remove"], count=2)
    [entry] = await log_of(pool, server)  # the server is gone, its log stays
    assert (entry.source, entry.user_id, entry.action, entry.details) == (
        "discord",
        ADMIN,
        "server.remove",
        {"name": "Survival"},
    )
