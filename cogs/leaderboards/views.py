"""The top-10 board and the daily leaderboard post. Player names are escaped; nothing pings anyone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import discord

from bot.core.people import Person, Presence
from bot.core.text import escape, safe_name
from bot.core.time import day_label, month_label
from bot.db.records import Server
from bot.db.votes import Voter

MEDALS = ("🥇", "🥈", "🥉")
VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)
FORMER_MEMBER = "a former member"  # a voter Discord no longer knows (deleted account)


def voter_label(voter: Voter, people: Mapping[int, Person]) -> str:
    """A member still in the guild is mentioned (Discord shows their name); anyone else is named in plain text."""
    suffix = f" ({safe_name(voter.name)})" if voter.name else ""
    if voter.member_id is None:
        return safe_name(voter.name)
    person = people.get(voter.member_id)
    if person is None or person.presence in (Presence.MEMBER, Presence.UNCHECKED):
        return f"<@{voter.member_id}>{suffix}"
    if person.presence is Presence.OUTSIDER and person.name:
        return f"{safe_name(person.name, FORMER_MEMBER)}{suffix}"
    return f"{FORMER_MEMBER}{suffix}"


def ranking_lines(voters: Sequence[Voter], people: Mapping[int, Person], empty: str) -> str:
    lines = []
    for position, voter in enumerate(voters, start=1):
        mark = MEDALS[position - 1] if position <= len(MEDALS) else f"`{position:>2}.`"
        lines.append(
            f"{mark} {voter_label(voter, people)} — **{voter.votes}** {'vote' if voter.votes == 1 else 'votes'}"
        )
    return "\n".join(lines) or empty


def top10_embed(
    server: Server, month_key: str, voters: Sequence[Voter], now: dt.datetime, people: Mapping[int, Person]
) -> discord.Embed:
    month = month_label(month_key)
    embed = discord.Embed(
        title=f"Top voters of {escape(server.name)} — {month}",
        description=ranking_lines(voters, people, f"No votes yet in {month}."),
        colour=VOTE_COLOUR,
        timestamp=now,
    )
    embed.set_footer(text="Last updated")
    return embed


def daily_embed(
    server: Server,
    day_key: str,
    yesterday: Sequence[Voter],
    month_key: str,
    month: Sequence[Voter],
    *,
    month_over: bool,
    people: Mapping[int, Person],
) -> discord.Embed:
    """Day D's post: D-1's voters, and the month of D-1 — so far, or its final standings when D is the 1st."""
    embed = discord.Embed(title=f"{escape(server.name)} vote leaderboard", colour=VOTE_COLOUR)
    embed.add_field(
        name=f"Yesterday ({day_label(day_key)})",
        value=ranking_lines(yesterday, people, "No votes were cast yesterday."),
        inline=False,
    )
    name = month_label(month_key)
    if month_over:
        title, empty = f"{name} — final standings", f"No votes were cast in {name}."
    else:
        title, empty = f"{name} so far", f"No votes yet in {name}."
    embed.add_field(name=title, value=ranking_lines(month, people, empty), inline=False)
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


def settings_text(server: Server, refresh_minutes: int, post_time: str, ties: str, *, changed: bool = True) -> str:
    """The reply to /leaderboards settings: what is now in force (and whether anything was just saved)."""
    winners = "everyone tied for the most votes" if ties == "all" else "only the first to reach the most votes"
    every = "every minute" if refresh_minutes == 1 else f"every {refresh_minutes} minutes"
    lead = "saved" if changed else "(nothing changed: give an option to change it)"
    return (
        f"Leaderboard settings of **{escape(server.name)}** {lead}: the live top-10 board refreshes {every}, "
        f"the daily post goes out at {post_time} ({server.timezone}), and on a tie the top-voter role goes to "
        f"{winners}."
    )
