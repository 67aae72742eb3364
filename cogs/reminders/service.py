"""Vote reminders: personal ones ("Remind me", a DM with a channel fallback, quiet hours, /remind off) and the
channel ping when the server's vote cooldown slot starts. Reminders are database rows, swept by one job.

The vote consumer schedules the member's next reminder from each vote (idempotent: the same vote sets the
same time). The sweep claims due reminders under a lease, so a crash mid-send retries after the lease and
two processes never send the same one; channel pings are keyed by their slot (``engagement_runs``).
"""

from __future__ import annotations

import datetime as dt
import logging

import discord

from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.messaging import DmClosed, Messenger, Unreachable, effect_nonce, only_role, only_users
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import escape
from bot.core.time import Clock, parse_hhmm, quiet_until, slot_of, zone
from bot.core.validation import MIN_COOLDOWN
from bot.db.executor import Executor
from bot.db.records import FeatureSetting
from bot.db.runs import RunRepository
from bot.db.votes import VoteRepository
from bot.votes.events import VoteEvent
from bot.votes.model import next_vote_at
from cogs.reminders.repository import DueReminder, ReminderStore
from cogs.reminders.spec import CHANNEL_PING
from cogs.reminders.views import channel_ping_text, personal_text

log = logging.getLogger(__name__)

FEATURE = "reminders"
LEASE = dt.timedelta(minutes=5)  # a claimed reminder not finished by then is retried
MAX_ATTEMPTS = 5  # a reminder whose fallback channel keeps failing is dropped after this many tries
SLOT_GRACE = dt.timedelta(hours=1)  # a channel reminder more than this late (bot was down) is skipped


class ReminderService:
    name = "reminders"  # the vote consumer's name

    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        votes: VoteRepository,
        messenger: Messenger,
        clock: Clock,
        shards: ShardOwnership,
    ) -> None:
        self._store = ReminderStore(db)
        self._runs = RunRepository(db)
        self._servers = servers
        self._votes = votes
        self._messenger = messenger
        self._clock = clock
        self._shards = shards

    # ------------------------------------------------------------------ members
    async def remind_me(self, guild_id: int | None, server_id: int, user_id: int, channel_id: int | None) -> str:
        """The "Remind me" button: subscribe, and schedule from the member's last vote."""
        server = await self._servers.in_guild(server_id, guild_id)
        if server is None:
            return _("This button belongs to a server that is no longer linked here.")
        if not await self._servers.is_active(server, FEATURE):
            return _("Vote reminders are switched off for **{server}**.", server=escape(server.name))
        await self._store.subscribe(server.id, user_id, channel_id)
        last = await self._votes.last_for_member(server.id, user_id)
        next_at = next_vote_at(last.voted_at, last.expires_at, server.vote_cooldown) if last else None
        if next_at is not None and next_at > self._clock():
            await self._store.schedule(server.id, user_id, next_at)
            # Translators: {relative} is a Discord relative time ("in 3 hours").
            return _(
                "⏰ I'll remind you {relative} when you can vote again. Turn it off with /remind off.",
                relative=discord.utils.format_dt(next_at, "R"),
            )
        return _(
            "⏰ You can vote right now! After your next vote I'll remind you when the cooldown ends. "
            "Turn it off with /remind off."
        )

    async def off(self, guild_id: int, server_name: str | None, user_id: int) -> str:
        server = await self._servers.resolve(guild_id, server_name)
        if await self._store.unsubscribe(server.id, user_id):
            return _("Your vote reminders for **{server}** are off.", server=escape(server.name))
        return _("You have no vote reminders for **{server}**.", server=escape(server.name))

    async def quiet(
        self, guild_id: int, server_name: str | None, user_id: int, start: str | None, end: str | None
    ) -> str:
        server = await self._servers.resolve(guild_id, server_name)
        if (start is None) != (end is None):
            raise UserError(_("Give both a start and an end time, or neither to clear quiet hours."))
        quiet_start: int | None = None
        quiet_end: int | None = None
        if start is not None and end is not None:
            try:
                begin, finish = parse_hhmm(start), parse_hhmm(end)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            quiet_start, quiet_end = begin.hour * 60 + begin.minute, finish.hour * 60 + finish.minute
            if quiet_start == quiet_end:
                raise UserError(
                    # Translators: keep "start:" and "end:": they are the command's option names.
                    _("Quiet hours need a start and an end that differ, e.g. start:22:00 end:08:00.")
                )
        if not await self._store.set_quiet(server.id, user_id, quiet_start, quiet_end):
            # Translators: “Remind me” is the button's label under /vote.
            raise UserError(_("Press “Remind me” under /vote first, then set quiet hours."))
        if quiet_start is None or quiet_end is None:
            return _(
                "Quiet hours cleared: vote reminders for **{server}** come at any time again.",
                server=escape(server.name),
            )
        shown = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in (quiet_start, quiet_end)]
        # Translators: {start} and {end} are times of day (22:00), {zone} a time zone name (Europe/Paris).
        return _(
            "I won't send you vote reminders for **{server}** between {start} and {end} ({zone}); one due then "
            "comes at {end}.",
            server=escape(server.name),
            start=shown[0],
            end=shown[1],
            zone=server.timezone,
        )

    # ------------------------------------------------------------------ per vote
    async def handle(self, event: VoteEvent) -> None:
        """The vote consumer: the member's next reminder is due when they may vote again."""
        if event.discord_user_id is None or event.next_vote_at is None:
            return
        if event.next_vote_at <= self._clock():  # a late retry of an old vote: that cooldown is over
            return
        await self._store.schedule(event.server.id, event.discord_user_id, event.next_vote_at)

    # ------------------------------------------------------------------ sweep
    async def sweep(self) -> int:
        """Deliver due personal reminders and channel pings; returns how many personal ones were sent."""
        sent = 0
        count, ids = self._shards.sql_args()
        try:
            due = await self._store.claim_due(self._clock(), LEASE, shard_count=count, shard_ids=ids)
        except Exception:
            log.exception("reminders: could not claim due reminders; retrying next sweep")
            due = []
        settings: dict[int, FeatureSetting | None] = {}  # one lookup per server per sweep, not per reminder
        for reminder in due:
            try:
                if reminder.server.id not in settings:
                    settings[reminder.server.id] = await self._servers.active_setting(reminder.server, FEATURE)
                sent += await self._deliver(reminder, settings[reminder.server.id])
            except Exception:
                log.exception(
                    "reminder for member %s (server %s) failed; retrying in %s",
                    reminder.discord_user_id,
                    reminder.server.id,
                    LEASE,
                )
        try:
            await self.channel_pings()
        except Exception:
            log.exception("reminders: channel pings failed; retrying next sweep")
        return sent

    async def _deliver(self, reminder: DueReminder, setting: FeatureSetting | None) -> int:
        server, now = reminder.server, self._clock()
        if setting is None:
            await self._store.finish(reminder)  # paused features send nothing; the next vote schedules again
            return 0
        quiet_end = quiet_until(now, zone(server.timezone), reminder.quiet_start, reminder.quiet_end)
        if quiet_end is not None:
            await self._store.postpone(reminder, quiet_end)
            return 0
        user_id = reminder.discord_user_id
        with self._servers.speaking_for(server):  # a DM (or its channel fallback) from a timed job
            text = personal_text(server)
            fallback = personal_text(server, member_id=user_id)
        nonce = effect_nonce("reminder", server.id, user_id, reminder.due_at.isoformat())
        try:
            await self._messenger.dm(user_id, text, nonce=nonce)
        except DmClosed:  # DMs closed: mention them where they asked instead
            channel_id = reminder.channel_id or setting.channel_id
            if channel_id is None:
                log.info("reminder: DMs of %s closed and no channel to fall back to", user_id)
            else:
                try:
                    await self._messenger.post(channel_id, fallback, mentions=only_users(user_id), nonce=nonce)
                except (discord.HTTPException, Unreachable) as exc:
                    if reminder.attempts < MAX_ATTEMPTS:
                        raise  # retried after the lease
                    log.warning(
                        "reminder: DMs of %s closed, channel %s failed (%s); giving up", user_id, channel_id, exc
                    )
        except Unreachable as exc:
            log.info("reminder: %s for user %s; dropping it", exc.reason, user_id)
        await self._store.finish(reminder)
        return 1

    async def channel_pings(self) -> None:
        """The channel reminder: once per cooldown slot counted from local midnight (no daily drift)."""
        now = self._clock()
        candidates = []  # servers inside the first SLOT_GRACE of a cooldown slot
        for server, setting in await self._servers.active(FEATURE):
            if not self._shards.owns(server.guild_id):
                continue
            if setting.channel_id is None or not CHANNEL_PING.current(setting.settings):
                continue
            # a cooldown stored before the 1 h minimum still pings at most once an hour
            slot = slot_of(now, zone(server.timezone), max(server.vote_cooldown, MIN_COOLDOWN))
            if now - slot.start <= SLOT_GRACE:
                candidates.append((server, setting, setting.channel_id, slot.key))
        if not candidates:
            return
        done = await self._runs.finished_among("channel_ping", [(s.id, key) for s, _, _, key in candidates])
        for server, setting, channel_id, key in candidates:
            # started, then finished once posted: a crash or an outage in between posts it on a later sweep
            # of the grace period, with the same nonce, so Discord shows it once
            if (server.id, key) in done or not await self._runs.start(server.id, "channel_ping", key):
                continue
            with self._servers.speaking_for(server):  # a channel post from a timed job
                text = channel_ping_text(server, setting.role_id)
            try:
                await self._messenger.post(
                    channel_id,
                    text,
                    mentions=only_role(setting.role_id),
                    nonce=effect_nonce("channel_ping", server.id, key),
                    guild_id=server.guild_id,
                )
            except (discord.HTTPException, Unreachable) as exc:
                log.warning("channel reminder of server %s in %s failed: %s", server.id, channel_id, exc)
                continue
            await self._runs.finish(server.id, "channel_ping", key)
