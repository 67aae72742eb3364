"""Status pictures through the real bot and fakediscord: /status attaches one per server, referenced by its embed;
a never-checked server's picture is all unknown; the board shows it with its picture setting, uploaded again only
when it changed (at most once an hour), and not at all without the setting. Clock injected, real game-server
queries against local stand-ins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.charts import render
from bot.core.servers import ServerService
from bot.core.time import zone
from cogs.status.pictures import HEIGHT, WIDTH, status_picture
from cogs.status.repository import HourStats, StatusRepository
from cogs.status.service import StatusService
from tests.cogs.status.responders import MinecraftResponder
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.e2e.test_status import driven_cog, probe
from tests.fakediscord import FakeDiscord

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def minecraft() -> Any:
    responder = await MinecraftResponder().start()
    yield responder
    await responder.stop()


async def add_server(pool: asyncpg.Pool, name: str, port: int, *, board: bool = False) -> int:
    service = ServerService(pool, features())
    server = (
        await service.add(guild_id=GUILD_ID, name=name, vote_url="https://vote.example/s/1", game="minecraft",
                          address=f"127.0.0.1:{port}")
    ).server  # fmt: skip
    if board:
        await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    return server.id


async def download(fake: FakeDiscord, attachment: dict[str, Any]) -> bytes:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/_fake/attachments/{attachment['id']}") as response,
    ):
        assert response.status == 200
        return await response.read()


def the_board(fake: FakeDiscord) -> dict[str, Any]:
    [board] = [m for m in fake.messages(GENERAL) if m["embeds"]]
    return board


async def test_status_attaches_a_picture_per_server_referenced_by_its_embed(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    runner.clock.set(T0 + dt.timedelta(minutes=20))
    watched = await add_server(pool, "Survival", minecraft.port, board=True)
    never = await add_server(pool, "Creative", minecraft.port)  # never checked: no history at all
    repo = StatusRepository(pool)
    for back in range(1, 30):  # a day and more of history: up, with an outage three hours ago
        down = 900.0 if back == 3 else 0.0
        await repo.add_hour(watched, HourStats(T0 - back * HOUR, 3600 - down, down, 60, back % 5))
    cog = await driven_cog(runner, runner.clock)
    await probe(cog, watched, runner.clock, 60)

    responses = await runner.command(MEMBER, "status")
    final = responses[-1]
    message = fake.message(int(final["message_id"]))
    assert message is not None and message["flags"] & 64  # ephemeral
    attachments = {a["filename"]: a for a in message["attachments"]}
    assert sorted(attachments) == sorted([f"status-{watched}.png", f"status-{never}.png"])
    embeds = {e["title"]: e for e in message["embeds"]}
    pictures = {}
    for name, server_id in (("Survival", watched), ("Creative", never)):
        attachment = attachments[f"status-{server_id}.png"]
        assert embeds[name]["image"]["url"] == attachment["url"]  # attachment://status-<id>.png, resolved
        assert (attachment["width"], attachment["height"]) == (WIDTH, HEIGHT) == (800, 600)
        pictures[name] = await download(fake, attachment)
        assert pictures[name].startswith(PNG)
    assert attachments[f"status-{never}.png"]["description"] == (
        "Players over the last 24 hours and uptime over the last 7 days"
    )
    # the never-checked server's picture: nothing known, every hour unknown (not down, not an error)
    tz = zone("UTC")
    assert pictures["Creative"] == render(status_picture([], T0, tz, "UTC"))
    assert pictures["Survival"] != pictures["Creative"]
    history = await repo.hours(watched, T0 - 8 * 24 * HOUR, T0)
    assert pictures["Survival"] == render(status_picture(history, T0, tz, "UTC"))

    renderer = runner.running.charts
    drawn = renderer.misses
    text = reply_text(await runner.command(ADMIN, "status", locale="fr"))  # another language: other pictures
    assert "En ligne" in text and renderer.misses == drawn + 2

    # asked again within the hour: the same picture, neither queried (its history is gone meanwhile) nor drawn again
    await pool.execute("DELETE FROM status_hourly WHERE server_id = $1", watched)
    runner.clock.advance(30 * 60)
    again = await runner.command(MEMBER, "status", server="Survival")
    message = fake.message(int(again[-1]["message_id"]))
    assert message is not None
    [attachment] = message["attachments"]
    assert await download(fake, attachment) == pictures["Survival"] and renderer.misses == drawn + 2


async def test_a_board_with_the_picture_is_uploaded_again_only_when_it_changed(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    clock = runner.clock
    clock.set(T0)
    server_id = await add_server(pool, "Survival", minecraft.port, board=True)
    cog: StatusService = await driven_cog(runner, clock)

    # switched on the way admins do it, with /status-admin board
    text = reply_text(await runner.command(ADMIN, "status-admin board", picture=True))
    assert text == (
        "The status board of **Survival** now shows a picture of its players over the last 24 hours and its uptime "
        "over the last 7 days, redrawn at most once an hour."
    )
    assert "Manage Server" in reply_text(await runner.command(MEMBER, "status-admin board", picture=False))
    listing = reply_text(await runner.command(ADMIN, "feature list"))
    assert "status picture: on" in listing
    board = the_board(fake)  # drawn at once, before the first check
    [first] = board["attachments"]
    assert first["filename"] == f"status-{server_id}.png" and board["embeds"][0]["image"]["url"] == first["url"]

    fake.clear_requests()
    descriptions = set()
    for players in (2, 2, 5, 7, 7, 3):  # the embed text changes (players), the picture does not within the hour
        minecraft.status["players"]["online"] = players
        await probe(cog, server_id, clock, 9 * 60)
        board = the_board(fake)
        descriptions.add(board["embeds"][0]["fields"][0]["value"])
        assert [a["id"] for a in board["attachments"]] == [first["id"]]
        assert board["embeds"][0]["image"]["url"] == first["url"]
    edits = [r for r in fake.requests if r["method"] == "PATCH" and r["path"].startswith(f"/channels/{GENERAL}/")]
    assert len(edits) >= 4 and len(descriptions) == 4  # the board was edited …
    assert not any(r.get("files") for r in edits)  # … without uploading its picture again
    assert all(
        [a["id"] for a in r["json"]["attachments"]] == [first["id"]] for r in edits if "attachments" in r["json"]
    )

    clock.set(T0 + HOUR + dt.timedelta(minutes=1))  # the hour is over, with checks in it: a new picture
    await probe(cog, server_id, clock, 60)
    board = the_board(fake)
    [second] = board["attachments"]
    assert second["id"] != first["id"] and board["embeds"][0]["image"]["url"] == second["url"]
    assert (second["width"], second["height"]) == (800, 600)
    assert await download(fake, second) != await download(fake, first)
    await probe(cog, server_id, clock, 60)
    assert [a["id"] for a in the_board(fake)["attachments"]] == [second["id"]]

    text = reply_text(await runner.command(ADMIN, "status-admin board", picture=False))
    assert text == "The status board of **Survival** no longer shows a picture."
    board = the_board(fake)
    assert board["attachments"] == [] and "image" not in board["embeds"][0]


async def test_a_board_without_the_setting_has_no_picture(
    runner: BotRunner, fake: FakeDiscord, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    runner.clock.set(T0)
    server_id = await add_server(pool, "Survival", minecraft.port, board=True)
    cog = await driven_cog(runner, runner.clock)
    for _ in range(3):
        await probe(cog, server_id, runner.clock, 60)
    runner.clock.set(T0 + HOUR + dt.timedelta(minutes=1))
    await probe(cog, server_id, runner.clock, 60)
    board = the_board(fake)
    assert board["attachments"] == [] and "image" not in board["embeds"][0]
    assert runner.running.charts.misses == 0  # nothing drawn for it
    text = reply_text(await runner.command(ADMIN, "status-admin board", server="Survival"))
    assert text == "The status board of **Survival** shows no picture. Add one with picture:True."

    await add_server(pool, "Creative", minecraft.port)  # its board is off: the setting is kept, and it says so
    text = reply_text(await runner.command(ADMIN, "status-admin board", server="Creative", picture=True))
    assert text.endswith("The board itself is off: switch it on with /feature enable status_board.")
    assert len([m for m in fake.messages(GENERAL) if m["embeds"]]) == 1  # nothing posted for it
    assert "shows the picture" in reply_text(await runner.command(ADMIN, "status-admin board", server="Creative"))
