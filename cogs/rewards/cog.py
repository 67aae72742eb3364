"""/rewards setup: the thank-you channel, the temporary voter role and their options."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.guild_checks import usable_channel, usable_role
from bot.core.interactions import admin_only, guild_of, member_of, safe_reply
from cogs.rewards.service import RewardsService
from cogs.rewards.spec import ROLE_HOURS, THANK_YOU, VOTE

if TYPE_CHECKING:
    from bot.app.client import VoteBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class RewardsCog(commands.GroupCog, name="Rewards", group_name="rewards", group_description="Rewards for each vote"):
    def __init__(self, bot: VoteBot, service: RewardsService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="setup", description="Thank-you channel, temporary voter role and options")
    @app_commands.describe(
        channel="Where to thank voters",
        role="Role given to voters until they may vote again",
        thank_you=THANK_YOU.description,
        role_hours=ROLE_HOURS.description,
    )
    @server_option
    @admin_only
    async def setup_rewards(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        thank_you: bool | None = None,
        role_hours: app_commands.Range[int, 0, ROLE_HOURS.maximum] | None = None,
        server: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        found = await self.bot.servers.resolve(guild.id, server)
        if channel is not None:
            usable_channel(guild, channel.id)
        if role is not None:
            usable_role(guild, role.id, VOTE, member_of(interaction))
        summary = await self.service.configure(
            found,
            channel_id=channel.id if channel else None,
            role_id=role.id if role else None,
            thank_you=thank_you,
            role_hours=role_hours,
        )
        await safe_reply(interaction, summary)
