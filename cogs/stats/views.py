"""The embeds and texts of /stats and /stats-admin post, in the language in force."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.core.i18n import _, n_, number
from bot.core.messaging import Picture
from bot.core.text import escape
from bot.votes.figures import change_parts, month_label

if TYPE_CHECKING:
    from cogs.stats.service import MemberStats, ServerStats

STATS_COLOUR = discord.Colour.blurple()


def place_text(place: int, count: int) -> str:
    # Translators: a place in a ranking, e.g. "#3 of 12" (ties share a place).
    return _("#{place} of {count}", place=number(place), count=number(count))


def change_text(stats: ServerStats) -> str:
    """The change against the same days of last month, and last month's total."""
    headline, detail = change_parts(stats.figures)
    return f"**{headline}**\n{detail}"


def server_embed(stats: ServerStats, picture: Picture) -> discord.Embed:
    embed = discord.Embed(
        # Translators: the title of /stats server; {server} is the game server's name.
        title=_("Votes for {server}", server=escape(stats.server.name)),
        description=n_(
            "Votes per day over the last {count} day, by listing site.",
            "Votes per day over the last {count} days, by listing site.",
            len(stats.days),
        ),
        colour=STATS_COLOUR,
    )
    month = month_label(stats.month)
    # Translators: a field name of /stats server; {month} e.g. "November 2026".
    embed.add_field(name=_("Votes in {month}", month=month), value=f"**{number(stats.total)}**")
    rank_name = (
        # Translators: a field name of /stats server; {category} is the server's category (e.g. "Survival").
        _("Rank in {category}", category=escape(stats.server.category))
        if stats.server.category
        # Translators: a field name of /stats server: the rank among the servers without a category.
        else _("Rank")
    )
    embed.add_field(name=rank_name, value=place_text(stats.rank, stats.ranked))
    # Translators: a field name of /stats server: this month so far against the same days of last month.
    embed.add_field(name=_("Against last month"), value=change_text(stats), inline=False)
    embed.set_image(url=picture.url)
    return embed


def member_embed(stats: MemberStats, picture: Picture | None) -> discord.Embed:
    month = month_label(stats.month)
    embed = discord.Embed(
        # Translators: the title of /stats me; {server} is the game server's name.
        title=_("Your votes for {server}", server=escape(stats.server.name)),
        colour=STATS_COLOUR,
    )
    # Translators: a field name of /stats me; {month} e.g. "November 2026".
    embed.add_field(name=_("Votes in {month}", month=month), value=f"**{number(stats.points)}**")
    place = place_text(stats.place, stats.voters) if stats.place is not None else "—"
    # Translators: a field name of /stats me: the member's place among this month's voters.
    embed.add_field(name=_("Your place this month"), value=place)
    if picture is not None:
        embed.set_image(url=picture.url)
    return embed


def no_votes_text(stats: MemberStats) -> str:
    return _(
        "You haven’t voted for **{server}** in {month} yet. Vote with /vote: your votes and your place among this "
        "month’s voters then show up here. If you vote under your in-game name, link it first with /link.",
        server=escape(stats.server.name),
        month=month_label(stats.month),
    )


def posted_text(server_name: str, channel: str, link: str) -> str:
    # Translators: {channel} is a channel mention, {link} the posted message's link.
    return _(
        "Posted the vote statistics of **{server}** in {channel}: {link}",
        server=escape(server_name),
        channel=channel,
        link=link,
    )


def unreachable_text(channel: str, reason: str) -> str:
    # Translators: {channel} is a channel mention; {reason} says why, e.g. "Discord refused access (…)".
    return _("I couldn’t post in {channel}: {reason}.", channel=channel, reason=reason)
