"""Local-time periods in a server's time zone (zoneinfo, so DST is handled): months, days, slots, quiet hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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


def parse_hhmm(text: str) -> dt.time:
    """'22:30' → time; raises ValueError with a readable message."""
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 22:30") from None


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
