"""Vote reminders: the "Remind me" button, personal DMs, quiet hours and the channel ping."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

SWEEP_INTERVAL = 20.0  # seconds between sweeps of due reminders


async def setup(bot: VoteBot) -> None:
    from cogs.reminders.cog import RemindersCog
    from cogs.reminders.service import ReminderService
    from cogs.reminders.views import RemindButton

    service = ReminderService(bot.pool, bot.servers, bot.votes, bot.messenger, bot.clock, bot.ownership)
    await bot.add_cog(RemindersCog(bot, service))
    bot.add_dynamic_items(RemindButton)
    bot.add_vote_consumer(service)
    if bot.runs_services:
        bot.scheduler.every("reminders:sweep", SWEEP_INTERVAL, service.sweep)


async def teardown(bot: VoteBot) -> None:
    from cogs.reminders.service import ReminderService
    from cogs.reminders.views import RemindButton

    bot.remove_vote_consumer(ReminderService.name)
    bot.remove_dynamic_items(RemindButton)
    bot.scheduler.cancel("reminders:sweep")
