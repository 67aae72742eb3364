"""The wipe / event calendar without Discord: occurrences in the server's time zone, and what is due when.

A wipe starts at ``starts_at`` and repeats weekly, biweekly or monthly on the same wall-clock time in the
server's time zone (so daylight saving time does not shift it; a monthly wipe on the 31st falls on the last
day of shorter months). Each occurrence gets two announcements: a reminder 24 h before (posted as soon as
possible when the wipe was added later than that) and one at the start (up to ``START_GRACE`` late, e.g.
after a restart). Their keys live in ``wipe_announcements``, so a restart neither skips nor repeats them.

For the status board: :func:`next_wipe` and :func:`in_wipe_window`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.durations import add_months, parse_duration, parse_local, zone
from bot.core.errors import UserError
from bot.db.records import Server
from cogs.wipes.repository import Wipe, WipeRepository

REPEATS = ("none", "weekly", "biweekly", "monthly")
REMINDER_LEAD = dt.timedelta(hours=24)
START_GRACE = dt.timedelta(hours=3)
MAX_AHEAD = dt.timedelta(days=366)
MAX_TITLE = 100
MAX_DESCRIPTION = 1000
MAX_WIPE_DURATION = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class DueAnnouncement:
    wipe: Wipe
    guild_id: int
    occurrence: dt.datetime
    kind: str  # "reminder" | "start"


def nth_occurrence(wipe: Wipe, n: int, tz_name: str) -> dt.datetime | None:
    if n < 0 or (wipe.repeat == "none" and n > 0):
        return None
    base = wipe.starts_at.astimezone(zone(tz_name))
    if wipe.repeat == "monthly":
        local = add_months(base, n)
    else:
        local = base + dt.timedelta(weeks=n * (2 if wipe.repeat == "biweekly" else 1))  # wall-clock arithmetic
    return local.astimezone(dt.UTC)


def occurrences_around(wipe: Wipe, tz_name: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(latest occurrence at or before ``now``, first occurrence after ``now``)."""
    if now < wipe.starts_at:
        return None, wipe.starts_at
    if wipe.repeat == "none":
        return wipe.starts_at, None
    if wipe.repeat == "monthly":
        base = wipe.starts_at.astimezone(zone(tz_name))
        local_now = now.astimezone(zone(tz_name))
        n = max(0, (local_now.year - base.year) * 12 + local_now.month - base.month - 1)
    else:
        period = dt.timedelta(weeks=2 if wipe.repeat == "biweekly" else 1)
        n = max(0, (now - wipe.starts_at) // period - 1)
    while (following := nth_occurrence(wipe, n + 1, tz_name)) is not None and following <= now:
        n += 1
    return nth_occurrence(wipe, n, tz_name), following


def due_for(
    wipe: Wipe, guild_id: int, tz_name: str, now: dt.datetime
) -> tuple[list[DueAnnouncement], dt.datetime | None]:
    """Announcements due at ``now`` and when this wipe next needs attention."""
    previous, upcoming = occurrences_around(wipe, tz_name, now)
    due = []
    if previous is not None and now < previous + START_GRACE:
        due.append(DueAnnouncement(wipe, guild_id, previous, "start"))
    wake = None
    if upcoming is not None:
        if now >= upcoming - REMINDER_LEAD:
            due.append(DueAnnouncement(wipe, guild_id, upcoming, "reminder"))
            wake = upcoming
        else:
            wake = upcoming - REMINDER_LEAD
    return due, wake


def clean_text(title: str, description: str | None) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise UserError("The title can't be empty.")
    if len(title) > MAX_TITLE:
        raise UserError(f"The title can be at most {MAX_TITLE} characters.")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise UserError(f"The description can be at most {MAX_DESCRIPTION} characters.")
    return title, description


def check_start(starts_at: dt.datetime, now: dt.datetime) -> None:
    if starts_at <= now:
        raise UserError("That date is in the past. Give a future date and time.")
    if starts_at > now + MAX_AHEAD:
        raise UserError("Wipes can be planned at most a year ahead.")


def check_repeat(repeat: str) -> str:
    if repeat not in REPEATS:
        raise UserError(f"Repeat must be one of: {', '.join(REPEATS)}.")
    return repeat


class WipeService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.repo = WipeRepository(pool)

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
        now: dt.datetime,
    ) -> Wipe:
        title, text = clean_text(title, description)
        starts_at = parse_local(when, server.timezone)
        check_start(starts_at, now)
        length = parse_duration(duration, maximum=MAX_WIPE_DURATION) if duration else dt.timedelta(hours=1)
        return await self.repo.create(
            server_id=server.id,
            title=title,
            description=text,
            starts_at=starts_at,
            duration=length,
            repeat=check_repeat(repeat),
            discord_event=discord_event,
            created_by=created_by,
        )

    async def get_for_server(self, server: Server, wipe_id: int) -> Wipe:
        wipe = await self.repo.get(wipe_id)
        if wipe is None or wipe.server_id != server.id or wipe.cancelled_at is not None:
            raise UserError(f"There is no planned wipe #{wipe_id} for this server. /wipe list shows them.")
        return wipe

    async def upcoming(self, server: Server, now: dt.datetime) -> list[tuple[Wipe, dt.datetime]]:
        """Active wipes with their next (or current) occurrence, soonest first; finished one-offs left out."""
        result = []
        for wipe in await self.repo.active_for_server(server.id):
            previous, upcoming = occurrences_around(wipe, server.timezone, now)
            if previous is not None and now < previous + wipe.duration:
                result.append((wipe, previous))
            elif upcoming is not None:
                result.append((wipe, upcoming))
        return sorted(result, key=lambda pair: pair[1])

    async def due(self, now: dt.datetime) -> tuple[list[DueAnnouncement], dt.datetime | None]:
        announcements: list[DueAnnouncement] = []
        wakes: list[dt.datetime] = []
        for wipe, guild_id, tz_name in await self.repo.active_all():
            due, wake = due_for(wipe, guild_id, tz_name, now)
            announcements.extend(due)
            if wake is not None:
                wakes.append(wake)
        return announcements, min(wakes, default=None)


async def _server_tz(pool: asyncpg.Pool, server_id: int) -> str:
    tz_name: str | None = await pool.fetchval("SELECT timezone FROM servers WHERE id = $1", server_id)
    return tz_name or "UTC"


async def next_wipe(pool: asyncpg.Pool, server_id: int, now: dt.datetime) -> dt.datetime | None:
    """Start of the server's next wipe after ``now`` (None when none is planned)."""
    tz_name = await _server_tz(pool, server_id)
    starts = [occurrences_around(w, tz_name, now)[1] for w in await WipeRepository(pool).active_for_server(server_id)]
    return min((s for s in starts if s is not None), default=None)


async def in_wipe_window(pool: asyncpg.Pool, server_id: int, now: dt.datetime) -> bool:
    """Whether a wipe of the server is under way (from its start for its duration): offline alerts stay quiet."""
    tz_name = await _server_tz(pool, server_id)
    for wipe in await WipeRepository(pool).active_for_server(server_id):
        previous, _ = occurrences_around(wipe, tz_name, now)
        if previous is not None and now < previous + wipe.duration:
            return True
    return False
