"""Time in one place: the injectable clock, a server's zone and its period keys, durations and local dates.

Every service reads the time from a :data:`Clock` it was given (the bot's, or a test's), never from the
system directly, so tests run at pinned instants: month ends, DST changes, slot boundaries. Periods are
computed in the server's time zone (zoneinfo handles DST): the badge, milestones, leaderboards and
giveaways all use :func:`month_of` and :func:`day_of`, so they agree on what "this month" is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import UserError
from bot.core.i18n import N_, _, day_name, duration, month_name, n_

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware (UTC). The bot has one; services and the scheduler share it."""


def utcnow() -> dt.datetime:
    """The system clock: the default :data:`Clock`."""
    return dt.datetime.now(dt.UTC)


def zone(name: str) -> ZoneInfo:
    """The server's zone; an unknown name falls back to UTC rather than stopping every loop."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # '2026-11' or '2026-11-23'
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def month_of(now: dt.datetime, tz: ZoneInfo) -> Period:
    local = now.astimezone(tz).date()
    first = local.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first.strftime("%Y-%m"), local_midnight(first, tz), local_midnight(following, tz))


def previous_month(now: dt.datetime, tz: ZoneInfo) -> Period:
    current = month_of(now, tz)
    return month_of(current.start - dt.timedelta(seconds=1), tz)


def day_of(day: dt.date, tz: ZoneInfo) -> Period:
    return Period(day.isoformat(), local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz))


def local_at(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at wall-clock ``at`` in ``tz`` as UTC; a time skipped by DST lands just after the gap."""
    # fold=0: a skipped wall time is read with the pre-gap offset, i.e. it lands after the gap (02:30 → 03:30);
    # a repeated wall time (autumn) means its first occurrence.
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)


TIME_HINT = N_("Use the 24-hour clock, e.g. 09:00 or 22:30.")
"""How a time of day is typed; every refusal of a time ends with it (translated where it is shown: ``_(TIME_HINT)``)."""


def parse_hhmm(text: str) -> dt.time:
    """'22:30' or '9:05' → time (the one reading of a time of day); raises ValueError with a readable message
    (in the language in force: a member's reply)."""
    hours, sep, minutes = text.strip().partition(":")
    try:
        if (
            not sep
            or not (hours + minutes).isascii()
            or not hours.isdigit()
            or not minutes.isdigit()
            or len(minutes) != 2
        ):
            raise ValueError
        return dt.time(int(hours), int(minutes))
    except ValueError:
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        # Translators: {text} is what the member typed; {hint} is "Use the 24-hour clock, e.g. 09:00 or 22:30."
        raise ValueError(_("“{text}” is not a time. {hint}", text=shown, hint=_(TIME_HINT))) from None


def slot_of(now: dt.datetime, tz: ZoneInfo, length: dt.timedelta) -> Period:
    """Fixed slots of ``length`` counted from local midnight (a 12 h cooldown → 00:00 and 12:00 local).

    Anchoring at local midnight keeps channel reminders from drifting by a few minutes each day.
    """
    local_day = now.astimezone(tz).date()
    midnight = local_midnight(local_day, tz)
    seconds = max(60, int(length.total_seconds()))
    index = int((now - midnight).total_seconds()) // seconds
    start = midnight + dt.timedelta(seconds=index * seconds)
    return Period(f"{local_day.isoformat()}#{index}", start, start + dt.timedelta(seconds=seconds))


def quiet_until(now: dt.datetime, tz: ZoneInfo, start_min: int | None, end_min: int | None) -> dt.datetime | None:
    """When quiet hours (local minutes of day, may wrap midnight) contain ``now``, the UTC time they end."""
    if start_min is None or end_min is None or start_min == end_min:
        return None
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start_min < end_min:
        inside = start_min <= minute < end_min
        end_day = local.date()
    else:
        inside = minute >= start_min or minute < end_min
        end_day = local.date() + dt.timedelta(days=1) if minute >= start_min else local.date()
    if not inside:
        return None
    return local_at(end_day, dt.time(end_min // 60, end_min % 60), tz)


# ------------------------------------------------------------------ durations and local dates

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d{1,6})\s*([wdhms])")
_WHOLE = re.compile(r"^(?:\s*\d{1,6}\s*[wdhms])+\s*$")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_duration(
    text: str, *, minimum: dt.timedelta = dt.timedelta(minutes=1), maximum: dt.timedelta = dt.timedelta(weeks=8)
) -> dt.timedelta:
    """``1h30m``, ``2d``, ``1w 2d``, ``45m`` → timedelta, within [minimum, maximum]."""
    cleaned = text.strip().lower()
    if not _WHOLE.match(cleaned):
        raise UserError(
            # Translators: {text} is what the member typed; keep the examples (30m, 1h30m, 2d, 1w) as they are: they
            # are what the bot reads.
            _("I can't read the duration {text}. Use e.g. `30m`, `1h30m`, `2d` or `1w`.", text=repr(text[:40]))
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    duration = dt.timedelta(seconds=seconds)
    if duration < minimum:
        # Translators: {duration} is written out, e.g. "1 minute", "8 weeks".
        raise UserError(_("The duration must be at least {duration}.", duration=spelled_duration(minimum)))
    if duration > maximum:
        # Translators: {duration} is written out, e.g. "1 minute", "8 weeks".
        raise UserError(_("The duration can be at most {duration}.", duration=spelled_duration(maximum)))
    return duration


def _spelled(size: int, count: int) -> str:
    # Translators: a duration written out in a sentence ("at least 1 minute", "at most 8 weeks").
    if size == 7 * 86400:
        return n_("{count} week", "{count} weeks", count)
    if size == 86400:
        return n_("{count} day", "{count} days", count)
    if size == 3600:
        return n_("{count} hour", "{count} hours", count)
    if size == 60:
        return n_("{count} minute", "{count} minutes", count)
    return n_("{count} second", "{count} seconds", count)


def spelled_duration(value: dt.timedelta) -> str:
    """A limit written out as people say it in a sentence: ``8 weeks``, ``1 minute``, ``36 hours``.

    The largest unit that divides the value exactly (a limit is a round number), so nothing is rounded away."""
    seconds = max(0, round(value.total_seconds()))
    for size in (7 * 86400, 86400, 3600, 60, 1):
        if seconds >= size and seconds % size == 0:
            return _spelled(size, seconds // size)
    return _spelled(1, 0)


def format_duration(value: dt.timedelta | float) -> str:
    """The one way a duration is shown to people, in the language in force: ``12 hr``, ``1 hr 30 min``,
    ``2 days 1 hr``, ``5 min`` (``1 h 30 min`` in French, ``1 ч 30 мин`` in Russian).

    Two units at most (a cooldown or an outage is read at a glance); ``value`` is a timedelta or seconds.
    """
    return duration(value.total_seconds() if isinstance(value, dt.timedelta) else value)


# ------------------------------------------------------------------ months and days shown to people


def month_label(key: str) -> str:
    """A month period key as people read it: ``2026-11`` → ``November 2026`` / ``novembre 2026``."""
    year, _sep, month = key.partition("-")
    return month_name(int(year), int(month))


def day_label(key: str) -> str:
    """A day period key as people read it: ``2026-11-30`` → ``November 30, 2026`` / ``30 novembre 2026``."""
    return day_name(dt.date.fromisoformat(key))


def parse_local(text: str, tz_name: str) -> dt.datetime:
    """``2026-11-28 18:00`` in the server's time zone → aware UTC datetime."""
    cleaned = " ".join(text.strip().split())
    for fmt in _LOCAL_FORMATS:
        try:
            naive = dt.datetime.strptime(cleaned, fmt)  # noqa: DTZ007 - made aware just below
        except ValueError:
            continue
        return naive.replace(tzinfo=zone(tz_name)).astimezone(dt.UTC)
    raise UserError(
        _(
            "I can't read the date {text}. Use `YYYY-MM-DD HH:MM` in the server's time zone ({zone}).",
            text=repr(text[:40]),
            zone=tz_name,
        )
    )


def add_months(local: dt.datetime, months: int) -> dt.datetime:
    """Same wall-clock time ``months`` later; the day is clamped to the month's last day."""
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)
