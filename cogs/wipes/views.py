"""The wipe calendar's announcements, notices, replies and listing. Titles and descriptions have their markdown
escaped; their mentions stay, as every post names the mentions it may ping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord
from discord.utils import escape_markdown, format_dt

from bot.core.text import escape
from bot.core.time import format_duration, zone
from cogs.wipes.repository import Wipe

WIPE_COLOUR = discord.Colour.from_rgb(230, 126, 34)
REPEAT_LABELS = {"none": "once", "weekly": "every week", "biweekly": "every two weeks", "monthly": "every month"}


def wipe_announcement(wipe: Wipe, occurrence: dt.datetime, kind: str, server_name: str) -> tuple[str, discord.Embed]:
    """The day-before reminder or the start, pinging only the feature's role (``only_role``), so outside text keeps
    its mentions and only markdown is escaped. The line says what and when; the embed adds only the rest."""
    title, server = escape_markdown(wipe.title), escape_markdown(server_name)
    if kind == "reminder":
        head = f"📅 **{title}** on **{server}** starts {format_dt(occurrence, 'R')} ({format_dt(occurrence)})."
    else:
        head = f"🚨 **{title}** on **{server}** is starting now!"
    embed = discord.Embed(colour=WIPE_COLOUR, description=escape_markdown(wipe.description)[:2000] or None)
    embed.add_field(name="Duration", value=format_duration(wipe.duration), inline=True)
    if wipe.repeat != "none":
        embed.add_field(name="Repeats", value=REPEAT_LABELS[wipe.repeat], inline=True)
    return head, embed


def wipe_notice(wipe: Wipe, told: dt.datetime, kind: str, server_name: str, new_start: dt.datetime | None) -> str:
    """The cancellation or move of a start members were told about: one line, posted without any ping."""
    title, server = escape_markdown(wipe.title), escape_markdown(server_name)
    if kind == "moved" and new_start is not None:
        return (
            f"🔁 **{title}** on **{server}** has been moved from {format_dt(told)} to {format_dt(new_start)} "
            f"({format_dt(new_start, 'R')})."
        )
    if wipe.repeat != "none":
        return (
            f"❌ **{title}** on **{server}**, planned for {format_dt(told)}, has been cancelled, "
            "and so have all its later dates."
        )
    return f"❌ **{title}** on **{server}**, planned for {format_dt(told)}, has been cancelled."


def local_time(at: dt.datetime, tz_name: str) -> str:
    """``2026-12-05 10:00 Europe/Berlin``: the time as the admin typed it, in the server's time zone."""
    return f"{at.astimezone(zone(tz_name)):%Y-%m-%d %H:%M} {tz_name}"


def planned_text(wipe: Wipe, tz_name: str) -> str:
    """The admin's answer to /wipe add. ``<t:…>`` shows in each reader's own time zone, so it is labelled so."""
    return (
        f"Planned wipe #{wipe.id} **{escape_markdown(wipe.title)}** for {local_time(wipe.starts_at, tz_name)} "
        f"({format_dt(wipe.starts_at, 'F')} in your time zone)."
    )


def moved_text(wipe: Wipe, tz_name: str, channel_id: int | None) -> str:
    """The admin's answer to /wipe move; the channel is the one members hear of the new time in."""
    if channel_id is None:
        return (
            f"Moved wipe #{wipe.id} **{escape_markdown(wipe.title)}** to {local_time(wipe.starts_at, tz_name)} "
            f"({format_dt(wipe.starts_at, 'F')} in your time zone)."
        )
    return (
        f"Moved wipe #{wipe.id} **{escape_markdown(wipe.title)}** to {local_time(wipe.starts_at, tz_name)} "
        f"({format_dt(wipe.starts_at, 'F')} in your time zone). If it was already announced, I'll post the new "
        f"time in <#{channel_id}>."
    )


def removed_text(wipe: Wipe, channel_id: int | None) -> str:
    """The admin's answer to /wipe remove."""
    if channel_id is None:
        return f"Removed wipe #{wipe.id} **{escape_markdown(wipe.title)}**."
    return (
        f"Removed wipe #{wipe.id} **{escape_markdown(wipe.title)}**. If it was already announced, I'll post in "
        f"<#{channel_id}> that it is cancelled."
    )


def wipe_list_embed(server_name: str, rows: Sequence[tuple[Wipe, dt.datetime]], tz_name: str) -> discord.Embed:
    embed = discord.Embed(title=f"Wipes of {escape(server_name)}", colour=WIPE_COLOUR)
    if not rows:
        embed.description = "No wipe is planned. Add one with /wipe add."
        return embed
    lines = [
        f"`#{w.id}` **{escape(w.title)}** — {format_dt(at)} ({format_dt(at, 'R')}) · {REPEAT_LABELS[w.repeat]}"
        + (" · from the listing site" if w.source == "api" else "")
        for w, at in rows
    ]
    embed.description = "\n".join(lines)[:4000]
    embed.set_footer(text=f"Times are entered in the server's time zone: {tz_name}")
    return embed
