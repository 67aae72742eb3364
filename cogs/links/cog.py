"""/link (a one-time code to type in game), /unlink and /points for members; /links set|remove for admins
(link, reassign or unlink anyone directly, no proof asked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from bot.web.providers.common import MAX_PLAYER_NAME
from cogs.links.service import LinkService

if TYPE_CHECKING:
    from bot.app.client import VoteBot


class LinksCog(commands.Cog, name="Links"):
    links = app_commands.Group(
        name="links",
        description="Manage members' linked player names",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: VoteBot, service: LinkService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="link", description="Link your in-game name so your votes count for you")
    @app_commands.describe(
        player="Your in-game name (optional: the game server tells me when you type the code)",
        ping="Mention me in thank-you messages (default off)",
    )
    @server_option
    @app_commands.guild_only()
    async def link(
        self,
        interaction: discord.Interaction,
        player: app_commands.Range[str, 1, MAX_PLAYER_NAME] | None = None,
        ping: bool = False,
        server: str | None = None,
    ) -> None:
        # not linked at once: the member proves the name in game with a one-time code (ephemeral reply)
        text = await self.service.request_link(guild_id_of(interaction), server, interaction.user.id, player, ping=ping)
        await safe_reply(interaction, text)

    @app_commands.command(name="unlink", description="Remove your linked in-game name")
    @server_option
    @app_commands.guild_only()
    async def unlink(self, interaction: discord.Interaction, server: str | None = None) -> None:
        text = await self.service.unlink(guild_id_of(interaction), server, interaction.user.id, by_admin=False)
        await safe_reply(interaction, text)

    @app_commands.command(name="points", description="Your vote points (all time and this month)")
    @server_option
    @app_commands.guild_only()
    async def points(self, interaction: discord.Interaction, server: str | None = None) -> None:
        await safe_reply(interaction, await self.service.points(guild_id_of(interaction), server, interaction.user.id))

    @links.command(name="set", description="Link (or reassign) a player name to a member")
    @app_commands.describe(member="The member whose votes this name should count for", player="The in-game name")
    @server_option
    @admin_only
    async def links_set(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        player: app_commands.Range[str, 1, MAX_PLAYER_NAME],
        server: str | None = None,
    ) -> None:
        text = await self.service.link(guild_id_of(interaction), server, member.id, player, ping=False, reassign=True)
        await safe_reply(interaction, text)

    @links.command(name="remove", description="Unlink a member's player name")
    @app_commands.describe(member="The member to unlink")
    @server_option
    @admin_only
    async def links_remove(
        self, interaction: discord.Interaction, member: discord.User, server: str | None = None
    ) -> None:
        text = await self.service.unlink(guild_id_of(interaction), server, member.id, by_admin=True)
        await safe_reply(interaction, text)
