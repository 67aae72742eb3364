"""Delivery of events pushed by listing sites to the features that handle them (see ``service.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.events.cog import EventsCog
    from cogs.events.service import EventDelivery

    delivery = EventDelivery(
        bot.pool, bot.servers, bot.event_handlers, bot.scheduler, bot.clock, bot.ownership, ready=bot.is_ready
    )
    await bot.add_cog(EventsCog(delivery, bot.webhooks))
    if bot.webhooks is not None:
        bot.webhooks.on_event_stored(delivery.stored)
    if bot.runs_services:
        delivery.job.start()
