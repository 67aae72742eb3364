"""The bot's REST requests go through its budget: a member is answered while board edits queue."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.core.request_budget import Priority, RequestBudget, install, prioritized
from tests.e2e.engagement_helpers import wait_until
from tests.e2e.harness import ADMIN, GENERAL, BotRunner, reply_text
from tests.e2e.test_guild_setup import link_server
from tests.fakediscord import FakeDiscord


async def test_a_member_is_answered_while_board_edits_wait(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await link_server(pool)
    bot = runner.running
    slow = RequestBudget(per_second=4, burst=1)  # a budget this tight makes the queue visible
    install(bot.http, slow)
    with prioritized(Priority.BOARD):
        boards = [asyncio.create_task(bot.messenger.post(GENERAL, f"board {n}")) for n in range(12)]
    await wait_until(lambda: slow.waiting[Priority.BOARD] >= 8)

    text = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))
    assert "Turned on" in text  # the reply is outside the budget: it never queued
    await wait_until(lambda: any("vote reminders" in m["content"] for m in fake.messages(GENERAL)))
    assert slow.waiting[Priority.BOARD] >= 4, "the command's channel notice waited for the board edits"
    assert slow.stats[Priority.INTERACTION].granted >= 1  # the notice went at the interaction's priority
    await asyncio.gather(*boards)
    assert sum(1 for m in fake.messages(GENERAL) if m["content"].startswith("board ")) == 12
    await slow.close()
