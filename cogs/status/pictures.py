"""The status picture: players over the last 24 hours above an uptime strip of the last 7 days (``/status`` and,
as a setting, the status board).

Built only from whole hours that are over (up to the start of the current UTC hour), so it changes at most once
an hour. The strip has one row per local day in the server's zone (oldest on top, the day of the last whole hour
at the bottom) and one cell per local hour: a day that skips an hour when the clocks go forward has no cell
there, and the hour that repeats when they go back is one cell made of both. A cell is

- **down** when the server did not answer for at least :data:`DOWN_AFTER_S` seconds of it (a confirmed outage is
  about that long: a few failed checks in a row, rechecked every 15 s; a single lost answer is not). A known
  outage shows even when the bot was not checking for part of the hour;
- otherwise **unknown** when less than half of it is covered by checks (the bot was not running, the server was
  not monitored yet, or it is before monitoring started) — unknown is never drawn as down;
- otherwise **up**.

The players line has one point per hour, that hour's most players; an hour in which no check got an answer with
a player count is a gap, never a zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core.charts import Chart, Panels, Series, Value
from bot.core.i18n import _, hour_label, number_marks, p_, short_date
from bot.core.time import local_midnight
from cogs.status.repository import HourStats

HOUR = dt.timedelta(hours=1)
PLAYER_HOURS = 24
STRIP_DAYS = 7
DOWN_AFTER_S = 60.0
UP, DOWN, UNKNOWN = 1.0, 0.0, -1.0  # the strip's values (bot.core.charts)
WIDTH, HEIGHT = 800, 600  # pixels; the players above (1), the strip below (1.2)


def hour_start(moment: dt.datetime) -> dt.datetime:
    """The start of the UTC hour ``moment`` is in: the end of the history a picture shows."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def strip_days(end: dt.datetime, tz: ZoneInfo) -> list[dt.date]:
    """The strip's local days, oldest first: the day of the last whole hour before ``end`` and the six before it."""
    last = (end - HOUR).astimezone(tz).date()
    return [last - dt.timedelta(days=back) for back in range(STRIP_DAYS - 1, -1, -1)]


def history_start(end: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Where the history a picture needs starts (a UTC hour): the strip's first local midnight or 24 hours back."""
    first = local_midnight(strip_days(end, tz)[0], tz)
    return hour_start(min(first, end - PLAYER_HOURS * HOUR))


def classify(hours: Sequence[HourStats], length_s: float = 3600.0) -> float:
    """One strip cell made of ``hours`` (one UTC hour, or two when the clocks go back) lasting ``length_s``."""
    down = sum(h.down_s for h in hours)
    known = sum(h.known_s for h in hours)
    if down >= DOWN_AFTER_S:
        return DOWN
    if known < length_s / 2:
        return UNKNOWN
    return UP


def _by_hour(hours: Sequence[HourStats], start: dt.datetime, end: dt.datetime) -> list[HourStats]:
    """Every UTC hour from ``start`` to ``end`` (exclusive), an empty one where nothing was recorded."""
    found = {h.hour.astimezone(dt.UTC): h for h in hours}
    count = int((end - start) / HOUR)
    return [found.get(start + n * HOUR) or HourStats(start + n * HOUR) for n in range(count)]


def players_per_hour(hours: Sequence[HourStats], end: dt.datetime) -> list[tuple[dt.datetime, int | None]]:
    """The last 24 whole hours before ``end`` and each one's most players (None: nobody answered with a count)."""
    return [(h.hour, h.peak_players) for h in _by_hour(hours, end - PLAYER_HOURS * HOUR, end)]


def uptime_cells(hours: Sequence[HourStats], end: dt.datetime, tz: ZoneInfo) -> list[tuple[dt.date, list[Value]]]:
    """Each strip day and its 24 local hours: up, down, unknown, or None where there is no such hour (the clocks
    went forward) or it is not over yet."""
    days = strip_days(end, tz)
    cells: dict[tuple[dt.date, int], list[HourStats]] = {}
    for stats in _by_hour(hours, history_start(end, tz), end):
        local = stats.hour.astimezone(tz)  # a zone 30 minutes off UTC: the local hour the UTC hour starts in
        cells.setdefault((local.date(), local.hour), []).append(stats)

    def cell(day: dt.date, hour: int) -> Value:
        found = cells.get((day, hour))
        return classify(found, 3600.0 * len(found)) if found else None

    return [(day, [cell(day, hour) for hour in range(24)]) for day in days]


def status_picture(hours: Sequence[HourStats], end: dt.datetime, tz: ZoneInfo, zone_name: str) -> Panels:
    """The picture's charts, in the language in force (titles, legend, hour and day labels, numbers)."""
    decimal, group = number_marks()
    points = players_per_hour(hours, end)
    if any(players is not None for _hour, players in points):
        # Translators: drawn instead of the players chart when every check of the last 24 hours found nobody.
        empty = _("No players in the last 24 hours")
    else:
        # Translators: drawn instead of the players chart when the server was not checked in the last 24 hours.
        empty = _("No data for the last 24 hours yet")
    players = Chart(
        "line",
        tuple(hour_label(hour.astimezone(tz)) for hour, _players in points),
        (Series("", tuple(None if p is None else float(p) for _hour, p in points)),),
        # Translators: title of the players chart of /status and the status board: one point per hour.
        title=_("Players, last 24 hours (most at once each hour)"),
        empty_text=empty,
        decimal=decimal,
        group=group,
        max_ticks=8,
    )
    midnight = dt.datetime.combine(end.astimezone(tz).date(), dt.time(), tzinfo=tz)
    uptime = Chart(
        "strip",
        tuple(hour_label(midnight.replace(hour=h)) for h in range(24)),
        tuple(Series(short_date(day), tuple(values)) for day, values in uptime_cells(hours, end, tz)),
        # Translators: title of the uptime strip of /status and the status board; {zone} is a time zone name
        # such as Europe/Paris (the hours below are in it).
        title=_("Uptime, last 7 days (hours in {zone})", zone=zone_name.replace("_", " ")),
        # Translators: the uptime strip's legend: the server answered / did not answer / nobody was checking.
        legend=(p_("uptime", "Up"), p_("uptime", "Down"), _("Unknown (not checked)")),
        max_ticks=8,
    )
    return Panels((players, uptime), ratios=(1.0, 1.2), width=WIDTH, height=HEIGHT)


def picture_description() -> str:
    """The picture's alt text, in the language in force."""
    # Translators: alt text of the status picture (for screen readers).
    return _("Players over the last 24 hours and uptime over the last 7 days")
