"""Rewards of each vote: thank-you message, temporary voter role, points (see ``service.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

EXPIRY_INTERVAL = 30.0  # seconds between sweeps of expired voter roles
THANKS_INTERVAL = 15.0  # seconds between sweeps of thank-you posts and voter roles a restart or a failure left waiting


async def setup(bot: VoteBot) -> None:
    from cogs.rewards.cog import RewardsCog
    from cogs.rewards.service import RewardsService

    service = RewardsService(bot.pool, bot.servers, bot.messenger, bot.notices, bot.clock, bot.people, bot.ownership)
    await bot.add_cog(RewardsCog(bot, service))
    bot.add_vote_consumer(service)
    if bot.runs_services:
        bot.scheduler.every("rewards:expire", EXPIRY_INTERVAL, service.expire_roles)
        bot.scheduler.every("rewards:thanks", THANKS_INTERVAL, service.thanks.sweep)
        bot.scheduler.every("rewards:roles", THANKS_INTERVAL, service.roles.sweep)


async def teardown(bot: VoteBot) -> None:
    from cogs.rewards.cog import RewardsCog
    from cogs.rewards.service import RewardsService

    bot.remove_vote_consumer(RewardsService.name)
    bot.scheduler.cancel("rewards:expire", "rewards:thanks", "rewards:roles")
    cog = bot.get_cog(RewardsCog.__cog_name__)
    if isinstance(cog, RewardsCog):  # thank-you turns waiting in this process stop (the outbox keeps the votes)
        await cog.service.thanks.close()
        await cog.service.roles.close()
