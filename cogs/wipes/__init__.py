"""The wipe / event calendar, its announcements, and the maintenance windows the status feature respects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.wipes.cog import WipesCog
    from cogs.wipes.dashboard import add_section
    from cogs.wipes.service import WipeCalendar, WipeService

    service = WipeService(
        bot.pool, bot.servers, bot.messenger, bot.scheduler, bot.clock, bot.ownership, ready=bot.is_ready
    )
    await bot.add_cog(WipesCog(bot, service))
    bot.provide_calendar(WipeCalendar(bot.pool, bot.servers))
    add_section(bot, service)
    bot.event_handlers.register("wipe.scheduled", service.schedule_pushed)
    bot.event_handlers.register("wipe.cancelled", service.cancel_pushed)
    if bot.runs_services:
        service.job.start()


async def teardown(bot: VoteBot) -> None:  # the cogs are gone by now: each stops its own work in cog_unload
    bot.event_handlers.unregister("wipe.scheduled")
    bot.event_handlers.unregister("wipe.cancelled")
    bot.dashboard.remove("wipes")
