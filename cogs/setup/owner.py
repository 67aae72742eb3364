"""Owner-only maintenance commands, sent as a message (e.g. ``!sync`` in a DM to the bot)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.core.interactions import NO_MENTIONS

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)


class AdminCog(commands.Cog):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot

    @commands.command(name="sync")
    @commands.is_owner()
    async def sync(self, ctx: commands.Context[VoteBot], guild_id: int | None = None) -> None:
        """Publish slash commands: globally, or to one guild at once (``!sync <guild id>``)."""
        if guild_id is None:
            synced = await self.bot.tree.sync()
            where = "globally (Discord may take a few minutes to show them)"
        else:
            guild = discord.Object(id=guild_id)
            self.bot.tree.copy_global_to(guild=guild)
            synced = await self.bot.tree.sync(guild=guild)
            where = f"to guild {guild_id}"
        log.info("synced %d commands %s on request of %s", len(synced), where, ctx.author.id)
        await ctx.send(f"Synced {len(synced)} commands {where}.", allowed_mentions=NO_MENTIONS)

    @sync.error
    async def sync_error(self, ctx: commands.Context[VoteBot], error: commands.CommandError) -> None:
        if isinstance(error, commands.NotOwner):
            return  # stay silent to strangers
        if isinstance(error, commands.BadArgument):
            await ctx.send("Usage: `!sync` or `!sync <guild id>`.", allowed_mentions=NO_MENTIONS)
            return
        log.error("sync failed", exc_info=error)
        await ctx.send("Sync failed; see the bot's log.", allowed_mentions=NO_MENTIONS)


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(AdminCog(bot))
