"""The top-10 board and the daily leaderboard post. Player names are escaped; nothing pings anyone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.core.text import escape, safe_name
from bot.db.records import Server
from bot.db.votes import Voter

MEDALS = ("🥇", "🥈", "🥉")
VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)


def voter_label(voter: Voter) -> str:
    if voter.member_id is not None:
        suffix = f" ({safe_name(voter.name)})" if voter.name else ""
        return f"<@{voter.member_id}>{suffix}"
    return safe_name(voter.name)


def ranking_lines(voters: Sequence[Voter]) -> str:
    lines = []
    for position, voter in enumerate(voters, start=1):
        mark = MEDALS[position - 1] if position <= len(MEDALS) else f"`{position:>2}.`"
        lines.append(f"{mark} {voter_label(voter)} — **{voter.votes}** {'vote' if voter.votes == 1 else 'votes'}")
    return "\n".join(lines) or "No votes yet."


def top10_embed(server: Server, month_key: str, voters: Sequence[Voter], now: dt.datetime) -> discord.Embed:
    embed = discord.Embed(
        title=f"Top voters of {escape(server.name)} — {month_key}",
        description=ranking_lines(voters),
        colour=VOTE_COLOUR,
        timestamp=now,
    )
    embed.set_footer(text="Last updated")
    return embed


def daily_embed(
    server: Server, day_key: str, yesterday: Sequence[Voter], month_key: str, month: Sequence[Voter]
) -> discord.Embed:
    embed = discord.Embed(title=f"Vote leaderboard of {escape(server.name)}", colour=VOTE_COLOUR)
    embed.add_field(name=f"Yesterday ({day_key})", value=ranking_lines(yesterday), inline=False)
    embed.add_field(name=f"This month ({month_key})", value=ranking_lines(month), inline=False)
    return embed


def role_refused_text(server: Server, role: int, reason: str) -> str:
    return (
        f"I can't hand out the top-voter role <@&{role}> of **{escape(server.name)}**: {reason}. "
        "I keep retrying; fix it in Server Settings → Roles or pick another role with /feature enable."
    )


def daily_refused_text(server: Server, channel_id: int, reason: str) -> str:
    return (
        f"I can't post the daily leaderboard of **{escape(server.name)}** in <#{channel_id}> ({reason}). "
        "I keep retrying for a few hours; fix my permissions there or pick another channel with /feature enable."
    )
