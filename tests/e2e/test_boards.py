"""The board keeper against fakediscord: post once, edit only on change, heal deletions, report lost access once."""

from __future__ import annotations

import datetime as dt

import asyncpg
import discord

from bot.app.extensions import features
from bot.core.boards import BoardContent, BoardOutcome
from bot.core.servers import ServerService
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, LOCKED, BotRunner
from tests.fakediscord import FakeDiscord


def content(text: str, at: dt.datetime | None = None) -> BoardContent:
    embed = discord.Embed(title="Board", description=text, timestamp=at or discord.utils.utcnow())
    return BoardContent([embed])


def board_requests(fake: FakeDiscord) -> list[tuple[str, int]]:
    return [
        (r["method"], r["status"])
        for r in fake.requests
        if r["path"].startswith(f"/channels/{GENERAL}/messages") and r["method"] in {"POST", "PATCH"}
    ]


async def test_board_lifecycle(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Alpha", vote_url="https://e.com")).server
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    keeper = runner.running.boards  # the bot's own keeper: a 15-minute refresh floor, the bot's clock

    assert await keeper.refresh(server, "status_board", content("one")) is BoardOutcome.INACTIVE
    await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    fake.clear_requests()

    assert await keeper.refresh(server, "status_board", content("one")) is BoardOutcome.POSTED
    posted = fake.messages(GENERAL)[-1]
    assert posted["embeds"][0]["description"] == "one"
    # same content (only the timestamp moved): no request at all
    runner.clock.advance(minutes=1)
    assert await keeper.refresh(server, "status_board", content("one")) is BoardOutcome.UNCHANGED
    assert board_requests(fake) == [("POST", 200)]
    # changed content: one edit of the same message
    assert await keeper.refresh(server, "status_board", content("two")) is BoardOutcome.EDITED
    assert fake.message(int(posted["id"]))["embeds"][0]["description"] == "two"
    # unchanged but older than the floor: refreshed so "last updated" stays honest
    runner.clock.advance(minutes=16)
    assert await keeper.refresh(server, "status_board", content("two")) is BoardOutcome.EDITED

    # deleted by someone: posted again and the new id stored
    fake.delete_message(GENERAL, int(posted["id"]))
    assert await keeper.refresh(server, "status_board", content("three")) is BoardOutcome.POSTED
    setting = await service.setting(server.id, "status_board")
    assert setting is not None and setting.message_id != int(posted["id"])
    assert [m["embeds"][0]["description"] for m in fake.messages(GENERAL) if m["embeds"]] == ["three"]

    # permission lost: configuration kept, owner told once, retried later, less and less often
    fake.add_fault({"method": "PATCH", "path_regex": rf"/channels/{GENERAL}/messages/\d+", "status": 403, "count": 2})
    assert await keeper.refresh(server, "status_board", content("four")) is BoardOutcome.FAILING
    refused = len(board_requests(fake))
    assert await keeper.refresh(server, "status_board", content("five")) is BoardOutcome.FAILING
    assert len(board_requests(fake)) == refused  # backing off: Discord was not asked again at once
    runner.clock.advance(minutes=1)
    assert await keeper.refresh(server, "status_board", content("five")) is BoardOutcome.FAILING  # tried: refused
    assert len(board_requests(fake)) == refused + 1
    dms = [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/users/@me/channels"]
    assert len(dms) == 1 and dms[0]["json"]["recipient_id"] in {ADMIN, str(ADMIN)}
    setting = await service.setting(server.id, "status_board")
    assert setting is not None and setting.enabled and setting.channel_id == GENERAL
    # access back: the next try (two minutes later) works and clears the failure
    runner.clock.advance(minutes=2)
    assert await keeper.refresh(server, "status_board", content("six")) is BoardOutcome.EDITED
    setting = await service.setting(server.id, "status_board")
    assert setting is not None and "failing_since" not in setting.settings["board"]


async def test_a_board_whose_channel_refuses_the_bot_costs_few_invalid_requests(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Alpha", vote_url="https://e.com")).server
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    keeper = runner.running.boards
    await service.switch_feature(server, "status_board", enabled=True, channel_id=LOCKED)  # the bot may not post
    fake.clear_requests()
    for minute in range(3 * 60):  # refreshed every minute for three hours, as a status board is
        assert await keeper.refresh(server, "status_board", content(f"players {minute}")) is BoardOutcome.FAILING
        runner.clock.advance(minutes=1)
    refused = [r for r in fake.requests if r["path"].startswith(f"/channels/{LOCKED}/") and r["status"] == 403]
    assert 5 <= len(refused) <= 10, len(refused)  # 1, 2, 4 … minutes apart, then hourly: far below 20 an hour
    in_first_hour = 7  # at 0, 1, 3, 7, 15, 31 and 63 minutes
    assert len(refused) <= in_first_hour + 2

    await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)  # moved: tried at once
    assert await keeper.refresh(server, "status_board", content("moved")) is BoardOutcome.POSTED
