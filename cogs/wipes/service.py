"""The wipe / event calendar: planning wipes, their announcements (24 h before and at the start, once each),
Discord scheduled events, wipes pushed by a listing site, and the maintenance windows other features ask for.

Announcements are keyed rows (``wipe_announcements``) claimed before posting and released when a post
fails, so a restart neither skips nor repeats them; posts carry a nonce, so a crash between posting and
bookkeeping does not post twice. Announcing is a :class:`DueWork` that wakes at the next due time.

A start members were told about (its day-before reminder went out, or a move notice named it) that is then
cancelled or moved gets a notice in the wipe channel, keyed and posted the same way. The notice pings nobody:
the reminder already pinged the role once, and a moved wipe's new start gets its own pinging reminder 24 h
before (at once when that is sooner). The work is found from the stored state on every run, so a restart
between the change and the notice still posts it once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import discord

from bot.core.audit import record_change
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.messaging import Gone, Messenger, Unreachable, effect_nonce, only_role
from bot.core.pushed_events import PushedEvent
from bot.core.scheduling import DueWork, Scheduler
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock, parse_duration, parse_local
from bot.db.executor import Executor
from bot.db.records import Server
from cogs.wipes.calendar import (
    MAX_WIPE_DURATION,
    START_GRACE,
    DueAnnouncement,
    DueNotice,
    check_repeat,
    check_start,
    clean_text,
    due_for,
    notice_for,
    occurrences_around,
)
from cogs.wipes.repository import Wipe, WipeRepository
from cogs.wipes.views import wipe_announcement, wipe_notice

log = logging.getLogger(__name__)

FEATURE = "wipes"


class WipeService:
    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        messenger: Messenger,
        scheduler: Scheduler,
        clock: Clock,
        shards: ShardOwnership,
        *,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._db = db
        self._repo = WipeRepository(db)
        self._servers = servers
        self._messenger = messenger
        self._clock = clock
        self._shards = shards
        self.job = DueWork(scheduler, "wipes", self.announce_due, ready=ready)

    # ------------------------------------------------------------------ admin commands
    async def add(
        self,
        server: Server,
        *,
        title: str,
        when: str,
        description: str | None,
        repeat: str,
        duration: str | None,
        discord_event: bool,
        created_by: int,
    ) -> tuple[Wipe, list[str]]:
        """Plan a wipe; returns it with notes for the admin (a refused scheduled event, announcements off)."""
        title, text = clean_text(title, description)
        starts_at = parse_local(when, server.timezone)
        check_start(starts_at, self._clock())
        length = parse_duration(duration, maximum=MAX_WIPE_DURATION) if duration else dt.timedelta(hours=1)
        wipe = await self._repo.create(
            server_id=server.id,
            title=title,
            description=text,
            starts_at=starts_at,
            duration=length,
            repeat=check_repeat(repeat),
            discord_event=discord_event,
            created_by=created_by,
        )
        await record_change(
            self._db,
            server,
            "wipe.create",
            {"wipe_id": wipe.id, "title": wipe.title, "starts_at": wipe.starts_at.isoformat(), "repeat": wipe.repeat},
        )
        notes = []
        if discord_event:
            error = await self._create_event(wipe, server, wipe.starts_at)
            if error:
                # Translators: {reason} is Discord's refusal; "Manage Events" is the Discord permission's name.
                notes.append(_("Discord refused the scheduled event ({reason}): I need Manage Events.", reason=error))
        if not await self._servers.is_active(server, FEATURE):
            notes.append(_("Note: wipe announcements are off; switch them on with /feature enable wipes."))
        self.job.wake()
        return wipe, notes

    async def channel_of(self, server: Server) -> int | None:
        """Where announcements and notices go; None when they are off (then nobody is told of a change)."""
        setting = await self._servers.active_setting(server, FEATURE)
        return setting.channel_id if setting is not None else None

    async def get_for_server(self, server: Server, wipe_id: int) -> Wipe:
        wipe = await self._repo.get(wipe_id)
        if wipe is None or wipe.server_id != server.id or wipe.cancelled_at is not None:
            raise UserError(
                _("There is no planned wipe #{id} for this server. /wipe list shows them.", id=str(wipe_id))
            )
        return wipe

    async def remove(self, server: Server, wipe_id: int) -> Wipe:
        planned = await self.get_for_server(server, wipe_id)
        if not await self._repo.cancel(planned.id, self._clock()):
            raise UserError(_("Wipe #{id} was already removed.", id=str(wipe_id)))
        await record_change(self._db, server, "wipe.cancel", {"wipe_id": planned.id, "title": planned.title})
        await self._drop_event(planned, server)
        self.job.wake()  # members told about it hear it is cancelled
        return planned

    async def move(self, server: Server, wipe_id: int, when: str) -> Wipe:
        """Give a planned wipe a new start (a repeating one: its whole series from then on)."""
        planned = await self.get_for_server(server, wipe_id)
        starts_at = parse_local(when, server.timezone)
        check_start(starts_at, self._clock())
        if starts_at == planned.starts_at:
            raise UserError(_("Wipe #{id} already starts then.", id=str(wipe_id)))
        moved = await self._repo.reschedule(planned.id, starts_at)
        if moved is None:
            raise UserError(_("Wipe #{id} was removed meanwhile.", id=str(wipe_id)))
        await record_change(
            self._db,
            server,
            "wipe.move",
            {
                "wipe_id": moved.id,
                "title": moved.title,
                "starts_at": [planned.starts_at.isoformat(), moved.starts_at.isoformat()],
            },
        )
        await self._move_event(moved, server)
        self.job.wake()  # members told about the old start hear of the new one
        return moved

    async def upcoming(self, server: Server) -> list[tuple[Wipe, dt.datetime]]:
        """Active wipes with their next (or current) occurrence, soonest first; finished one-offs left out."""
        now = self._clock()
        result = []
        for wipe in await self._repo.active_for_server(server.id):
            previous, upcoming = occurrences_around(wipe, server.timezone, now)
            if previous is not None and now < previous + wipe.duration:
                result.append((wipe, previous))
            elif upcoming is not None:
                result.append((wipe, upcoming))
        return sorted(result, key=lambda pair: pair[1])

    # ------------------------------------------------------------------ announcements
    async def due(self, now: dt.datetime) -> tuple[list[DueAnnouncement], dt.datetime | None]:
        announcements: list[DueAnnouncement] = []
        wakes: list[dt.datetime] = []
        for wipe, guild_id, tz_name in await self._repo.active_all():
            if not self._shards.owns(guild_id):
                continue
            due, wake = due_for(wipe, guild_id, tz_name, now)
            announcements.extend(due)
            if wake is not None:
                wakes.append(wake)
        return announcements, min(wakes, default=None)

    async def notices_due(self, now: dt.datetime) -> list[DueNotice]:
        """Starts members were told about that were cancelled or moved since, and not yet said so."""
        notices = []
        for told in await self._repo.told_starts(now - START_GRACE):
            if not self._shards.owns(told.guild_id):
                continue
            found = notice_for(told.wipe, told.timezone, told.occurrence, now)
            if found is not None:
                notices.append(DueNotice(told.wipe, told.guild_id, told.occurrence, found[0], found[1]))
        return notices

    async def announce_due(self, now: dt.datetime) -> dt.datetime | None:
        """Post every notice and announcement due at ``now`` exactly once (keyed rows); returns the next wake-up
        time. Notices go first, so a moved wipe's notice comes before the reminder of its new start."""
        for notice in await self.notices_due(now):
            await self._notify(notice, now)
        announcements, wake = await self.due(now)
        for due in announcements:
            await self._announce(due, now)
        return wake

    async def _notify(self, notice: DueNotice, now: dt.datetime) -> None:
        server = await self._servers.find(notice.wipe.server_id)
        setting = await self._servers.active_setting(server, FEATURE) if server is not None else None
        if server is None or setting is None or setting.channel_id is None:
            return
        wipe_id, told, kind = notice.wipe.id, notice.told, notice.kind
        if not await self._repo.claim(wipe_id, told, kind, now):
            return  # already posted (or being posted by another process)
        with self._servers.speaking_for(server):
            text = wipe_notice(notice.wipe, told, kind, server.name, notice.new_start)
        try:
            message_id = await self._messenger.post(
                setting.channel_id,
                text,
                nonce=effect_nonce("wipe", wipe_id, told.isoformat(), kind),
                guild_id=server.guild_id,
            )
        except (Unreachable, discord.HTTPException) as exc:
            log.warning("wipe %s: %s notice failed (%s); retried later", wipe_id, kind, exc)
            await self._repo.release(wipe_id, told, kind)
            return
        await self._repo.posted(wipe_id, told, kind, message_id, now, moved_to=notice.new_start)

    async def _announce(self, due: DueAnnouncement, now: dt.datetime) -> None:
        server = await self._servers.find(due.wipe.server_id)
        setting = await self._servers.active_setting(server, FEATURE) if server is not None else None
        if server is None or setting is None or setting.channel_id is None:
            return
        if not await self._repo.claim(due.wipe.id, due.occurrence, due.kind, now):
            return  # already posted (or being posted by another process)
        with self._servers.speaking_for(server):
            head, embed = wipe_announcement(due.wipe, due.occurrence, due.kind, server.name)
        if setting.role_id:
            head = f"<@&{setting.role_id}> {head}"
        try:
            message_id = await self._messenger.post(
                setting.channel_id,
                head,
                embeds=[embed],
                mentions=only_role(setting.role_id),
                nonce=effect_nonce("wipe", due.wipe.id, due.occurrence.isoformat(), due.kind),
                guild_id=server.guild_id,
            )
        except (Unreachable, discord.HTTPException) as exc:
            log.warning("wipe %s: %s announcement failed (%s); retried later", due.wipe.id, due.kind, exc)
            await self._repo.release(due.wipe.id, due.occurrence, due.kind)
            return
        await self._repo.posted(due.wipe.id, due.occurrence, due.kind, message_id, now)
        if due.kind == "start" and due.wipe.discord_event:
            following = occurrences_around(due.wipe, server.timezone, due.occurrence)[1]
            if following is not None:
                await self._create_event(due.wipe, server, following)

    async def _create_event(self, wipe: Wipe, server: Server, start: dt.datetime) -> str | None:
        """Create the Discord scheduled event of an occurrence; returns an error text for the admin, or None."""
        try:
            event_id = await self._messenger.create_scheduled_event(
                server.guild_id,
                name=wipe.title,
                start=start,
                end=start + wipe.duration,
                location=server.name,
                description=wipe.description,
            )
        except Unreachable as exc:
            log.warning("wipe %s: could not create the scheduled event (%s)", wipe.id, exc.reason)
            return exc.shown
        await self._repo.set_scheduled_event(wipe.id, event_id)
        return None

    async def _drop_event(self, wipe: Wipe, server: Server) -> None:
        """Delete the Discord scheduled event of a cancelled wipe (members see it is off there too)."""
        if not wipe.scheduled_event_id:
            return
        try:
            await self._messenger.delete_scheduled_event(server.guild_id, wipe.scheduled_event_id)
        except Unreachable as exc:
            log.info("wipe %s: could not delete its scheduled event (%s)", wipe.id, exc.reason)
            return
        await self._repo.set_scheduled_event(wipe.id, None)

    async def _move_event(self, wipe: Wipe, server: Server) -> None:
        """Give a moved wipe's scheduled event its new start; a deleted one (or one never made) is created."""
        if not wipe.discord_event:
            return
        if wipe.scheduled_event_id:
            try:
                await self._messenger.move_scheduled_event(
                    server.guild_id, wipe.scheduled_event_id, start=wipe.starts_at, end=wipe.starts_at + wipe.duration
                )
                return
            except Gone:
                pass  # deleted by someone: make a new one
            except Unreachable as exc:
                log.info("wipe %s: could not move its scheduled event (%s)", wipe.id, exc.reason)
                return
        await self._create_event(wipe, server, wipe.starts_at)

    # ------------------------------------------------------------------ pushed wipes
    async def schedule_pushed(self, server: Server, event: PushedEvent) -> None:
        """The ``wipe.scheduled`` handler: created, or updated when the site's wipe id is known."""
        data = event.data
        await self._repo.upsert_external(
            server_id=server.id,
            external_id=data["wipe_id"],
            title=data["title"],
            description=data["description"],
            starts_at=dt.datetime.fromisoformat(data["starts_at"]),
            duration=dt.timedelta(minutes=data["duration_minutes"]),
            repeat=data["repeat"],
        )
        self.job.wake()

    async def cancel_pushed(self, server: Server, event: PushedEvent) -> None:
        """The ``wipe.cancelled`` handler (the event API refused ids it never scheduled)."""
        wipe = await self._repo.get_external(server.id, event.data["wipe_id"])
        if wipe is not None and await self._repo.cancel(wipe.id, self._clock()):
            await self._drop_event(wipe, server)
            self.job.wake()  # members told about it hear it is cancelled


class WipeCalendar:
    """The maintenance calendar other features see (:class:`bot.core.calendar.MaintenanceCalendar`)."""

    def __init__(self, db: Executor, servers: ServerService) -> None:
        self._repo = WipeRepository(db)
        self._servers = servers

    async def next_start(self, server_id: int, now: dt.datetime) -> dt.datetime | None:
        """Start of the server's next wipe after ``now`` (None when none is planned)."""
        server = await self._servers.find(server_id)
        tz_name = server.timezone if server else "UTC"
        starts = [occurrences_around(w, tz_name, now)[1] for w in await self._repo.active_for_server(server_id)]
        return min((s for s in starts if s is not None), default=None)

    async def in_window(self, server_id: int, now: dt.datetime) -> bool:
        """Whether a wipe of the server is under way (from its start for its duration): offline alerts stay quiet."""
        server = await self._servers.find(server_id)
        tz_name = server.timezone if server else "UTC"
        for wipe in await self._repo.active_for_server(server_id):
            previous, _upcoming = occurrences_around(wipe, tz_name, now)
            if previous is not None and now < previous + wipe.duration:
                return True
        return False
