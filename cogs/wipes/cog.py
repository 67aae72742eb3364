"""/wipe: the wipe / event calendar, and its announcements 24 h before and at the start (once each)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import NO_MENTIONS, guild_id_of, guild_of, safe_reply
from bot.core.jobs import DueJob, owns_guild
from cogs.giveaways.views import wipe_announcement, wipe_list_embed
from cogs.setup.views import escape
from cogs.wipes.repository import Wipe
from cogs.wipes.service import DueAnnouncement, WipeService, occurrences_around

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

admin_only = app_commands.checks.has_permissions(manage_guild=True)

REPEAT_CHOICES = [
    app_commands.Choice(name="Once", value="none"),
    app_commands.Choice(name="Every week", value="weekly"),
    app_commands.Choice(name="Every two weeks", value="biweekly"),
    app_commands.Choice(name="Every month", value="monthly"),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class WipeCog(commands.GroupCog, group_name="wipe", group_description="Plan wipes and events"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.service = WipeService(bot.pool)
        self.job = DueJob(bot, "wipes", self.announce_due)
        super().__init__()

    async def cog_load(self) -> None:
        self.job.start()

    async def cog_unload(self) -> None:
        self.job.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.job.wake_at(None)

    # ------------------------------------------------------------------ due work
    async def announce_due(self, now: dt.datetime) -> dt.datetime | None:
        """Post every announcement due at ``now`` exactly once (keyed rows); returns the next wake-up time."""
        announcements, wake = await self.service.due(now)
        for due in announcements:
            if owns_guild(self.bot, due.guild_id):
                await self._announce(due, now)
        return wake

    async def _announce(self, due: DueAnnouncement, now: dt.datetime) -> None:
        server = await self.bot.servers.servers.get(due.wipe.server_id)
        if server is None or not await self.bot.servers.is_active(server, "wipes"):
            return
        setting = await self.bot.servers.features.get(server.id, "wipes")
        if setting is None or setting.channel_id is None:
            return
        if not await self.service.repo.claim(due.wipe.id, due.occurrence, due.kind):
            return  # already posted (or being posted by another process)
        head, embed = wipe_announcement(due.wipe, due.occurrence, due.kind, server.name)
        mentions = NO_MENTIONS
        if setting.role_id:
            head = f"<@&{setting.role_id}> {head}"
            mentions = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(setting.role_id)])
        channel = self.bot.get_partial_messageable(setting.channel_id, guild_id=server.guild_id)
        try:
            message = await channel.send(head, embed=embed, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.warning("wipe %s: %s announcement failed (%s); retried later", due.wipe.id, due.kind, exc.status)
            await self.service.repo.release(due.wipe.id, due.occurrence, due.kind)
            return
        await self.service.repo.posted(due.wipe.id, due.occurrence, due.kind, message.id, now)
        if due.kind == "start" and due.wipe.discord_event:
            following = occurrences_around(due.wipe, server.timezone, due.occurrence)[1]
            if following is not None:
                await self._create_event(due.wipe, server.guild_id, server.name, following)

    async def _create_event(self, wipe: Wipe, guild_id: int, server_name: str, start: dt.datetime) -> str | None:
        """Create the Discord scheduled event of an occurrence; returns an error text for the admin, or None."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return "the guild is not available"
        try:
            event = await guild.create_scheduled_event(
                name=wipe.title[:100],
                start_time=start,
                end_time=start + wipe.duration,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=server_name[:100],
                description=wipe.description[:1000] or discord.utils.MISSING,
            )
        except discord.HTTPException as exc:
            log.warning("wipe %s: could not create the scheduled event (%s %s)", wipe.id, exc.status, exc.text)
            return exc.text or "Missing Permissions"
        await self.service.repo.set_scheduled_event(wipe.id, event.id)
        return None

    # ------------------------------------------------------------------ commands
    @app_commands.command(name="add", description="Plan a wipe or event (time in the server's time zone)")
    @app_commands.describe(
        title="What happens, e.g. 'Monthly wipe'",
        when="Date and time as YYYY-MM-DD HH:MM in the server's time zone",
        description="Details shown in the announcements",
        repeat="Repeat it",
        duration="How long the server is down, e.g. 1h or 30m (default 1h)",
        discord_event="Also create a Discord scheduled event",
        server="Game server (default: this Discord server's default one)",
    )
    @app_commands.choices(repeat=REPEAT_CHOICES)
    @app_commands.autocomplete(server=server_names)
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
        now = discord.utils.utcnow()
        wipe = await self.service.add(
            found,
            title=title,
            when=when,
            description=description,
            repeat=repeat,
            duration=duration,
            discord_event=discord_event,
            created_by=interaction.user.id,
            now=now,
        )
        message = (
            f"Planned `#{wipe.id}` **{escape(wipe.title)}** for {discord.utils.format_dt(wipe.starts_at)} "
            f"({found.timezone})."
        )
        if discord_event:
            error = await self._create_event(wipe, guild.id, found.name, wipe.starts_at)
            if error:
                message += f"\nDiscord refused the scheduled event ({escape(error)}): I need Manage Events."
        if not await self.bot.servers.is_active(found, "wipes"):
            message += "\nNote: wipe announcements are off; switch them on with /feature enable wipes."
        self.job.wake_at(None)
        await safe_reply(interaction, message)

    @app_commands.command(name="list", description="Show planned wipes")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def list_wipes(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        rows = await self.service.upcoming(found, discord.utils.utcnow())
        await safe_reply(interaction, embed=wipe_list_embed(found.name, rows, found.timezone))

    @app_commands.command(name="remove", description="Remove a planned wipe (and its repeats)")
    @app_commands.describe(wipe="The wipe number (see /wipe list)")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def remove(self, interaction: discord.Interaction, wipe: int, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        planned = await self.service.get_for_server(found, wipe)
        if not await self.service.repo.cancel(planned.id, discord.utils.utcnow()):
            raise UserError(f"Wipe #{wipe} was already removed.")
        if planned.scheduled_event_id:
            try:
                await self.bot.http.delete_scheduled_event(found.guild_id, planned.scheduled_event_id)
            except discord.HTTPException as exc:
                log.info("wipe %s: could not delete its scheduled event (%s)", planned.id, exc.status)
        await safe_reply(interaction, f"Removed wipe `#{planned.id}` **{escape(planned.title)}**.")


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(WipeCog(bot))
