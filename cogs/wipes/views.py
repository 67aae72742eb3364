"""The wipe calendar's announcements, notices, replies and listing. Titles and descriptions have their markdown
escaped; their mentions stay, as every post names the mentions it may ping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord
from discord.utils import escape_markdown, format_dt

from bot.core.i18n import N_, _
from bot.core.text import escape
from bot.core.time import format_duration, zone
from cogs.wipes.repository import Wipe

WIPE_COLOUR = discord.Colour.from_rgb(230, 126, 34)
REPEAT_LABELS = {
    # Translators: how often a planned wipe repeats (its announcement and /wipe list): it does not repeat.
    "none": N_("once"),
    # Translators: how often a planned wipe repeats (its announcement and /wipe list).
    "weekly": N_("every week"),
    # Translators: how often a planned wipe repeats (its announcement and /wipe list).
    "biweekly": N_("every two weeks"),
    # Translators: how often a planned wipe repeats (its announcement and /wipe list).
    "monthly": N_("every month"),
}


def wipe_announcement(wipe: Wipe, occurrence: dt.datetime, kind: str, server_name: str) -> tuple[str, discord.Embed]:
    """The day-before reminder or the start, pinging only the feature's role (``only_role``), so outside text keeps
    its mentions and only markdown is escaped. The line says what and when; the embed adds only the rest."""
    title, server = escape_markdown(wipe.title), escape_markdown(server_name)
    if kind == "reminder":
        # Translators: the day-before reminder of a wipe; {title} is the wipe's own title (e.g. "Monthly wipe"),
        # {relative} shows as e.g. "in 24 hours" and {when} as a date and time, both in each reader's time zone.
        head = _("📅 **{title}** on **{server}** starts {relative} ({when}).", title=title, server=server,
                 relative=format_dt(occurrence, "R"), when=format_dt(occurrence))  # fmt: skip
    else:
        # Translators: posted when a wipe starts; {title} is the wipe's own title (e.g. "Monthly wipe").
        head = _("🚨 **{title}** on **{server}** is starting now!", title=title, server=server)
    embed = discord.Embed(colour=WIPE_COLOUR, description=escape_markdown(wipe.description)[:2000] or None)
    # Translators: field name of a wipe announcement: how long the wipe takes.
    embed.add_field(name=_("Duration"), value=format_duration(wipe.duration), inline=True)
    if wipe.repeat != "none":
        # Translators: field name of a wipe announcement: how often the wipe repeats ("every week").
        embed.add_field(name=_("Repeats"), value=_(REPEAT_LABELS[wipe.repeat]), inline=True)
    return head, embed


def wipe_notice(wipe: Wipe, told: dt.datetime, kind: str, server_name: str, new_start: dt.datetime | None) -> str:
    """The cancellation or move of a start members were told about: one line, posted without any ping."""
    title, server = escape_markdown(wipe.title), escape_markdown(server_name)
    if kind == "moved" and new_start is not None:
        # Translators: {old} and {new} show as dates and times, {relative} as e.g. "in 3 days".
        return _(
            "🔁 **{title}** on **{server}** has been moved from {old} to {new} ({relative}).",
            title=title,
            server=server,
            old=format_dt(told),
            new=format_dt(new_start),
            relative=format_dt(new_start, "R"),
        )
    if wipe.repeat != "none":
        # Translators: {when} shows as a date and time in each reader's time zone.
        return _(
            "❌ **{title}** on **{server}**, planned for {when}, has been cancelled, and so have all its later dates.",
            title=title,
            server=server,
            when=format_dt(told),
        )
    # Translators: {when} shows as a date and time in each reader's time zone.
    return _(
        "❌ **{title}** on **{server}**, planned for {when}, has been cancelled.",
        title=title,
        server=server,
        when=format_dt(told),
    )


def local_time(at: dt.datetime, tz_name: str) -> str:
    """``2026-12-05 10:00 Europe/Berlin``: the time as the admin typed it, in the server's time zone."""
    return f"{at.astimezone(zone(tz_name)):%Y-%m-%d %H:%M} {tz_name}"


def planned_text(wipe: Wipe, tz_name: str) -> str:
    """The admin's answer to /wipe add. ``<t:…>`` shows in each reader's own time zone, so it is labelled so."""
    # Translators: {local} is e.g. "2026-12-05 10:00 Europe/Berlin" (the server's time zone), {when} the same time
    # as each reader's Discord shows it.
    return _(
        "Planned wipe #{id} **{title}** for {local} ({when} in your time zone).",
        id=str(wipe.id),
        title=escape_markdown(wipe.title),
        local=local_time(wipe.starts_at, tz_name),
        when=format_dt(wipe.starts_at, "F"),
    )


def moved_text(wipe: Wipe, tz_name: str, channel_id: int | None) -> str:
    """The admin's answer to /wipe move; the channel is the one members hear of the new time in."""
    params = {
        "id": str(wipe.id),
        "title": escape_markdown(wipe.title),
        "local": local_time(wipe.starts_at, tz_name),
        "when": format_dt(wipe.starts_at, "F"),
    }
    channel = f"<#{channel_id}>"
    if channel_id is None:
        # Translators: {local} is e.g. "2026-12-05 10:00 Europe/Berlin" (the server's time zone), {when} the same
        # time as each reader's Discord shows it.
        return _("Moved wipe #{id} **{title}** to {local} ({when} in your time zone).", **params)
    # Translators: {local} is e.g. "2026-12-05 10:00 Europe/Berlin" (the server's time zone), {when} the same time
    # as each reader's Discord shows it; {channel} is the wipe channel.
    return _(
        "Moved wipe #{id} **{title}** to {local} ({when} in your time zone). If it was already announced, I'll post "
        "the new time in {channel}.",
        channel=channel,
        **params,
    )


def removed_text(wipe: Wipe, channel_id: int | None) -> str:
    """The admin's answer to /wipe remove."""
    title, channel = escape_markdown(wipe.title), f"<#{channel_id}>"
    if channel_id is None:
        return _("Removed wipe #{id} **{title}**.", id=str(wipe.id), title=title)
    return _(
        "Removed wipe #{id} **{title}**. If it was already announced, I'll post in {channel} that it is cancelled.",
        id=str(wipe.id),
        title=title,
        channel=channel,
    )


def wipe_list_embed(server_name: str, rows: Sequence[tuple[Wipe, dt.datetime]], tz_name: str) -> discord.Embed:
    # Translators: title of /wipe list.
    embed = discord.Embed(title=_("Wipes of {server}", server=escape(server_name)), colour=WIPE_COLOUR)
    if not rows:
        embed.description = _("No wipe is planned. Add one with /wipe add.")
        return embed
    lines = []
    for w, at in rows:
        line = (
            f"`#{w.id}` **{escape(w.title)}** — {format_dt(at)} ({format_dt(at, 'R')}) · {_(REPEAT_LABELS[w.repeat])}"
        )
        if w.source == "api":
            # Translators: appended to a line of /wipe list: the wipe was planned by the server listing website.
            line += " · " + _("from the listing site")
        lines.append(line)
    embed.description = "\n".join(lines)[:4000]
    # Translators: footer of /wipe list; {timezone} is e.g. "Europe/Berlin".
    embed.set_footer(text=_("Times are entered in the server's time zone: {timezone}", timezone=tz_name))
    return embed
