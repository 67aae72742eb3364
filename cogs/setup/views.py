"""Embeds shown to members and admins. Outside text is escaped; nothing here pings anyone."""

from __future__ import annotations

import datetime as dt

import discord

from bot.core.features import FEATURES
from bot.db.records import FeatureSetting, Server, VoteRecord

VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)


def escape(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def vote_embed(
    server: Server, last_vote: VoteRecord | None, next_at: dt.datetime | None, now: dt.datetime
) -> discord.Embed:
    embed = discord.Embed(
        title=f"Vote for {escape(server.name)}",
        description="Every vote helps the server climb the rankings. Press the button to vote!",
        colour=VOTE_COLOUR,
    )
    if server.game:
        embed.add_field(name="Game", value=escape(server.game), inline=True)
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
    if remind:  # persistent "Remind me" (reminders:remind:<server_id>), handled by the reminders cog
        from cogs.leaderboards.views import RemindButton  # cogs.leaderboards.views imports this module

        view.add_item(RemindButton(server.id))
    return view


def servers_embed(servers: list[Server]) -> discord.Embed:
    embed = discord.Embed(title="Linked game servers", colour=VOTE_COLOUR)
    if not servers:
        embed.description = "No game server is linked yet. Add one with /setup server."
    for server in servers:
        flags = []
        if server.is_default:
            flags.append("default")
        flags.append("on" if server.enabled else "master switch off")
        lines = [f"ID `{server.id}` · {', '.join(flags)}", f"Vote: {escape(server.vote_url)}"]
        if server.game:
            lines.append(f"Game: {escape(server.game)}")
        if server.address:
            lines.append(f"Address: `{server.address}`")
        embed.add_field(name=escape(server.name), value="\n".join(lines), inline=False)
    return embed


def features_embed(server: Server, settings: list[FeatureSetting]) -> discord.Embed:
    by_name = {s.feature: s for s in settings}
    embed = discord.Embed(
        title=f"Features of {escape(server.name)}",
        description=f"Master switch: **{'on' if server.enabled else 'off'}**"
        + ("" if server.enabled else " — every feature is paused."),
        colour=VOTE_COLOUR if server.enabled else discord.Colour.dark_grey(),
    )
    lines = []
    for name, spec in FEATURES.items():
        setting = by_name.get(name)
        state = "✅ on" if setting and setting.enabled else "⬜ off"
        extras = []
        if setting and setting.channel_id:
            extras.append(f"<#{setting.channel_id}>")
        if setting and setting.role_id:
            extras.append(f"<@&{setting.role_id}>")
        lines.append(f"{state} `{name}` — {spec.label}{(' · ' + ' '.join(extras)) if extras else ''}")
    embed.add_field(name="Features", value="\n".join(lines), inline=False)
    return embed
