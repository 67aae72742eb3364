"""/wipe add · list · move · remove: the wipe / event calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, guild_of, safe_reply
from bot.core.text import escape
from cogs.wipes.service import WipeService
from cogs.wipes.views import moved_text, planned_text, removed_text, wipe_list_embed

if TYPE_CHECKING:
    from bot.app.client import VoteBot

REPEAT_CHOICES = [
    app_commands.Choice(name="Once", value="none"),
    app_commands.Choice(name="Every week", value="weekly"),
    app_commands.Choice(name="Every two weeks", value="biweekly"),
    app_commands.Choice(name="Every month", value="monthly"),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class WipesCog(commands.GroupCog, name="Wipes", group_name="wipe", group_description="Plan wipes and events"):
    def __init__(self, bot: VoteBot, service: WipeService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_unload(self) -> None:
        self.service.job.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.service.job.wake()

    @app_commands.command(name="add", description="Plan a wipe or event (time in the server's time zone)")
    @app_commands.describe(
        title="What happens, e.g. 'Monthly wipe'",
        when="Date and time as YYYY-MM-DD HH:MM in the server's time zone",
        description="Details shown in the announcements",
        repeat="Repeat it",
        duration="How long the server is down, e.g. 1h or 30m (default 1h)",
        discord_event="Also create a Discord scheduled event",
    )
    @app_commands.choices(repeat=REPEAT_CHOICES)
    @server_option
    @admin_only
    async def add(
        self,
        interaction: discord.Interaction,
        title: str,
        when: str,
        description: str | None = None,
        repeat: str = "none",
        duration: str | None = None,
        discord_event: bool = False,
        server: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.servers.resolve(guild.id, server)
        wipe, notes = await self.service.add(
            found,
            title=title,
            when=when,
            description=description,
            repeat=repeat,
            duration=duration,
            discord_event=discord_event,
            created_by=interaction.user.id,
        )
        lines = [planned_text(wipe, found.timezone), *(escape(note) for note in notes)]
        await safe_reply(interaction, "\n".join(lines))

    @app_commands.command(name="list", description="Show planned wipes")
    @server_option
    @admin_only
    async def list_wipes(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        rows = await self.service.upcoming(found)
        await safe_reply(interaction, embed=wipe_list_embed(found.name, rows, found.timezone))

    @app_commands.command(name="move", description="Give a planned wipe a new start (a repeating one: from then on)")
    @app_commands.describe(
        wipe="The wipe number (see /wipe list)",
        when="New date and time as YYYY-MM-DD HH:MM in the server's time zone",
    )
    @server_option
    @admin_only
    async def move(self, interaction: discord.Interaction, wipe: int, when: str, server: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # the scheduled event may be edited too
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        moved = await self.service.move(found, wipe, when)
        await safe_reply(interaction, moved_text(moved, found.timezone, await self.service.channel_of(found)))

    @app_commands.command(name="remove", description="Remove a planned wipe (and its repeats)")
    @app_commands.describe(wipe="The wipe number (see /wipe list)")
    @server_option
    @admin_only
    async def remove(self, interaction: discord.Interaction, wipe: int, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        planned = await self.service.remove(found, wipe)
        await safe_reply(interaction, removed_text(planned, await self.service.channel_of(found)))
