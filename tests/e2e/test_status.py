"""Live status through the real bot and fakediscord: board, alerts, restart, /status. Clock injected, no sleeps."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from cogs.status.query import Prober
from cogs.status.repository import StatusSettings
from cogs.status.service import StatusService
from tests.clock import MovableClock
from tests.cogs.status.responders import A2SResponder, MinecraftResponder
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, LOCKED, MEMBER, ROLE_VOTER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
NAME = "**Bold** @everyone <@&123456789012345678>"


async def driven_cog(runner: BotRunner, clock: MovableClock) -> StatusService:
    """The bot's status service with its loop stopped (the test probes by hand), the clock at T0 and a short
    probe timeout."""
    runner.running.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    service: StatusService = runner.service("Status")
    service.monitor.prober = Prober(timeout=0.2, allow_private=service.monitor.allow_private)
    return service


def posts(fake: FakeDiscord, method: str) -> list[dict[str, Any]]:
    return [
        r for r in fake.requests
        if r["method"] == method and r["path"].startswith(f"/channels/{GENERAL}/messages") and r["status"] < 300
    ]  # fmt: skip


def alerts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [r["json"] for r in posts(fake, "POST") if (r.get("json") or {}).get("content")]


async def probe(cog: StatusService, server_id: int, clock: MovableClock, seconds: float) -> None:
    out = await cog.monitor.probe_server(server_id)
    assert out is not None
    clock.advance(seconds)


@pytest.fixture
async def minecraft() -> Any:
    responder = await MinecraftResponder().start()
    yield responder
    await responder.stop()


async def setup_server(pool: asyncpg.Pool, port: int, game: str = "minecraft") -> int:
    service = ServerService(pool, features())
    server = (
        await service.add(guild_id=GUILD_ID, name=NAME, vote_url="https://vote.example/s/1", game=game,
                          address=f"127.0.0.1:{port}")
    ).server  # fmt: skip
    await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    await service.switch_feature(server, "offline_alerts", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    return server.id


async def test_board_outage_alert_restart_and_recovery(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    server_id = await setup_server(pool, minecraft.port)
    clock = runner.clock
    clock.set(T0)
    cog = await driven_cog(runner, clock)
    await cog.monitor.repository.save_settings(StatusSettings(server_id, failures_to_down=3, confirm_interval_s=15))
    fake.clear_requests()

    for _ in range(3):
        await probe(cog, server_id, clock, 60)
    [board_post] = posts(fake, "POST")
    embed = board_post["json"]["embeds"][0]
    assert (
        embed["title"] == "\\*\\*Bold\\*\\* @\u200beveryone <@\u200b&123456789012345678>"
    )  # escaped: no markdown, no pings
    assert board_post["json"]["allowed_mentions"]["parse"] == []
    assert "Online" in embed["description"] and embed["fields"][0]["value"] == "2/100"
    buttons = board_post["json"]["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["Vote"] and buttons[0]["url"] == "https://vote.example/s/1"
    assert len(posts(fake, "PATCH")) == 1  # "Not measured yet" → "100.0%"; the third probe changed nothing
    fake.clear_requests()
    await probe(cog, server_id, clock, 60)
    assert posts(fake, "PATCH") == [] and posts(fake, "POST") == []  # unchanged status: no edit

    minecraft.mode = "silent"
    went_silent = clock.now
    for _ in range(6):
        await probe(cog, server_id, clock, 15)
    [down] = alerts(fake)
    assert "is offline" in down["content"] and f"<@&{ROLE_VOTER}>" in down["content"]
    assert down["allowed_mentions"]["roles"] == [str(ROLE_VOTER)] or down["allowed_mentions"]["roles"] == [ROLE_VOTER]
    assert down["allowed_mentions"]["parse"] == []
    assert f"<t:{int(went_silent.timestamp())}:R>" in down["content"]
    setting = await ServerService(pool, features()).setting(server_id, "status_board")
    assert setting is not None and setting.message_id is not None
    board = fake.message(setting.message_id)
    assert board is not None and "Offline" in board["embeds"][0]["description"]

    # restart while down: the state is kept, no second offline alert
    await runner.restart()
    cog = await driven_cog(runner, clock)
    clock.advance(2 * 3600)  # the bot was away for two hours
    await probe(cog, server_id, clock, 60)
    assert len(alerts(fake)) == 1

    minecraft.mode = "ok"
    await probe(cog, server_id, clock, 60)
    contents = [a["content"] for a in alerts(fake)]
    assert len(contents) == 2 and "back online after 2 hr 2 min offline" in contents[1]
    assert "is offline" in contents[0]
    # the two hours without the bot are unknown, not down
    board_embed = next(m for m in fake.messages(GENERAL) if m["embeds"])["embeds"][0]
    uptime = next(f["value"] for f in board_embed["fields"] if f["name"] == "Uptime")
    assert "unknown" in uptime
    stats = await cog.monitor.repository.uptime(server_id, clock.now, dt.timedelta(days=7))
    assert stats.down_s < 10 * 60 and stats.unknown_share > 0.5


async def test_board_heals_and_reports_lost_access_once(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool
) -> None:
    a2s = await A2SResponder().start()
    try:
        server_id = await setup_server(pool, a2s.port, game="csgo")
        clock = runner.clock
        clock.set(T0)
        cog = await driven_cog(runner, clock)
        await probe(cog, server_id, clock, 60)
        [first] = [m for m in fake.messages(GENERAL) if m["embeds"]]
        fields = {f["name"]: f["value"] for f in first["embeds"][0]["fields"]}
        assert fields["Map"] == "de\\_dust2" and fields["Players"] == "2/24"  # outside text is escaped

        fake.delete_message(GENERAL, int(first["id"]))
        clock.advance(16 * 60)  # past the keeper's refresh floor: it looks at the message again
        await probe(cog, server_id, clock, 60)
        boards = [m for m in fake.messages(GENERAL) if m["embeds"]]
        assert len(boards) == 1 and boards[0]["id"] != first["id"]

        fake.clear_requests()
        fake.add_fault(
            {"method": "PATCH", "path_regex": rf"/channels/{GENERAL}/messages/\d+", "status": 403, "count": 3}
        )
        for _ in range(3):
            clock.advance(16 * 60)
            await probe(cog, server_id, clock, 60)
        dms = [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/users/@me/channels"]
        assert len(dms) == 1 and str(dms[0]["json"]["recipient_id"]) == str(ADMIN)
        setting = await ServerService(pool, features()).setting(server_id, "status_board")
        assert setting is not None and setting.enabled and setting.channel_id == GENERAL
    finally:
        await a2s.stop()


async def test_status_command_for_members(runner: BotRunner, pool: asyncpg.Pool, minecraft: MinecraftResponder) -> None:
    service = ServerService(pool, features())
    await service.add(guild_id=GUILD_ID, name=NAME, vote_url="https://e.com", game="minecraft",
                      address=f"127.0.0.1:{minecraft.port}")  # fmt: skip
    responses = await runner.command(MEMBER, "status")  # nobody monitors it yet: a live check
    final = responses[-1]["data"]
    assert final["flags"] & 64  # ephemeral
    text = reply_text(responses)
    assert "Online" in text and "2/100" in text and "Steve" in text
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    minecraft.mode = "garbage"
    text = reply_text(await runner.command(MEMBER, "status"))
    assert "bad answer" in text
    # the check has failed: the state line says so rather than "Unknown" above "Last check: bad answer"
    assert "🟠 **The last check failed**" in text and "Unknown" not in text


async def test_status_names_the_servers_it_cannot_check(
    runner: BotRunner, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    service = ServerService(pool, features())
    await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com", game="minecraft",
                      address=f"127.0.0.1:{minecraft.port}")  # fmt: skip
    await service.add(guild_id=GUILD_ID, name="Sky_block", vote_url="https://e.com/s", game="minecraft")
    responses = await runner.command(MEMBER, "status")
    final = responses[-1]["data"]
    assert final["content"] == "Sky\\_block has no address set, so it is not checked."  # not silently left out
    assert [embed["title"] for embed in final["embeds"]] == ["Survival"]
    embed = (await runner.command(MEMBER, "status", server="Sky_block"))[-1]["data"]["embeds"][0]
    assert embed["description"] == (
        "⚪ No address set yet, so nobody checks this server. An admin can add one with /setup options."
    )
    assert "footer" not in embed or "Not checked yet" not in embed["footer"]["text"]  # it never will be
    text = reply_text(await runner.command(ADMIN, "status-admin check", server="Sky_block"))
    assert (
        text == "**Sky\\_block** has no address yet. Set one with /setup options server:Sky\\_block address:host:port."
    )
    text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Sky_block", interval=120))
    assert text.startswith("**Sky\\_block** has no address yet.")


async def test_status_admin_configure_validates_and_saves(
    runner: BotRunner, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    service = ServerService(pool, features())
    bad = (await service.add(guild_id=GUILD_ID, name="Nowhere", vote_url="https://e.com", game="rust",
                             address="no-such-host.invalid:28015")).server  # fmt: skip
    good = (await service.add(guild_id=GUILD_ID, name="Mine", vote_url="https://e.com", game="rust",
                              address=f"127.0.0.1:{minecraft.port}")).server  # fmt: skip
    text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Nowhere", interval=120))
    assert "does not resolve" in text
    assert await pool.fetchval("SELECT count(*) FROM status_settings WHERE server_id = $1", bad.id) == 0
    text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Mine", protocol="gopher"))
    assert text == (
        "I don't know the query protocol “gopher”. Start typing in the protocol option to see the ones I know, "
        "or leave it empty to pick it from the game."
    )  # not the fifty names
    text = reply_text(
        await runner.command(ADMIN, "status-admin configure", server="Mine", connect_url="steam://connect/1.2.3.4")
    )
    assert (
        text
        == "“steam://connect/1.2.3.4” is not a web link. The Connect button link must start with http:// or https://."
    )
    # out of bounds (Discord's client enforces the range, a crafted interaction does not): the same refusal
    text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Mine", interval=5))
    assert text == "The check interval must be 30 to 3,600 seconds, not 5."
    assert await pool.fetchval("SELECT count(*) FROM status_settings") == 0
    text = reply_text(
        await runner.command(
            ADMIN,
            "status-admin configure",
            server="Mine",
            protocol="minecraft",
            failures=2,
            connect_url="https://example.com/join",
        )
    )
    assert text == (
        f"Saved the status settings for **Mine**: checked over `minecraft` at 127.0.0.1:{minecraft.port} every "
        "60 seconds, with an offline alert after 2 failed checks in a row (once a check fails, it is rechecked "
        "every 15 seconds). Test check: answers (2/100 players)."
    )
    settings = await pool.fetchrow("SELECT * FROM status_settings WHERE server_id = $1", good.id)
    assert (settings["protocol"], settings["failures_to_down"], settings["connect_url"]) == (
        "minecraft",
        2,
        "https://example.com/join",
    )
    text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Mine", failures=1))
    assert "with an offline alert after 1 failed check in a row" in text
    text = reply_text(await runner.command(MEMBER, "status-admin check", server="Mine"))
    assert "Manage Server" in text or "not allowed" in text


async def test_wipe_window_silences_alerts_and_board_shows_next_wipe(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    from cogs.wipes.repository import WipeRepository

    server_id = await setup_server(pool, minecraft.port)
    clock = runner.clock
    clock.set(T0)
    cog = await driven_cog(runner, clock)
    started = T0 - dt.timedelta(minutes=10)
    await WipeRepository(pool).create(
        server_id=server_id, title="Weekly wipe", description="", starts_at=started, duration=dt.timedelta(hours=2),
        repeat="weekly",
    )  # fmt: skip
    minecraft.mode = "silent"
    fake.clear_requests()
    for _ in range(6):
        await probe(cog, server_id, clock, 15)
    assert alerts(fake) == []  # down during the wipe: no alert
    board = next(m for m in fake.messages(GENERAL) if m["embeds"])["embeds"][0]
    assert "Offline" in board["description"]
    wipe = next(f["value"] for f in board["fields"] if f["name"] == "Next wipe")
    assert f"<t:{int((started + dt.timedelta(weeks=1)).timestamp())}:F>" in wipe
    clock.advance(3 * 3600)  # the wipe window is over and it is still down: now it is announced
    await probe(cog, server_id, clock, 15)
    [down] = alerts(fake)
    assert "is offline" in down["content"]


async def test_undeliverable_alerts_keep_config_and_tell_the_owner_once(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Mine", vote_url="https://e.com", game="minecraft",
                                address=f"127.0.0.1:{minecraft.port}")).server  # fmt: skip
    await service.switch_feature(server, "offline_alerts", enabled=True, channel_id=LOCKED)  # the bot may not post
    clock = runner.clock
    clock.set(T0)
    cog = await driven_cog(runner, clock)
    await cog.monitor.repository.save_settings(StatusSettings(server.id, failures_to_down=1))
    fake.clear_requests()
    for mode in ("ok", "silent", "ok", "silent"):  # down, up, down: three undeliverable alerts
        minecraft.mode = mode
        await probe(cog, server.id, clock, 60)
    refused = [r for r in fake.requests if r["method"] == "POST" and r["path"] == f"/channels/{LOCKED}/messages"]
    assert len(refused) == 3 and all(r["status"] == 403 for r in refused)
    dms = [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/users/@me/channels"]
    assert len(dms) == 1
    assert await pool.fetchval("SELECT count(*) FROM status_alerts WHERE sent_at IS NULL") == 0  # not retried forever
    setting = await service.setting(server.id, "offline_alerts")
    assert setting is not None and setting.enabled and setting.channel_id == LOCKED


async def test_concurrent_flushes_post_each_alert_once(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    """Every probe's result flushes alerts, and so does the 30 s job: they overlap on a busy bot."""
    server_id = await setup_server(pool, minecraft.port)
    clock = runner.clock
    clock.set(T0)
    cog = await driven_cog(runner, clock)
    await cog.monitor.repository.save_settings(StatusSettings(server_id, failures_to_down=1))
    cog.monitor.on_result = None  # the alert waits in the table until the flushes below
    await probe(cog, server_id, clock, 60)
    minecraft.mode = "silent"
    await probe(cog, server_id, clock, 60)
    assert await pool.fetchval("SELECT count(*) FROM status_alerts WHERE sent_at IS NULL") == 1
    fake.clear_requests()
    await asyncio.gather(cog.flush_alerts(), cog.flush_alerts(), cog.flush_alerts())
    assert len(alerts(fake)) == 1
    assert len([m for m in fake.messages(GENERAL) if "is offline" in (m.get("content") or "")]) == 1


async def test_healthz_answers_while_a_bz2_bomb_is_probed(runner: BotRunner, pool: asyncpg.Pool) -> None:
    """A hostile A2S server's 208-byte answer inflating to 256 MiB: the probe refuses it and the bot's own web
    server keeps answering (the decompression used to block the event loop for over a second)."""
    bomb = await A2SResponder(mode="bomb").start()
    try:
        server_id = await setup_server(pool, bomb.port, game="csgo")
        runner.clock.set(T0)
        cog = await driven_cog(runner, runner.clock)
        probing = asyncio.create_task(cog.monitor.probe_server(server_id))
        slowest = 0.0
        async with aiohttp.ClientSession() as http:
            while not probing.done() or slowest == 0.0:
                started = time.perf_counter()
                async with http.get(f"{runner.web_url}/healthz") as response:
                    assert response.status < 500
                slowest = max(slowest, time.perf_counter() - started)
        outcome = await probing
    finally:
        await bomb.stop()
    assert outcome is not None and bomb.answered >= 1
    assert outcome.result.error == "bad answer: answer larger than 256 KiB once decompressed"
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s"


@pytest.mark.public_only
async def test_the_default_bot_refuses_private_addresses_and_says_how_to_allow_them(
    runner: BotRunner, pool: asyncpg.Pool
) -> None:
    a2s = await A2SResponder().start()
    service = ServerService(pool, features())
    hosts = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]",
             "[2002:7f00:1::]", "[::127.0.0.1]", "localhost"]  # fmt: skip
    try:
        for index, host in enumerate(hosts):
            await service.add(guild_id=GUILD_ID, name=f"Local {index}", vote_url="https://e.com", game="csgo",
                              address=f"{host}:{a2s.port}")  # fmt: skip
            text = reply_text(await runner.command(ADMIN, "status-admin check", server=f"Local {index}"))
            assert "private or local address" in text, (host, text)
            assert "VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES=true" in text, text
            runner.clock.advance(61)  # past the on-demand check limit
        text = reply_text(await runner.command(ADMIN, "status-admin configure", server="Local 0", interval=120))
        assert "private or local address" in text
    finally:
        await a2s.stop()
    assert a2s.challenged == 0 and a2s.answered == 0  # never contacted
    assert await pool.fetchval("SELECT count(*) FROM status_settings") == 0


async def test_on_demand_checks_are_rate_limited_on_the_injected_clock(
    runner: BotRunner, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    await setup_server(pool, minecraft.port)
    runner.clock.set(T0)
    for _ in range(3):
        assert "2/100" in reply_text(await runner.command(ADMIN, "status-admin check"))
    text = reply_text(await runner.command(ADMIN, "status-admin check"))
    assert "Too many on-demand checks" in text and f"<t:{int(T0.timestamp()) + 61}:R>" in text
    text = reply_text(await runner.command(ADMIN, "status-admin configure", interval=120))
    assert "Too many on-demand checks" in text  # configure probes too: the same budget
    requests = minecraft.requests
    runner.clock.advance(60)
    assert "2/100" in reply_text(await runner.command(ADMIN, "status-admin check"))
    assert minecraft.requests == requests + 1


async def test_day_one_board_says_how_long_uptime_has_been_measured(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    minecraft.mode = "silent"  # down since setup
    server_id = await setup_server(pool, minecraft.port)
    clock = runner.clock
    clock.set(T0)
    cog = await driven_cog(runner, clock)
    await cog.monitor.repository.save_settings(StatusSettings(server_id, failures_to_down=1, confirm_interval_s=15))
    for _ in range(41):  # a probe a minute for 40 minutes
        await probe(cog, server_id, clock, 60)

    def uptime() -> str:
        board = next(m for m in fake.messages(GENERAL) if m["embeds"])
        return next(f["value"] for f in board["embeds"][0]["fields"] if f["name"] == "Uptime")

    started = await pool.fetchval("SELECT tracking_since FROM status_state WHERE server_id = $1", server_id)
    assert started == T0
    assert uptime() == f"0.0% since monitoring started <t:{int(T0.timestamp())}:R>"  # not "0.0%" for 7 days
    edits = len(posts(fake, "PATCH"))
    await probe(cog, server_id, clock, 60)  # still down, a minute later: the text is the same, no edit
    assert len(posts(fake, "PATCH")) == edits

    minecraft.mode = "ok"
    clock.set(T0 + dt.timedelta(days=7, minutes=5))  # seven days of monitoring: the whole window
    await probe(cog, server_id, clock, 60)
    assert uptime().startswith("0.0% over the last 7 days")
