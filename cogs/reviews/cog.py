"""/review: rate the game server and write a review (one per member, editable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import guild_id_of
from cogs.reviews.service import ReviewService
from cogs.reviews.views import ReviewModal

if TYPE_CHECKING:
    from bot.app.client import VoteBot


class ReviewsCog(commands.Cog, name="Reviews"):
    def __init__(self, bot: VoteBot, service: ReviewService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="review", description="Rate our game server and write a review (you can edit it)")
    @app_commands.describe(server="Which game server (default: this Discord server's main one)")
    @server_option
    @app_commands.guild_only()
    @app_commands.checks.cooldown(3, 60.0, key=lambda i: (i.guild_id, i.user.id))
    async def review(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found, existing = await self.service.open_for(guild_id_of(interaction), server, interaction.user.id)
        await interaction.response.send_modal(ReviewModal(self.service, found, existing))
