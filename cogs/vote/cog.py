"""/vote: the vote link for the guild's game server, with the member's own cooldown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.votes.voting import next_vote_at
from cogs.setup.views import escape, vote_embed, vote_view

if TYPE_CHECKING:
    from bot.app.client import VoteBot


class VoteCog(commands.Cog):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="vote", description="Vote for our game server")
    @app_commands.describe(server="Which game server (default: this Discord server's main one)")
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    @app_commands.checks.cooldown(3, 10.0, key=lambda i: (i.guild_id, i.user.id))
    async def vote(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if not await self.bot.servers.is_active(found, "vote"):
            raise UserError(f"Voting for **{escape(found.name)}** is switched off here.")
        last = await self.bot.votes.last_for_member(found.id, interaction.user.id)
        now = discord.utils.utcnow()
        remind = await self.bot.servers.is_active(found, "reminders")
        await safe_reply(
            interaction,
            embed=vote_embed(found, last, next_vote_at(found, last), now),
            view=vote_view(found, remind=remind),
        )


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(VoteCog(bot))
