"""The features' channels are checked when the bot starts: one the bot can't post in is told to the owner once."""

from __future__ import annotations

import asyncio

import asyncpg
import discord

from bot.app.config import Config
from bot.app.extensions import features
from bot.core.servers import ServerService
from tests.clock import MovableClock
from tests.e2e.engagement_helpers import make_server, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, LOCKED, BotRunner
from tests.fakediscord import FakeDiscord


async def test_a_channel_stored_without_a_check_is_reported_at_start(
    fake: FakeDiscord, config: Config, pool: asyncpg.Pool, clock: MovableClock
) -> None:
    # what `votebot feature set` stores when it could not ask Discord (no token yet): nothing checked
    server = await make_server(pool, "Survival")
    service = ServerService(pool, features())
    await service.switch_feature(server, "reminders", enabled=True, channel_id=LOCKED)
    await service.switch_feature(server, "daily_leaderboard", enabled=True, channel_id=999)
    await service.switch_feature(server, "reviews", enabled=True, channel_id=GENERAL)
    owner_dms = int(fake.state.dm_channel_for(ADMIN)["id"])

    runner = BotRunner(fake, config, pool, clock)
    await runner.start()
    try:
        await wait_until(lambda: len(texts(fake, owner_dms)) >= 2, timeout=10)
        await asyncio.sleep(0.3)  # nothing more comes
        told = texts(fake, owner_dms)
        assert sorted(told) == sorted(
            [
                f"**Test Guild**: **Vote reminders** for **Survival** is set to post in <#{LOCKED}>, but I am missing "
                "the Send Messages permission there. Grant it to my role in the channel's settings, or pick another "
                "channel with /feature enable.",
                "**Test Guild**: **Daily leaderboard post** for **Survival** is set to post in channel 999, which no "
                "longer exists or which I can't see. Give my role the View Channel permission there, or pick another "
                "channel with /feature enable.",
            ]
        ), told

        await runner.restart()  # told once, not at every start
        await asyncio.sleep(1.0)
        assert len(texts(fake, owner_dms)) == 2

        fake.update_channel(LOCKED, {"permission_overwrites": []})  # the owner fixes it ...
        await runner.restart()
        await asyncio.sleep(1.0)
        assert len(texts(fake, owner_dms)) == 2
        bot_id = str(fake.bot_user_id)
        deny = [{"id": bot_id, "type": 1, "allow": "0", "deny": str(discord.Permissions(send_messages=True).value)}]
        fake.update_channel(LOCKED, {"permission_overwrites": deny})  # ... and it breaks again: told again
        await runner.restart()
        await wait_until(lambda: len(texts(fake, owner_dms)) == 3, timeout=10)
        assert "**Vote reminders** for **Survival**" in texts(fake, owner_dms)[-1]
    finally:
        await runner.stop()
        discord.http.Route.BASE = "https://discord.com/api/v10"
