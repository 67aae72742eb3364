"""Wakes the delivery of pushed events when the bot is ready (overdue events go out after a restart)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from cogs.events.service import EventDelivery

if TYPE_CHECKING:
    from bot.web.app import WebhookManager


class EventsCog(commands.Cog, name="Events"):
    def __init__(self, service: EventDelivery, webhooks: WebhookManager | None) -> None:
        self.service = service
        self._webhooks = webhooks

    async def cog_unload(self) -> None:
        self.service.job.stop()
        if self._webhooks is not None:
            self._webhooks.forget_event_listener(self.service.stored)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.service.job.wake()
