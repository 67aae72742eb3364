"""/milestones settings: monthly thresholds and an optional every-N-votes total."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from cogs.milestones.service import MilestoneService
from cogs.milestones.spec import EVERY, THRESHOLDS

if TYPE_CHECKING:
    from bot.app.client import VoteBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class MilestonesCog(commands.GroupCog, name="Milestones", group_name="milestones", group_description="Milestones"):
    def __init__(self, bot: VoteBot, service: MilestoneService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="settings", description="Monthly thresholds and an optional every-N-votes total")
    @app_commands.describe(thresholds=THRESHOLDS.description, every=EVERY.description)
    @server_option
    @admin_only
    async def settings(
        self,
        interaction: discord.Interaction,
        thresholds: str | None = None,
        every: app_commands.Range[int, 0, EVERY.maximum] | None = None,
        server: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await safe_reply(interaction, await self.service.configure(found, thresholds=thresholds, every=every))
