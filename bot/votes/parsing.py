"""Reading the ids and times that votes carry, the same way wherever they come from: a webhook (``bot.web``)
or the Top.gg API backfill. The Top.gg ledger key is made from the parsed time, so both must read it alike.

Errors are :class:`InvalidValue` (a ``ValueError``) naming the field; the web layer answers them with 400.
"""

from __future__ import annotations

import datetime as dt
import re

MAX_SNOWFLAKE = 2**63 - 1


class InvalidValue(ValueError):
    """A field that cannot be read; the message names it (``data.created_at has no time zone offset``)."""


def parse_snowflake(value: object, where: str) -> int:
    """A Discord id sent as a decimal string (or int); must fit a signed 64-bit column."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and 1 <= len(value) <= 20 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        raise InvalidValue(f"{where} must be a Discord id (decimal digits)")
    if not 0 < number <= MAX_SNOWFLAKE:
        raise InvalidValue(f"{where} is out of range for a Discord id")
    return number


_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d{1,9}))?"
    r"(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def parse_iso8601(value: object, where: str, *, assume_utc: bool = False) -> dt.datetime:
    """Parse an ISO-8601 timestamp into an aware UTC ``datetime``.

    Accepts ``Z``, ``±hh:mm`` / ``±hhmm`` offsets and 1–9 fractional digits (Top.gg sends 7; the
    extra digits are truncated to microseconds). A timestamp without offset raises unless
    ``assume_utc``. Raises :class:`InvalidValue` on anything else.
    """
    if not isinstance(value, str):
        raise InvalidValue(f"{where} must be an ISO-8601 string")
    match = _ISO.fullmatch(value.strip())
    if match is None:
        raise InvalidValue(f"{where} is not an ISO-8601 timestamp")
    frac = match["frac"] or ""
    tz = match["tz"]
    if tz is not None and tz != "z" and match[0][10] != "t":
        # The usual case: datetime parses every form the pattern admits, except a lower-case t/z.
        try:
            return dt.datetime.fromisoformat(match[0]).astimezone(dt.UTC)
        except (ValueError, OverflowError) as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise InvalidValue(f"{where} is not a valid date/time: {exc}") from exc
    if tz is None:
        if not assume_utc:
            raise InvalidValue(f"{where} has no time zone offset")
        tz = "+00:00"
    elif tz in ("Z", "z"):
        tz = "+00:00"
    elif ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    text = f"{match['date']}T{match['time']}{'.' + frac[:6].ljust(6, '0') if frac else ''}{tz}"
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidValue(f"{where} is not a valid date/time: {exc}") from exc
