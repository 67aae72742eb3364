"""The wipe / event calendar without a database or Discord: occurrences in the server's time zone, what is due.

A wipe starts at ``starts_at`` and repeats weekly, biweekly or monthly on the same wall-clock time in the
server's time zone (so daylight saving time does not shift it; a monthly wipe on the 31st falls on the last
day of shorter months). Each occurrence gets two announcements: a reminder 24 h before (posted as soon as
possible when the wipe was added later than that) and one at the start (up to ``START_GRACE`` late, e.g.
after a restart). Their keys live in ``wipe_announcements``, so a restart neither skips nor repeats them.

"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.i18n import _, n_
from bot.core.time import add_months, zone
from cogs.wipes.repository import Wipe

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


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A start members were told about that is off: cancelled, or moved to ``new_start``."""

    wipe: Wipe
    guild_id: int
    told: dt.datetime
    kind: str  # "cancelled" | "moved"
    new_start: dt.datetime | None


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


def notice_for(wipe: Wipe, tz_name: str, told: dt.datetime, now: dt.datetime) -> tuple[str, dt.datetime | None] | None:
    """What members who were told the wipe starts at ``told`` must hear now: ``("cancelled", None)``,
    ``("moved", new start)``, or None (it still starts then, or it was cancelled only once under way)."""
    if wipe.cancelled_at is not None:
        return ("cancelled", None) if wipe.cancelled_at < told else None
    if occurrences_around(wipe, tz_name, told)[0] == told:
        return None
    upcoming = occurrences_around(wipe, tz_name, now)[1]
    return ("moved", upcoming) if upcoming is not None else ("cancelled", None)


def clean_text(title: str, description: str | None) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise UserError(_("The title can't be empty."))
    if len(title) > MAX_TITLE:
        raise UserError(
            n_("The title can be at most {count} character.", "The title can be at most {count} characters.", MAX_TITLE)
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            n_(
                "The description can be at most {count} character.",
                "The description can be at most {count} characters.",
                MAX_DESCRIPTION,
            )
        )
    return title, description


def check_start(starts_at: dt.datetime, now: dt.datetime) -> None:
    if starts_at <= now:
        raise UserError(_("That date is in the past. Give a future date and time."))
    if starts_at > now + MAX_AHEAD:
        raise UserError(_("Wipes can be planned at most a year ahead."))


def check_repeat(repeat: str) -> str:
    if repeat not in REPEATS:
        # Translators: {choices} lists the option's values as typed (none, weekly, …), which stay in English.
        raise UserError(_("Repeat must be one of: {choices}.", choices=", ".join(REPEATS)))
    return repeat
