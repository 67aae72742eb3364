"""/review: rate the game server and write a review (one per member, editable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of
from cogs.reviews.service import ReviewForms, ReviewService
from cogs.reviews.views import ReviewModal

if TYPE_CHECKING:
    from bot.app.client import VoteBot


class ReviewsCog(commands.Cog, name="Reviews"):
    def __init__(self, bot: VoteBot, service: ReviewService) -> None:
        self.bot = bot
        self.service = service
        self.forms = ReviewForms(bot.clock)

    @app_commands.command(name="review", description="Rate our game server and write a review (you can edit it)")
    @server_option
    @app_commands.guild_only()
    async def review(self, interaction: discord.Interaction, server: str | None = None) -> None:
        guild_id, user_id = guild_id_of(interaction), interaction.user.id
        retry_after = self.forms.take(guild_id, user_id)
        if retry_after is not None:  # answered by the shared error handler, like every cooldown
            cooldown = app_commands.Cooldown(self.forms.rate, self.forms.per.total_seconds())
            raise app_commands.CommandOnCooldown(cooldown, retry_after)
        try:
            found, existing = await self.service.open_for(guild_id, server, user_id)
        except UserError:
            self.forms.give_back(guild_id, user_id)  # no form was opened
            raise

        def refused(rating: str, text: str) -> None:
            self.forms.refused(guild_id, found.id, user_id, rating, text)

        draft = self.forms.draft(found.id, user_id)
        await interaction.response.send_modal(
            ReviewModal(self.service, found, existing, draft=draft, on_refused=refused)
        )
