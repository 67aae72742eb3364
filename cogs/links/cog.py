"""/link, /unlink and /points for members; /links set|remove for admins (reassign or unlink anyone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.core.text import clean_player_name, safe_name
from bot.core.time import month_of, zone
from bot.db.engagement import EngagementRepository, NameTaken
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot
    from bot.db.records import Server


def valid_name(player: str) -> str:
    name = clean_player_name(player)
    if not name:
        raise UserError("That player name is empty once invisible characters are removed.")
    if len(player) > 200:
        raise UserError("Player names are at most 200 characters.")
    return name


class LinkCog(commands.Cog):
    links = app_commands.Group(
        name="links",
        description="Manage members' linked player names",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.repo = EngagementRepository(bot.pool)

    async def _link(self, server: Server, user_id: int, player: str, *, ping: bool, reassign: bool) -> str:
        name = valid_name(player)
        try:
            await self.repo.link(server.id, user_id, name, ping=ping, reassign=reassign)
        except NameTaken:
            raise UserError(
                f"**{safe_name(name)}** is already linked to another member on {escape(server.name)}. "
                "Ask an admin to reassign it with /links set."
            ) from None
        points = await self.repo.points(server.id, user_id)
        return (
            f"<@{user_id}> is now linked to **{safe_name(name)}** on {escape(server.name)} "
            f"({points} vote point{'s' if points != 1 else ''} so far)."
        )

    @app_commands.command(name="link", description="Link your in-game name so your votes count for you")
    @app_commands.describe(
        player="Your in-game name, exactly as you vote with it",
        ping="Mention me in thank-you messages (default off)",
        server="Game server (default: this Discord server's main one)",
    )
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    async def link(
        self, interaction: discord.Interaction, player: str, ping: bool = False, server: str | None = None
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await safe_reply(interaction, await self._link(found, interaction.user.id, player, ping=ping, reassign=False))

    @app_commands.command(name="unlink", description="Remove your linked in-game name")
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    async def unlink(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        removed = await self.repo.unlink(found.id, interaction.user.id)
        await safe_reply(interaction, "Your player name is unlinked." if removed else "You had no linked player name.")

    @app_commands.command(name="points", description="Your vote points (all time and this month)")
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    async def points(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        month = month_of(discord.utils.utcnow(), zone(found.timezone))
        total = await self.repo.points(found.id, interaction.user.id)
        monthly = await self.repo.points(found.id, interaction.user.id, since=month.start)
        await safe_reply(
            interaction, f"You have **{total}** vote points on {escape(found.name)} ({monthly} in {month.key})."
        )

    @links.command(name="set", description="Link (or reassign) a player name to a member")
    @app_commands.autocomplete(server=server_names)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def links_set(
        self, interaction: discord.Interaction, member: discord.User, player: str, server: str | None = None
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await safe_reply(interaction, await self._link(found, member.id, player, ping=False, reassign=True))

    @links.command(name="remove", description="Unlink a member's player name")
    @app_commands.autocomplete(server=server_names)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def links_remove(
        self, interaction: discord.Interaction, member: discord.User, server: str | None = None
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        removed = await self.repo.unlink(found.id, member.id)
        await safe_reply(interaction, f"Unlinked <@{member.id}>." if removed else f"<@{member.id}> had no link.")


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(LinkCog(bot))
