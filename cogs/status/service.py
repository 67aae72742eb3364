"""Live server status around the probe loop: status boards, offline/recovery alerts, /status answers and the
query settings of /status-admin.

The monitor (``monitor.py``) probes servers and records each result with its state change and alert in one
transaction; here those results become board edits and alert posts. Alerts are an outbox
(``status_alerts``): one that Discord refuses for good is dropped and the guild owner told once; one lost
to an outage is retried on the next flush, up to an hour.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import asyncpg
import discord

from bot.core import i18n
from bot.core.addresses import resolve
from bot.core.admin_notice import AdminNotices
from bot.core.audit import changed, record_change
from bot.core.boards import BoardContent, BoardKeeper
from bot.core.charts import ChartRenderer, Format
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.messaging import Messenger, Picture, Unreachable, effect_nonce, only_role
from bot.core.request_budget import Priority, prioritized
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import escape
from bot.core.time import Clock, zone
from bot.db.records import Server
from bot.db.transaction import transaction
from cogs.status.alerts import MonitorState, State
from cogs.status.monitor import ProbeOutcome, StatusMonitor
from cogs.status.pictures import history_start, hour_start, picture_description, status_picture
from cogs.status.query import QueryResult
from cogs.status.repository import PendingAlert, StatusRepository, StatusSettings, StoredState
from cogs.status.spec import PICTURE, QUERY_SETTINGS
from cogs.status.summary import status_summary
from cogs.status.targets import Target, build_target, protocol_for
from cogs.status.throttle import ProbeThrottle
from cogs.status.views import (
    UPTIME_DAYS,
    StatusSnapshot,
    alert_text,
    no_address_text,
    status_embed,
    status_view,
)

log = logging.getLogger(__name__)

UPTIME_WINDOW = dt.timedelta(days=UPTIME_DAYS)
ALERT_MAX_AGE = dt.timedelta(hours=1)  # an alert that could not be sent for this long is dropped, not sent late
ALERT_MAX_ATTEMPTS = 5
MAX_SHOWN = 10  # embeds per message (and files: one picture per server)
PICTURES_KEPT = 1024  # status pictures of the current hour kept in memory (~50 KB each: 50 MB at most)


class StatusService:
    def __init__(
        self,
        monitor: StatusMonitor,
        servers: ServerService,
        messenger: Messenger,
        notices: AdminNotices,
        boards: BoardKeeper,
        clock: Clock,
        ownership: ShardOwnership,
        *,
        next_wipe: Callable[[int, dt.datetime], Awaitable[dt.datetime | None]],
        ready: Callable[[], bool] = lambda: True,
        charts: ChartRenderer,
    ) -> None:
        self.monitor = monitor
        self._repo = monitor.repository
        self._servers = servers
        self._messenger = messenger
        self._notices = notices
        self._boards = boards
        self._clock = clock
        self._ownership = ownership
        self._next_wipe = next_wipe
        self._ready = ready
        self._flushing = asyncio.Lock()  # probes and the 30 s job both flush: one at a time, each alert once
        self.throttle = ProbeThrottle(clock)  # /status-admin check and configure probe on demand
        self._charts = charts  # the bot's one renderer (its worker process is the bot's to close)
        # (server, hour, language, zone, format) -> the status picture: built once an hour, not on every probe
        self._pictures: OrderedDict[tuple[int, dt.datetime, str, str, str], Picture] = OrderedDict()

    # ------------------------------------------------------------------ the loop's outputs
    async def tick(self) -> None:
        """One tick of the probe loop (the scheduler runs it every second); never raises."""
        try:
            await self.monitor.tick()
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("status tick failed (database unavailable?): %s", exc)
        except Exception:
            log.exception("status tick failed")

    async def on_result(self, outcome: ProbeOutcome) -> None:
        if not self._ready():
            return  # boards and alerts catch up on the next probe / flush
        if outcome.alert is not None:
            await self.flush_alerts()
        server = await self._servers.find(outcome.server_id)
        if server is not None and await self._servers.is_active(server, "status_board"):
            await self.refresh_board(server)

    async def snapshot(self, server: Server, stored: StoredState | None = None) -> StatusSnapshot:
        now = self._clock()
        stored = stored or await self._repo.state(server.id)
        uptime = await self._repo.uptime(server.id, now, UPTIME_WINDOW) if stored is not None else None
        settings = await self._repo.settings(server.id)
        return StatusSnapshot(server, settings, stored, uptime, await self._next_wipe(server.id, now))

    async def summary(self, server: Server) -> dict[str, Any]:
        """The last known status of ``server`` for the management API (nothing is probed)."""
        return status_summary(await self.snapshot(server))

    async def refresh_board(self, server: Server) -> None:
        snap = await self.snapshot(server)
        setting = await self._servers.setting(server.id, "status_board")
        with_picture = (  # a board that is off draws no picture either
            setting is not None and setting.enabled and bool(PICTURE.current(setting.settings)) and bool(server.address)
        )
        with self._servers.speaking_for(server):
            embed = status_embed(snap)
            pictures = [await self.picture(server)] if with_picture else []
            for picture in pictures:
                embed.set_image(url=picture.url)
            content = BoardContent([embed], view=status_view(server, snap.settings), pictures=pictures)
        outcome = await self._boards.refresh(server, "status_board", content)
        log.debug("status board of server %s: %s", server.id, outcome)

    async def picture(self, server: Server, format: Format = "png") -> Picture:
        """Players over the last 24 hours and uptime over the last 7 days, in the language in force, from the hours
        that are over: built once per (server, hour, language, zone, format) and kept, so probes, board refreshes,
        /status and the dashboard within the hour neither query nor draw it again. PNG for Discord, SVG for the
        web dashboard."""
        end = hour_start(self._clock())
        key = (server.id, end, i18n.current().code, server.timezone, format)
        cached = self._pictures.get(key)
        if cached is not None:
            self._pictures.move_to_end(key)
            return cached
        tz = zone(server.timezone)
        hours = await self._repo.hours(server.id, history_start(end, tz), end)
        panels = replace(status_picture(hours, end, tz, server.timezone), format=format)
        data = await self._charts.render(panels)
        picture = Picture(f"status-{server.id}.{format}", data, description=picture_description())
        for old in [k for k in self._pictures if k[1] != end]:  # an hour that is over: its pictures are not shown
            del self._pictures[old]
        self._pictures[key] = picture
        while len(self._pictures) > PICTURES_KEPT:
            self._pictures.popitem(last=False)
        return picture

    async def flush_alerts(self) -> None:
        if not self._ready():
            return
        async with self._flushing:
            for alert in await self._repo.unsent_alerts(*self._ownership.sql_args()):
                with prioritized(Priority.ALERT):  # ahead of vote effects and board edits, behind members
                    await self._deliver(alert)

    async def _deliver(self, alert: PendingAlert) -> None:
        now = self._clock()
        server = await self._servers.find(alert.server_id)
        setting = await self._servers.active_setting(server, "offline_alerts") if server is not None else None
        if server is None or setting is None or not setting.channel_id:
            await self._repo.mark_alert(alert.id, sent=True)  # alerts off: nothing to send, nothing to keep
            return
        if now - alert.created_at > ALERT_MAX_AGE or alert.attempts >= ALERT_MAX_ATTEMPTS:
            log.warning("dropping %s alert %s of server %s: too old or failing", alert.kind, alert.id, server.id)
            await self._repo.mark_alert(alert.id, sent=True)
            return
        role_id = setting.role_id if alert.kind != "flapping" else None
        with self._servers.speaking_for(server):
            text = alert_text(server, alert, role_id)
        try:
            message_id = await self._messenger.post(
                setting.channel_id,
                text,
                mentions=only_role(role_id),
                nonce=effect_nonce("status_alert", alert.id),  # a crash before mark_alert: Discord drops the repeat
                guild_id=server.guild_id,
            )
        except Unreachable as exc:
            await self._repo.mark_alert(alert.id, sent=True)
            log.warning("offline alert for server %s not delivered: %s", server.id, exc.reason)
            channel = f"<#{setting.channel_id}>"
            with self._servers.speaking_for(server):
                notice = _(
                    "I could not post an offline alert for {server} in {channel} ({reason}). The alert settings are "
                    "kept; fix my permissions there or pick another channel with /feature enable offline_alerts.",
                    server=escape(server.name),
                    channel=channel,
                    reason=exc.shown,
                )
            await self._notices.once(server, f"offline_alerts:{setting.channel_id}", notice)
            return
        except discord.HTTPException as exc:
            log.warning("offline alert for server %s: Discord error %s; retrying", server.id, exc.status)
            await self._repo.mark_alert(alert.id, sent=False)
            return
        await self._notices.resolved(server, f"offline_alerts:{setting.channel_id}")
        await self._repo.mark_alert(alert.id, sent=True, message_id=message_id)

    async def compact(self) -> None:
        folded = await self._repo.compact(self._clock())
        if folded:
            log.info("status: folded %d samples into hourly rows", folded)

    # ------------------------------------------------------------------ /status
    async def status_of(
        self, guild_id: int, server_name: str | None
    ) -> tuple[list[Server], StatusSettings | None, list[Server]]:
        """The servers /status shows (one by name, or every one with an address), the settings of a single one, and
        the servers left out because they have no address (so the reply can say so rather than hide them)."""
        if server_name is not None:
            server = await self._servers.resolve(guild_id, server_name)
            return [server], await self._repo.settings(server.id), []
        linked = await self._servers.list_for_guild(guild_id)
        servers = [s for s in linked if s.address]
        if not servers:
            if not linked:
                raise UserError(
                    _("No game server is linked to this Discord server yet. An admin can add one with /setup server.")
                )
            raise UserError(
                _(
                    "None of the game servers here has an address yet, so there is no status to show. "
                    "An admin can add one with /setup options."
                )
            )
        return servers[:MAX_SHOWN], None, [s for s in linked if not s.address]

    async def detailed_embed(self, server: Server) -> tuple[discord.Embed, Picture | None]:
        """/status's embed of ``server`` and its picture (none without an address: nothing is ever checked), in the
        language in force (the member's); the embed shows the picture."""
        stored = await self._repo.state(server.id)
        if stored is None and server.address:
            stored = await self._live(server)
        embed = status_embed(await self.snapshot(server, stored), detailed=True)
        picture = await self.picture(server) if server.address else None
        if picture is not None:
            embed.set_image(url=picture.url)
        return embed, picture

    async def _live(self, server: Server) -> StoredState:
        """A one-off check for a server nobody monitors yet (nothing is stored)."""
        settings = await self._repo.settings(server.id)
        try:
            target = build_target(
                server.id, server.address, server.game, protocol=settings.protocol, query_port=settings.query_port
            )
        except UserError as exc:
            result = QueryResult(online=False, error=str(exc))
        else:
            result = await self.monitor.query(target)
        now = self._clock()
        state = MonitorState(State.UP if result.online else State.UNKNOWN, since=now, last_probe_at=now)
        return StoredState(state, result, result if result.online else None, now)

    # ------------------------------------------------------------------ /status-admin
    async def board_options(self, server: Server, *, picture: bool | None) -> tuple[bool, bool]:
        """Change the status board's options (``None``: keep); returns whether it shows the picture and whether the
        board is on. A board that is on is redrawn at once."""
        active = await self._servers.is_active(server, "status_board")
        if picture is None:
            setting = await self._servers.setting(server.id, "status_board")
        else:
            setting = await self._servers.configure(server, "status_board", settings={PICTURE.name: picture})
            if active:
                await self.refresh_board(server)
        return bool(self._servers.current_settings(setting, "status_board")[PICTURE.name]), active

    async def configure(
        self, server: Server, *, protocol: str | None, values: Mapping[str, object], requested_by: int
    ) -> tuple[StatusSettings, Target, QueryResult]:
        """Validate and save the query settings (``values`` by option name), then test them once (the test counts
        against ``requested_by``'s on-demand checks; when none is left, nothing is saved)."""
        changes: dict[str, object] = {}
        if protocol is not None:
            changes["protocol"] = protocol_for(server.game, protocol)
        for spec in QUERY_SETTINGS:
            value = values.get(spec.option_name)
            if value is not None:
                changes[spec.name] = spec.parse(value)
        settings = replace(await self._repo.settings(server.id), **changes)  # type: ignore[arg-type]
        if settings.confirm_interval_s > settings.interval_s:
            raise UserError(_("The recheck interval must not be longer than the check interval."))
        if not server.address:
            raise UserError(no_address_text(server))
        target = build_target(
            server.id, server.address, server.game, protocol=settings.protocol, query_port=settings.query_port
        )
        ip = await resolve(target.host, allow_private=self.monitor.allow_private)  # clear error, nothing saved
        self.throttle.acquire(server.guild_id, requested_by)
        before = await self._repo.settings(server.id)
        async with transaction(self.monitor.pool) as connection:
            await StatusRepository(connection).save_settings(settings)
            differences = {
                name: change
                for name in ("protocol", *(spec.name for spec in QUERY_SETTINGS))
                if (change := changed(getattr(before, name), getattr(settings, name))) is not None
            }
            if differences:
                await record_change(connection, server, "status.settings", {"changes": differences})
        self.monitor.invalidate()
        return settings, target, await self.monitor.prober.probe(target, ip)

    async def check(self, server: Server, *, requested_by: int) -> tuple[Target, QueryResult]:
        """Probe now, within ``requested_by``'s on-demand checks; a refused address is a UserError with the whole
        reason (and how a self-hoster allows it)."""
        if not server.address:
            raise UserError(no_address_text(server))
        settings = await self._repo.settings(server.id)
        target = build_target(
            server.id, server.address, server.game, protocol=settings.protocol, query_port=settings.query_port
        )
        ip = await resolve(target.host, allow_private=self.monitor.allow_private)
        self.throttle.acquire(server.guild_id, requested_by)
        return target, await self.monitor.prober.probe(target, ip)
