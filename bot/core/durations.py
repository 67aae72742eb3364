"""Parsing durations (``1h30m``, ``2d``) and local date-times, and calendar maths in a server's time zone."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import UserError

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
        raise UserError(f"I can't read the duration {text[:40]!r}. Use e.g. `30m`, `1h30m`, `2d` or `1w`.")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    duration = dt.timedelta(seconds=seconds)
    if duration < minimum:
        raise UserError(f"The duration must be at least {format_duration(minimum)}.")
    if duration > maximum:
        raise UserError(f"The duration can be at most {format_duration(maximum)}.")
    return duration


def format_duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in _UNITS.items():
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


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
        f"I can't read the date {text[:40]!r}. Use `YYYY-MM-DD HH:MM` in the server's time zone ({tz_name})."
    )


def month_start(moment: dt.datetime, tz_name: str) -> dt.datetime:
    """Start of the calendar month containing ``moment`` in the time zone, as UTC."""
    local = moment.astimezone(zone(tz_name))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.replace(tzinfo=zone(tz_name)).astimezone(dt.UTC)


def add_months(local: dt.datetime, months: int) -> dt.datetime:
    """Same wall-clock time ``months`` later; the day is clamped to the month's last day."""
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)
