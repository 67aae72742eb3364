"""The wipe calendar's announcements and listing. Titles and descriptions are escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord
from discord.utils import format_dt

from bot.core.text import escape
from bot.core.time import format_duration
from cogs.wipes.repository import Wipe

WIPE_COLOUR = discord.Colour.from_rgb(230, 126, 34)
REPEAT_LABELS = {"none": "once", "weekly": "every week", "biweekly": "every two weeks", "monthly": "every month"}


def wipe_announcement(wipe: Wipe, occurrence: dt.datetime, kind: str, server_name: str) -> tuple[str, discord.Embed]:
    title = escape(wipe.title)
    if kind == "reminder":
        when = f"{format_dt(occurrence, 'R')} ({format_dt(occurrence)})"
        head = f"📅 **{title}** on **{escape(server_name)}** starts {when}."
    else:
        head = f"🚨 **{title}** on **{escape(server_name)}** is starting now!"
    embed = discord.Embed(title=title[:256], colour=WIPE_COLOUR, description=escape(wipe.description)[:2000] or None)
    embed.add_field(name="Starts", value=format_dt(occurrence), inline=True)
    embed.add_field(name="Duration", value=format_duration(wipe.duration), inline=True)
    if wipe.repeat != "none":
        embed.add_field(name="Repeats", value=REPEAT_LABELS[wipe.repeat], inline=True)
    return head, embed


def wipe_notice(
    wipe: Wipe, told: dt.datetime, kind: str, server_name: str, new_start: dt.datetime | None
) -> tuple[str, discord.Embed]:
    """The cancellation or move of a start members were told about (posted without a ping)."""
    title, server = escape(wipe.title), escape(server_name)
    embed = discord.Embed(title=title[:256], colour=WIPE_COLOUR)
    embed.add_field(name="Was announced for", value=format_dt(told), inline=True)
    if kind == "moved" and new_start is not None:
        head = (
            f"🔁 **{title}** on **{server}** has moved: it no longer starts {format_dt(told)}, "
            f"but {format_dt(new_start, 'R')} ({format_dt(new_start)})."
        )
        embed.add_field(name="Now starts", value=format_dt(new_start), inline=True)
    elif wipe.repeat != "none":
        head = f"❌ **{title}** on **{server}**, announced for {format_dt(told)}, is cancelled, and so are its repeats."
    else:
        head = f"❌ **{title}** on **{server}**, announced for {format_dt(told)}, is cancelled."
    return head, embed


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
