"""Milestones and rank-ups, announced in the milestones channel (see ``service.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.milestones.cog import MilestonesCog
    from cogs.milestones.service import MilestoneService

    service = MilestoneService(bot.pool, bot.servers, bot.votes, bot.messenger, bot.notices)
    await bot.add_cog(MilestonesCog(bot, service))
    bot.add_vote_consumer(service)
    bot.event_handlers.register("rank.update", service.push_rank)


async def teardown(bot: VoteBot) -> None:
    from cogs.milestones.service import MilestoneService

    bot.remove_vote_consumer(MilestoneService.name)
    bot.event_handlers.unregister("rank.update")
