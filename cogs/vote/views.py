"""The /vote card: the vote button, the member's last vote and when they may vote again."""

from __future__ import annotations

import datetime as dt

import discord

from bot.core.components import remind_me_button
from bot.core.games import game_name
from bot.core.text import escape
from bot.db.records import Server, VoteRecord

VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)


def vote_embed(
    server: Server, last_vote: VoteRecord | None, next_at: dt.datetime | None, now: dt.datetime
) -> discord.Embed:
    embed = discord.Embed(
        title=f"Vote for {escape(server.name)}",
        description="Every vote helps the server climb the rankings. Press the button to vote!",
        colour=VOTE_COLOUR,
    )
    if server.game:
        embed.add_field(name="Game", value=escape(game_name(server.game)), inline=True)
    if last_vote is not None:
        embed.add_field(name="Your last vote", value=discord.utils.format_dt(last_vote.voted_at, "R"), inline=True)
        if next_at is not None and next_at > now:
            embed.add_field(
                name="Next vote",
                value=f"You can vote again {discord.utils.format_dt(next_at, 'R')} "
                f"({discord.utils.format_dt(next_at, 't')}).",
                inline=False,
            )
        else:
            embed.add_field(name="Next vote", value="You can vote now.", inline=False)
    return embed


def vote_view(server: Server, *, remind: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label="Vote now", url=server.vote_url, emoji="🗳️"))
    if remind:  # handled by the reminders feature
        view.add_item(remind_me_button(server.id))
    return view
