"""Giveaways with an Enter button, requirements and bonus entries; winners pushed by a listing site."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.giveaways.cog import GiveawaysCog
    from cogs.giveaways.dashboard import add_section
    from cogs.giveaways.service import GiveawayService
    from cogs.giveaways.views import GiveawayEnterButton

    service = GiveawayService(
        bot.pool,
        bot.servers,
        bot.votes,
        bot.messenger,
        bot.notices,
        bot.scheduler,
        bot.clock,
        bot.ownership,
        ready=bot.is_ready,
    )
    await bot.add_cog(GiveawaysCog(bot, service))
    bot.add_dynamic_items(GiveawayEnterButton)
    add_section(bot, service)
    bot.event_handlers.register("giveaway.winner", service.announce_pushed)
    if bot.runs_services:
        service.job.start()


async def teardown(bot: VoteBot) -> None:  # the cogs are gone by now: each stops its own work in cog_unload
    from cogs.giveaways.views import GiveawayEnterButton

    bot.remove_dynamic_items(GiveawayEnterButton)
    bot.event_handlers.unregister("giveaway.winner")
    bot.dashboard.remove("giveaways")
