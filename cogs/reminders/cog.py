"""/remind off · quiet: members' own reminder settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import guild_id_of, safe_reply
from cogs.reminders.service import ReminderService

if TYPE_CHECKING:
    from bot.app.client import VoteBot


@app_commands.guild_only()
class RemindersCog(commands.GroupCog, name="Reminders", group_name="remind", group_description="Vote reminders"):
    def __init__(self, bot: VoteBot, service: ReminderService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="off", description="Stop your vote reminders")
    @server_option
    async def off(self, interaction: discord.Interaction, server: str | None = None) -> None:
        await safe_reply(interaction, await self.service.off(guild_id_of(interaction), server, interaction.user.id))

    @app_commands.command(name="quiet", description="No reminders between these local times (server time zone)")
    @app_commands.describe(start="e.g. 22:00", end="e.g. 08:00; leave both empty to clear")
    @server_option
    async def quiet(
        self,
        interaction: discord.Interaction,
        start: str | None = None,
        end: str | None = None,
        server: str | None = None,
    ) -> None:
        text = await self.service.quiet(guild_id_of(interaction), server, interaction.user.id, start, end)
        await safe_reply(interaction, text)
