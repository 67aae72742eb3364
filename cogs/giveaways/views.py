"""Giveaway posts, the persistent Enter button and winner announcements. Prizes have their markdown escaped and
keep their mentions: embeds never ping, and winner posts ping exactly the winners (``only_users``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import discord
from discord.utils import escape_markdown, format_dt

from bot.core.errors import UserError
from bot.core.interactions import safe_reply
from bot.core.text import escape
from cogs.giveaways.draws import EntryResult
from cogs.giveaways.repository import Giveaway

log = logging.getLogger(__name__)


def by_count(count: int, one: str, other: str, **values: Any) -> str:
    """The whole sentence for ``count`` (``{count}`` and ``values`` filled in): ``one`` for 1, else ``other``.

    Each message keeps its singular and plural forms side by side, whole, ready for a catalog's plural rules."""
    return (one if count == 1 else other).format(count=count, **values)


GIVEAWAY_COLOUR = discord.Colour.from_rgb(235, 69, 158)
ENDED_COLOUR = discord.Colour.dark_grey()


def giveaway_embed(
    giveaway: Giveaway, entries: int, server_name: str, winners: Sequence[int] = (), *, short: bool = False
) -> discord.Embed:
    """The giveaway post. Embeds never ping, so outside text keeps its mentions and only markdown is escaped."""
    running = giveaway.status == "running"
    embed = discord.Embed(
        title=f"🎉 Giveaway: {escape_markdown(giveaway.prize)}"[:256],
        colour=GIVEAWAY_COLOUR if running else ENDED_COLOUR,
    )
    lines = []
    hosted = by_count(
        giveaway.winner_count,
        "Hosted by <@{host}> · {count} winner",
        "Hosted by <@{host}> · {count} winners",
        host=giveaway.host_id,
    )
    if running:
        lines.append(f"Ends {format_dt(giveaway.ends_at, 'R')} ({format_dt(giveaway.ends_at)})")
        lines.append("Press **Enter** to join; press it again to leave.")
    elif giveaway.status == "cancelled":
        lines.append("This giveaway was cancelled.")
    else:
        lines.append(f"Ended {format_dt(giveaway.finished_at or giveaway.ends_at)}")
        if winners:
            lines.append("Winners: " + ", ".join(f"<@{w}>" for w in winners))
        else:
            lines.append("There were no eligible entries, so nobody won.")
        if short and winners:
            lines.append("There were fewer eligible entrants than winners, so everyone eligible won.")
        if not winners:
            hosted = f"Hosted by <@{giveaway.host_id}>"
        elif short:
            hosted = f"Hosted by <@{giveaway.host_id}> · {len(winners)} of {giveaway.winner_count} winners drawn"
        else:  # a reroll adds winners: the count shown is the one drawn
            hosted = by_count(
                len(winners),
                "Hosted by <@{host}> · {count} winner",
                "Hosted by <@{host}> · {count} winners",
                host=giveaway.host_id,
            )
    lines.append(hosted)
    embed.description = "\n".join(lines)
    requirements = []
    if giveaway.required_role_id:
        requirements.append(f"Role <@&{giveaway.required_role_id}>")
    if giveaway.require_vote:
        requirements.append(f"Voted for **{escape_markdown(server_name)}** this month")
    if requirements:
        embed.add_field(name="Requirements", value="\n".join(requirements), inline=False)
    if giveaway.voter_bonus:
        bonus = by_count(
            giveaway.voter_bonus,
            "Members who voted this month get {count} extra ticket.",
            "Members who voted this month get {count} extra tickets.",
        )
        embed.add_field(name="Bonus", value=bonus, inline=False)
    embed.add_field(name="Entrants", value=str(entries), inline=True)
    embed.set_footer(text=f"Giveaway #{giveaway.id}")
    return embed


def winners_text(giveaway: Giveaway, winners: Sequence[int], *, reroll: bool) -> str:
    """The public announcement replying to the giveaway post. It pings exactly the winners (``only_users``); how
    many could win stays in the post's embed, so a congratulation is only a congratulation. The allowed mentions
    keep a prize's mentions from pinging, so only its markdown is escaped."""
    prize = escape_markdown(giveaway.prize)
    if not winners:
        return (
            f"The giveaway for **{prize}** has ended with no eligible entries, so nobody won.\n"
            f"-# Giveaway #{giveaway.id}"
        )
    mentions = ", ".join(f"<@{w}>" for w in winners)
    if reroll:
        text = by_count(
            len(winners),
            "🎲 Reroll! The new winner is {mentions}: you won **{prize}**!",
            "🎲 Reroll! The new winners are {mentions}: you won **{prize}**!",
            mentions=mentions,
            prize=prize,
        )
    else:
        text = f"🎉 Congratulations {mentions}: you won **{prize}**!"
    return text + f"\n-# Giveaway #{giveaway.id}"


class GiveawayEnterButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"giveaways:enter:(?P<id>[0-9]{1,19})"
):
    """The Enter/Leave toggle; stateless, so it keeps working after a restart."""

    def __init__(self, giveaway_id: int, count: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                label=f"Enter · {count}",
                emoji="🎉",
                custom_id=f"giveaways:enter:{giveaway_id}",
            )
        )
        self.giveaway_id = giveaway_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> GiveawayEnterButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Any = interaction.client.get_cog("Giveaways")  # type: ignore[attr-defined]
        if cog is None:
            await safe_reply(interaction, "Giveaways are not available right now.")
            return
        roles = {r.id for r in getattr(interaction.user, "roles", [])}
        try:
            giveaway, result = await cog.service.toggle_entry(
                self.giveaway_id, interaction.guild_id, interaction.user.id, roles
            )
        except UserError as exc:
            await safe_reply(interaction, str(exc))
            return
        try:
            await interaction.response.edit_message(
                embed=giveaway_embed(giveaway, result.count, await cog.service.server_name(giveaway)),
                view=giveaway_view(giveaway.id, result.count),
            )
        except discord.HTTPException as exc:
            log.warning("giveaway %s: could not update the entry count: %s", giveaway.id, exc)
        await safe_reply(interaction, entry_text(result))


def entry_text(result: EntryResult) -> str:
    """The member's own answer: their tickets now and why, or that they left."""
    if not result.entered:
        return "You left the giveaway. Press the button again to enter."
    if result.bonus:  # two tickets or more: no singular form
        return (
            f"You're in! You have {result.tickets} tickets: 1 for entering and {result.bonus} for your votes this "
            "month. Press the button again to leave."
        )
    if result.voter_bonus:
        return by_count(
            result.voter_bonus,
            "You're in! You have 1 ticket. Vote for the server (/vote) before the giveaway ends to get "
            "{count} more ticket.",
            "You're in! You have 1 ticket. Vote for the server (/vote) before the giveaway ends to get "
            "{count} more tickets.",
        )
    return "You're in! You have 1 ticket. Press the button again to leave."


def ended_text(giveaway_id: int, winners: int) -> str:
    """The admin's answer to /giveaway end."""
    if not winners:
        return f"Giveaway #{giveaway_id} ended without a winner: there were no eligible entries."
    return by_count(
        winners, "Giveaway #{id} ended with 1 winner.", "Giveaway #{id} ended with {count} winners.", id=giveaway_id
    )


def rerolled_text(giveaway_id: int, winners: int) -> str:
    """The admin's answer to /giveaway reroll (a reroll always draws at least one)."""
    return by_count(
        winners,
        "Rerolled giveaway #{id}: 1 new winner.",
        "Rerolled giveaway #{id}: {count} new winners.",
        id=giveaway_id,
    )


def giveaway_view(giveaway_id: int, count: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(GiveawayEnterButton(giveaway_id, count))
    return view


def giveaway_list_embed(giveaways: Sequence[Giveaway]) -> discord.Embed:
    embed = discord.Embed(title="Giveaways", colour=GIVEAWAY_COLOUR)
    if not giveaways:
        embed.description = "No giveaways yet. Start one with /giveaway start."
        return embed
    lines = []
    for g in giveaways:
        when = f"ends {format_dt(g.ends_at, 'R')}" if g.status == "running" else f"{g.status}"
        lines.append(f"`#{g.id}` **{escape(g.prize)}** — {when} · <#{g.channel_id}>")
    embed.description = "\n".join(lines)[:4000]
    return embed


def pushed_winners_text(data: dict[str, Any]) -> tuple[str, list[int]]:
    """Announcement of a ``giveaway.winner`` event and the Discord ids it may ping."""
    names = []
    ids: list[int] = []
    for winner in data["winners"]:
        text = f"**{escape(winner['name'])}**"
        if winner.get("discord_id"):
            ids.append(int(winner["discord_id"]))
            text += f" (<@{int(winner['discord_id'])}>)"
        names.append(text)
    text = by_count(
        len(names),
        "🎉 Giveaway winner for **{prize}**: {names}. Congratulations!",
        "🎉 Giveaway winners for **{prize}**: {names}. Congratulations!",
        prize=escape(data["prize"]),
        names=", ".join(names),
    )
    return text[:2000], ids


def already_over_text(giveaway_id: int, status: str) -> str:
    if status == "cancelled":
        return f"Giveaway #{giveaway_id} was already cancelled."
    return f"Giveaway #{giveaway_id} has already ended; /giveaway reroll draws new winners."


def not_rerollable_text(giveaway_id: int, status: str) -> str:
    """Why /giveaway reroll refuses a giveaway that did not end with a draw."""
    if status == "cancelled":
        return f"Giveaway #{giveaway_id} was cancelled, so there are no winners to reroll."
    return f"Giveaway #{giveaway_id} is still running: end it with /giveaway end first, then reroll."
