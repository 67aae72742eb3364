"""/stats server · me for members (ephemeral); /stats-admin post for admins (public, in the server's language)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from bot.core.messaging import Unreachable
from cogs.stats.service import StatsService
from cogs.stats.views import member_embed, no_votes_text, posted_text, server_embed, unreachable_text

if TYPE_CHECKING:
    from bot.app.client import VoteBot


def _member_key(interaction: discord.Interaction) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


@app_commands.guild_only()
class StatsCog(commands.GroupCog, name="Stats", group_name="stats", group_description="Vote statistics"):
    def __init__(self, bot: VoteBot, service: StatsService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="server", description="Votes per day, this month's total, rank and change")
    @server_option
    @app_commands.checks.cooldown(2, 10.0, key=_member_key)
    async def server_stats(self, interaction: discord.Interaction, server: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # the picture may take a second
        stats = await self.service.server_stats(guild_id_of(interaction), server)
        picture = await self.service.server_picture(stats)
        await safe_reply(interaction, embed=server_embed(stats, picture), pictures=[picture])

    @app_commands.command(name="me", description="Your votes this month and your place among the voters")
    @server_option
    @app_commands.checks.cooldown(2, 10.0, key=_member_key)
    async def me(self, interaction: discord.Interaction, server: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.service.member_stats(guild_id_of(interaction), server, interaction.user.id)
        if stats.points <= 0:
            await safe_reply(interaction, no_votes_text(stats))
            return
        picture = await self.service.member_picture(stats)
        await safe_reply(interaction, embed=member_embed(stats, picture), pictures=[picture])


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class StatsAdminCog(
    commands.GroupCog, name="StatsAdmin", group_name="stats-admin", group_description="Post vote statistics"
):
    def __init__(self, bot: VoteBot, service: StatsService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="post", description="Post the server's vote statistics for everyone in a channel")
    @app_commands.describe(channel="Where to post (default: this channel)")
    @server_option
    @admin_only
    async def post(
        self, interaction: discord.Interaction, server: str | None = None, channel: discord.TextChannel | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel_id = channel.id if channel is not None else interaction.channel_id
        if channel_id is None:
            raise app_commands.NoPrivateMessage
        where = f"<#{channel_id}>"
        try:
            found, message_id = await self.service.post(guild_id, server, channel_id)
        except Unreachable as exc:  # the admin's answer, in their language
            await safe_reply(interaction, unreachable_text(where, exc.shown))
            return
        link = f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
        await safe_reply(interaction, posted_text(found.name, where, link))
