"""Wakes the delivery of pushed events when the bot is ready (overdue events go out after a restart)."""

from __future__ import annotations

from discord.ext import commands

from cogs.events.service import EventDelivery


class EventsCog(commands.Cog, name="Events"):
    def __init__(self, service: EventDelivery) -> None:
        self.service = service

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.service.job.wake()
