"""Live server status: the probe loop, status boards, offline/recovery alerts, /status and /status-admin."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.admin_notice import notify_guild_owner
from bot.core.autocomplete import server_names
from bot.core.boards import BoardContent, BoardKeeper
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of
from bot.core.scheduling import cancel, every
from bot.db.records import Server
from cogs.setup.views import escape
from cogs.status.alerts import MonitorState, State
from cogs.status.monitor import ProbeOutcome, StatusMonitor, run_forever, utcnow
from cogs.status.query import Prober, QueryResult
from cogs.status.repository import PendingAlert, StoredState
from cogs.status.targets import build_target
from cogs.status.views import StatusSnapshot, alert_text, status_embed, status_view
from cogs.wipes.service import in_wipe_window, next_wipe

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

# Global settings until bot/config.py has a [status] section (see the issue note).
UPTIME_WINDOW = dt.timedelta(days=7)
ALERT_MAX_AGE = dt.timedelta(hours=1)  # an alert that could not be sent for this long is dropped, not sent late
ALERT_MAX_ATTEMPTS = 5
COMPACT_EVERY_MIN = 10
FLUSH_EVERY_S = 30
MAX_SHOWN = 10  # embeds per message

admin_only = app_commands.checks.has_permissions(manage_guild=True)


class StatusCog(commands.Cog):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.clock = utcnow
        settings = bot.config.status
        self.monitor = StatusMonitor(
            bot.pool,
            prober=Prober(timeout=settings.probe_timeout, connect_by_name=settings.allow_private_addresses),
            allow_private=settings.allow_private_addresses,
            concurrency=settings.concurrency,
            on_result=self.on_result,
            guild_filter=self._mine,
            maintenance=self.in_maintenance,
        )
        self.keeper = BoardKeeper(bot)
        self._loop: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._told_owner: set[int] = set()  # servers whose owner heard about undeliverable alerts

    async def cog_load(self) -> None:
        if not self.bot.scheduler.running:  # `votebot sync`: commands only
            return
        self._loop = asyncio.create_task(run_forever(self.monitor), name="status-monitor")
        every(self.bot.scheduler, "status:alerts", self.flush_alerts, FLUSH_EVERY_S)
        every(self.bot.scheduler, "status:compact", self.compact, COMPACT_EVERY_MIN * 60)

    async def cog_unload(self) -> None:
        await self.stop_polling()
        await self.monitor.close()

    async def stop_polling(self) -> None:
        """Stop the background loop and jobs (unload; tests drive the monitor by hand)."""
        cancel(self.bot.scheduler, "status:alerts", "status:compact")
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None

    async def in_maintenance(self, server_id: int, now: dt.datetime) -> bool:
        """A wipe under way (wipe calendar) is a maintenance window: offline alerts stay quiet."""
        return await in_wipe_window(self.bot.pool, server_id, now)

    def _mine(self, guild_id: int) -> bool:
        """With sharding, each process watches only the guilds of its own shards."""
        count, ids = self.bot.shard_count, self.bot.shard_ids
        if not count or ids is None:
            return True
        return (guild_id >> 22) % count in ids

    # -- the loop's outputs -------------------------------------------------------------------------------
    async def on_result(self, outcome: ProbeOutcome) -> None:
        if not self.bot.is_ready():
            return  # boards and alerts catch up on the next probe / flush
        if outcome.alert is not None:
            await self.flush_alerts()
        server = await self.bot.servers.servers.get(outcome.server_id)
        if server is not None and await self.bot.servers.is_active(server, "status_board"):
            await self.refresh_board(server)

    async def snapshot(self, server: Server, stored: StoredState | None = None) -> StatusSnapshot:
        repo, now = self.monitor.repository, self.clock()
        stored = stored or await repo.state(server.id)
        uptime = await repo.uptime(server.id, now, UPTIME_WINDOW) if stored is not None else None
        return StatusSnapshot(
            server, await repo.settings(server.id), stored, uptime, await next_wipe(self.bot.pool, server.id, now)
        )

    async def refresh_board(self, server: Server) -> None:
        snap = await self.snapshot(server)
        content = BoardContent([status_embed(snap)], view=status_view(server, snap.settings))
        outcome = await self.keeper.refresh(server, "status_board", content)
        log.debug("status board of server %s: %s", server.id, outcome)

    async def flush_alerts(self) -> None:
        if not self.bot.is_ready():
            return
        async with self._flush_lock:
            sharded = bool(self.bot.shard_count) and self.bot.shard_ids is not None
            mine = self.monitor.monitored_ids() if sharded else None
            for alert in await self.monitor.repository.unsent_alerts(mine):
                await self._deliver(alert)

    async def _deliver(self, alert: PendingAlert) -> None:
        repo, now = self.monitor.repository, self.clock()
        server = await self.bot.servers.servers.get(alert.server_id)
        setting = await self.bot.servers.features.get(alert.server_id, "offline_alerts")
        if server is None or setting is None or not (server.enabled and setting.enabled) or not setting.channel_id:
            await repo.mark_alert(alert.id, sent=True)  # alerts off: nothing to send, nothing to keep
            return
        if now - alert.created_at > ALERT_MAX_AGE or alert.attempts >= ALERT_MAX_ATTEMPTS:
            log.warning("dropping %s alert %s of server %s: too old or failing", alert.kind, alert.id, server.id)
            await repo.mark_alert(alert.id, sent=True)
            return
        role_id = setting.role_id if alert.kind != "flapping" else None
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False
        )
        reason = "the channel is gone or is not a text channel"
        try:
            channel = self.bot.get_channel(setting.channel_id) or await self.bot.fetch_channel(setting.channel_id)
            message = None
            if isinstance(channel, discord.TextChannel | discord.Thread):
                message = await channel.send(alert_text(server, alert, role_id), allowed_mentions=mentions)
        except discord.Forbidden as exc:
            reason, message = f"Discord refused access: {exc.text or exc.status}", None
        except discord.NotFound:
            message = None
        except discord.HTTPException as exc:
            log.warning("offline alert for server %s: Discord error %s; retrying", server.id, exc.status)
            await repo.mark_alert(alert.id, sent=False)
            return
        if message is None:
            await repo.mark_alert(alert.id, sent=True)
            log.warning("offline alert for server %s not delivered: %s", server.id, reason)
            if server.id in self._told_owner:
                return
            self._told_owner.add(server.id)
            await notify_guild_owner(
                self.bot,
                server.guild_id,
                f"I could not post an offline alert for {escape(server.name)} in <#{setting.channel_id}> "
                f"({reason}). The alert settings are kept; fix my permissions there or pick another channel "
                "with /feature enable offline_alerts.",
            )
            return
        self._told_owner.discard(server.id)
        await repo.mark_alert(alert.id, sent=True, message_id=message.id)

    async def compact(self) -> None:
        folded = await self.monitor.repository.compact(self.clock())
        if folded:
            log.info("status: folded %d samples into hourly rows", folded)

    # -- commands -----------------------------------------------------------------------------------------
    @app_commands.command(name="status", description="Live status of this Discord server's game server(s)")
    @app_commands.describe(server="Which game server (default: all of them)")
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    @app_commands.checks.cooldown(2, 10.0, key=lambda i: (i.guild_id, i.user.id))
    async def status(self, interaction: discord.Interaction, server: str | None = None) -> None:
        guild_id = guild_id_of(interaction)
        if server is not None:
            servers = [await self.bot.servers.resolve(guild_id, server)]
        else:
            servers = [s for s in await self.bot.servers.servers.list_for_guild(guild_id) if s.address]
            if not servers:
                raise UserError("No game server with an address is linked here yet. An admin can add one with /setup.")
        await interaction.response.defer(ephemeral=True, thinking=True)  # a live check may take a few seconds
        embeds = []
        for found in servers[:MAX_SHOWN]:
            stored = await self.monitor.repository.state(found.id)
            if stored is None and found.address:
                stored = await self._live(found)
            embeds.append(status_embed(await self.snapshot(found, stored), detailed=True))
        view = status_view(servers[0], await self.monitor.repository.settings(servers[0].id)) if server else None
        mentions = discord.AllowedMentions.none()
        if view is not None:
            await interaction.followup.send(embeds=embeds, view=view, ephemeral=True, allowed_mentions=mentions)
        else:
            await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=mentions)

    async def _live(self, server: Server) -> StoredState | None:
        """A one-off check for a server nobody monitors yet (nothing is stored)."""
        settings = await self.monitor.repository.settings(server.id)
        try:
            target = build_target(
                server.id, server.address, server.game, protocol=settings.protocol, query_port=settings.query_port
            )
        except UserError as exc:
            result = QueryResult(online=False, error=str(exc))
        else:
            result = await self.monitor.query(target)
        now = self.clock()
        state = MonitorState(State.UP if result.online else State.UNKNOWN, since=now, last_probe_at=now)
        return StoredState(state, result, result if result.online else None, now)


async def setup(bot: VoteBot) -> None:
    from cogs.status.admin import StatusAdminCog

    cog = StatusCog(bot)
    await bot.add_cog(cog)
    await bot.add_cog(StatusAdminCog(bot, cog))
