"""Messages and persistent buttons of the engagement features. Names are escaped; nothing pings by default."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core.text import safe_name
from bot.db.engagement import Voter
from cogs.setup.views import VOTE_COLOUR, escape

if TYPE_CHECKING:
    from bot.db.records import Server

MEDALS = ("🥇", "🥈", "🥉")


class RemindButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"reminders:remind:(?P<server_id>[0-9]+)"):
    """ "Remind me" on /vote and thank-you messages; survives restarts (state is the server id + the DB)."""

    def __init__(self, server_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Remind me",
                emoji="⏰",
                style=discord.ButtonStyle.secondary,
                custom_id=f"reminders:remind:{server_id}",
            )
        )
        self.server_id = server_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RemindButton:
        return cls(int(match["server_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Any = interaction.client.get_cog("Reminders")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("Reminders are not available right now.", ephemeral=True)
            return
        await cog.remind_me(interaction, self.server_id)


def remind_view(server_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RemindButton(server_id))
    return view


def voter_label(voter: Voter) -> str:
    if voter.member_id is not None:
        suffix = f" ({safe_name(voter.name)})" if voter.name else ""
        return f"<@{voter.member_id}>{suffix}"
    return safe_name(voter.name)


def thank_you_text(server: Server, player_name: str | None, member_id: int | None, ping: bool, points: int) -> str:
    who = f"<@{member_id}>" if member_id is not None and ping else f"**{safe_name(player_name)}**"
    text = f"🎉 Thank you {who} for voting for **{escape(server.name)}**!"
    if member_id is not None:
        text += f" You now have **{points}** vote point{'s' if points != 1 else ''}."
    return text


def ranking_lines(voters: Sequence[Voter]) -> str:
    lines = []
    for position, voter in enumerate(voters, start=1):
        mark = MEDALS[position - 1] if position <= len(MEDALS) else f"`{position:>2}.`"
        lines.append(f"{mark} {voter_label(voter)} — **{voter.votes}** vote{'s' if voter.votes != 1 else ''}")
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
