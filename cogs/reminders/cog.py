"""Vote reminders: personal ones ("Remind me" button, DM with channel fallback, quiet hours, /remind off) and
the channel ping when the server's vote cooldown slot starts. Reminders are database rows swept by one job."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.core.scheduling import cancel, every
from bot.core.time import parse_hhmm, quiet_until, slot_of, zone
from bot.db.engagement import EngagementRepository
from bot.votes.events import VoteEvent
from cogs.leaderboards.views import RemindButton
from cogs.reminders.repository import DueReminder, ReminderStore, active_features
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 20.0  # seconds between sweeps of due reminders
LEASE = dt.timedelta(minutes=5)  # a claimed reminder not finished by then is retried
MAX_ATTEMPTS = 5  # a reminder whose fallback channel keeps failing is dropped after this many tries
SLOT_GRACE = dt.timedelta(hours=1)  # a channel reminder more than this late (bot was down) is skipped


@app_commands.guild_only()
class RemindersCog(commands.GroupCog, name="Reminders", group_name="remind", group_description="Vote reminders"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.store = ReminderStore(bot.pool)
        self.repo = EngagementRepository(bot.pool)
        self.clock: Callable[[], dt.datetime] = discord.utils.utcnow
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RemindButton)
        every(self.bot.scheduler, "reminders:sweep", self.sweep, SWEEP_INTERVAL)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RemindButton)
        cancel(self.bot.scheduler, "reminders:sweep")

    # --------------------------------------------------------------- members
    async def remind_me(self, interaction: discord.Interaction, server_id: int) -> None:
        """The "Remind me" button: subscribe and schedule from the member's last vote."""
        server = await self.bot.servers.servers.get(server_id)
        if server is None or server.guild_id != interaction.guild_id:
            await safe_reply(interaction, "This button belongs to a server that is no longer linked here.")
            return
        if not await self.bot.servers.is_active(server, "reminders"):
            await safe_reply(interaction, f"Vote reminders are switched off for **{escape(server.name)}**.")
            return
        user_id = interaction.user.id
        await self.store.subscribe(server.id, user_id, interaction.channel_id)
        next_at = await self.repo.next_vote_at(server.id, user_id, server.vote_cooldown)
        if next_at is not None and next_at > self.clock():
            await self.store.schedule(server.id, user_id, next_at)
            text = f"⏰ I'll remind you {discord.utils.format_dt(next_at, 'R')} when you can vote again."
        else:
            text = "⏰ You can vote right now! After your next vote I'll remind you when the cooldown ends."
        await safe_reply(interaction, text + " Turn it off with /remind off.")

    @app_commands.command(name="off", description="Stop your vote reminders")
    @app_commands.autocomplete(server=server_names)
    async def off(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        removed = await self.store.unsubscribe(found.id, interaction.user.id)
        await safe_reply(interaction, "Reminders are off." if removed else "You had no reminders here.")

    @app_commands.command(name="quiet", description="No reminders between these local times (server time zone)")
    @app_commands.describe(start="e.g. 22:00", end="e.g. 08:00; leave both empty to clear")
    @app_commands.autocomplete(server=server_names)
    async def quiet(
        self,
        interaction: discord.Interaction,
        start: str | None = None,
        end: str | None = None,
        server: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if (start is None) != (end is None):
            raise UserError("Give both a start and an end time, or neither to clear quiet hours.")
        quiet_start: int | None = None
        quiet_end: int | None = None
        if start is not None and end is not None:
            try:
                begin, finish = parse_hhmm(start), parse_hhmm(end)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            quiet_start, quiet_end = begin.hour * 60 + begin.minute, finish.hour * 60 + finish.minute
        if not await self.store.set_quiet(found.id, interaction.user.id, quiet_start, quiet_end):
            raise UserError("Press “Remind me” under /vote first, then set quiet hours.")
        text = f"Quiet hours {start}–{end} ({found.timezone})." if start else "Quiet hours cleared."
        await safe_reply(interaction, text)

    @commands.Cog.listener()
    async def on_vote(self, event: VoteEvent) -> None:
        if event.discord_user_id is None or event.next_vote_at is None:
            return
        try:  # idempotent: setting the same due time twice changes nothing
            await self.store.schedule(event.server.id, event.discord_user_id, event.next_vote_at)
        except Exception:
            log.exception("vote %s: scheduling the reminder failed", event.ledger_id)

    # ----------------------------------------------------------------- sweep
    async def sweep(self) -> int:
        """Deliver due personal reminders and channel pings; returns how many personal ones were sent."""
        sent = 0
        try:
            due = await self.store.claim_due(self.clock(), LEASE)
        except Exception:
            log.exception("reminders: could not claim due reminders; retrying next sweep")
            due = []
        for reminder in due:
            try:
                sent += await self._deliver(reminder)
            except Exception:
                log.exception(
                    "reminder for member %s (server %s) failed; retrying after %s",
                    reminder.discord_user_id,
                    reminder.server.id,
                    reminder.due_at,
                )
        try:
            await self.channel_pings()
        except Exception:
            log.exception("reminders: channel pings failed; retrying next sweep")
        return sent

    async def _deliver(self, reminder: DueReminder) -> int:
        server, now = reminder.server, self.clock()
        setting = await self.bot.servers.features.get(server.id, "reminders")
        if not server.enabled or setting is None or not setting.enabled:
            await self.store.finish(reminder)  # paused features send nothing; the next vote schedules again
            return 0
        quiet_end = quiet_until(now, zone(server.timezone), reminder.quiet_start, reminder.quiet_end)
        if quiet_end is not None:
            await self.store.postpone(reminder, quiet_end)
            return 0
        text = f"⏰ You can vote for **{escape(server.name)}** again: {server.vote_url}"
        user_id = reminder.discord_user_id
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.NotFound:
            log.info("reminder: user %s no longer exists; dropping it", user_id)
        except discord.Forbidden:  # DMs closed: mention them where they asked instead
            channel_id = reminder.channel_id or setting.channel_id
            if channel_id is None:
                log.info("reminder: DMs of %s closed and no channel to fall back to", user_id)
            else:
                try:
                    await self._post(
                        channel_id, f"<@{user_id}> {text}", discord.AllowedMentions(users=[discord.Object(user_id)])
                    )
                except (discord.HTTPException, UserError) as exc:
                    if reminder.attempts < MAX_ATTEMPTS:
                        raise  # retried after the lease
                    log.warning(
                        "reminder: DMs of %s closed, channel %s failed (%s); giving up", user_id, channel_id, exc
                    )
        await self.store.finish(reminder)
        return 1

    async def _post(self, channel_id: int, text: str, mentions: discord.AllowedMentions) -> None:
        mentions.everyone, mentions.replied_user = False, False
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise UserError(f"channel {channel_id} is not a text channel")
        await channel.send(text, allowed_mentions=mentions)

    async def channel_pings(self) -> None:
        """The channel reminder: once per cooldown slot counted from local midnight (no daily drift)."""
        now = self.clock()
        for server, setting in await active_features(self.bot.pool, "reminders"):
            if setting.channel_id is None or not setting.settings.get("channel_ping", True):
                continue
            slot = slot_of(now, zone(server.timezone), server.vote_cooldown)
            if now - slot.start > SLOT_GRACE or not await self.repo.claim_run(server.id, "channel_ping", slot.key):
                continue
            role = f"<@&{setting.role_id}> " if setting.role_id else ""
            mentions = discord.AllowedMentions(roles=[discord.Object(setting.role_id)] if setting.role_id else False)
            try:
                await self._post(
                    setting.channel_id,
                    f"{role}🗳️ You can vote for **{escape(server.name)}** again: {server.vote_url}",
                    mentions,
                )
            except (discord.HTTPException, UserError) as exc:
                log.warning("channel reminder of server %s in %s failed: %s", server.id, setting.channel_id, exc)
                await self.repo.release_run(server.id, "channel_ping", slot.key)


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(RemindersCog(bot))
