"""The /vote card: the vote button, the member's last vote and when they may vote again."""

from __future__ import annotations

import datetime as dt

import discord

from bot.core.components import remind_me_button
from bot.core.games import game_name
from bot.core.i18n import _
from bot.core.text import escape
from bot.db.records import Server, VoteRecord

VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)


def vote_embed(
    server: Server, last_vote: VoteRecord | None, next_at: dt.datetime | None, now: dt.datetime
) -> discord.Embed:
    embed = discord.Embed(
        title=_("Vote for {server}", server=escape(server.name)),
        description=_("Every vote helps the server climb the rankings. Press the button to vote!"),
        colour=VOTE_COLOUR,
    )
    if server.game:
        # Translators: field name on the /vote card; the value is the game's name.
        embed.add_field(name=_("Game"), value=escape(game_name(server.game)), inline=True)
    if last_vote is not None:
        # Translators: field name on the /vote card; the value is a relative time ("2 hours ago").
        embed.add_field(name=_("Your last vote"), value=discord.utils.format_dt(last_vote.voted_at, "R"), inline=True)
        if next_at is not None and next_at > now:
            embed.add_field(
                # Translators: field name on the /vote card: when the member may vote again.
                name=_("Next vote"),
                # Translators: {relative} is a Discord relative time ("in 3 hours"), {time} a clock time.
                value=_(
                    "You can vote again {relative} ({time}).",
                    relative=discord.utils.format_dt(next_at, "R"),
                    time=discord.utils.format_dt(next_at, "t"),
                ),
                inline=False,
            )
        else:
            # Translators: field name on the /vote card: when the member may vote again.
            embed.add_field(name=_("Next vote"), value=_("You can vote now."), inline=False)
    return embed


def vote_view(server: Server, *, remind: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            style=discord.ButtonStyle.link,
            # Translators: link button on the /vote card; opens the server's vote page.
            label=_("Vote now"),
            url=server.vote_url,
            emoji="🗳️",
        )
    )
    if remind:  # handled by the reminders feature
        view.add_item(remind_me_button(server.id))
    return view
