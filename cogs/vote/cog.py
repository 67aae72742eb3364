"""/vote: the vote link for the guild's game server, with the member's own cooldown (ephemeral, pings nobody)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import guild_id_of, safe_reply
from cogs.vote.service import VoteService
from cogs.vote.views import vote_embed, vote_view

if TYPE_CHECKING:
    from bot.app.client import VoteBot


class VoteCog(commands.Cog, name="Vote"):
    def __init__(self, bot: VoteBot, service: VoteService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="vote", description="Vote for our game server")
    @server_option
    @app_commands.guild_only()
    @app_commands.checks.cooldown(3, 10.0, key=lambda i: (i.guild_id, i.user.id))
    async def vote(self, interaction: discord.Interaction, server: str | None = None) -> None:
        card = await self.service.card(guild_id_of(interaction), interaction.user.id, server)
        await safe_reply(
            interaction,
            embed=vote_embed(card.server, card.last_vote, card.next_vote_at, card.now),
            view=vote_view(card.server, remind=card.remind),
        )
