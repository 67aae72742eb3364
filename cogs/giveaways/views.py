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
from bot.core.i18n import N_, _, n_, number
from bot.core.interactions import safe_reply
from bot.core.text import escape
from cogs.giveaways.draws import EntryResult
from cogs.giveaways.repository import Giveaway

log = logging.getLogger(__name__)

GIVEAWAY_COLOUR = discord.Colour.from_rgb(235, 69, 158)
ENDED_COLOUR = discord.Colour.dark_grey()


def footer(giveaway_id: int) -> str:
    # Translators: the small print under a giveaway post and its winner announcement.
    return _("Giveaway #{id}", id=giveaway_id)


def giveaway_embed(
    giveaway: Giveaway, entries: int, server_name: str, winners: Sequence[int] = (), *, short: bool = False
) -> discord.Embed:
    """The giveaway post. Embeds never ping, so outside text keeps its mentions and only markdown is escaped."""
    running = giveaway.status == "running"
    embed = discord.Embed(
        title=_("🎉 Giveaway: {prize}", prize=escape_markdown(giveaway.prize))[:256],
        colour=GIVEAWAY_COLOUR if running else ENDED_COLOUR,
    )
    lines = []
    host = str(giveaway.host_id)
    hosted = n_(
        "Hosted by <@{host}> · {count} winner",
        "Hosted by <@{host}> · {count} winners",
        giveaway.winner_count,
        host=host,
    )
    if running:
        lines.append(
            _(
                "Ends {relative} ({date})",
                relative=format_dt(giveaway.ends_at, "R"),
                date=format_dt(giveaway.ends_at),
            )
        )
        # Translators: "Enter" is the label of the button under the giveaway post.
        lines.append(_("Press **Enter** to join; press it again to leave."))
    elif giveaway.status == "cancelled":
        lines.append(_("This giveaway was cancelled."))
    else:
        lines.append(_("Ended {date}", date=format_dt(giveaway.finished_at or giveaway.ends_at)))
        if winners:
            lines.append(_("Winners: {mentions}", mentions=", ".join(f"<@{w}>" for w in winners)))
        else:
            lines.append(_("There were no eligible entries, so nobody won."))
        if short and winners:
            lines.append(_("There were fewer eligible entrants than winners, so everyone eligible won."))
        if not winners:
            hosted = _("Hosted by <@{host}>", host=host)
        elif short:
            hosted = n_(
                "Hosted by <@{host}> · {drawn} of {count} winner drawn",
                "Hosted by <@{host}> · {drawn} of {count} winners drawn",
                giveaway.winner_count,
                host=host,
                drawn=number(len(winners)),
            )
        else:  # a reroll adds winners: the count shown is the one drawn
            hosted = n_(
                "Hosted by <@{host}> · {count} winner", "Hosted by <@{host}> · {count} winners", len(winners), host=host
            )
    lines.append(hosted)
    embed.description = "\n".join(lines)
    requirements = []
    if giveaway.required_role_id:
        # Translators: one requirement of a giveaway, listed under "Requirements".
        requirements.append(_("Role <@&{role}>", role=giveaway.required_role_id))
    if giveaway.require_vote:
        # Translators: one requirement of a giveaway, listed under "Requirements".
        requirements.append(_("Voted for **{server}** this month", server=escape_markdown(server_name)))
    if requirements:
        # Translators: field name on the giveaway post.
        embed.add_field(name=_("Requirements"), value="\n".join(requirements), inline=False)
    if giveaway.voter_bonus:
        bonus = n_(
            "Members who voted this month get {count} extra ticket.",
            "Members who voted this month get {count} extra tickets.",
            giveaway.voter_bonus,
        )
        # Translators: field name on the giveaway post (extra tickets for voters).
        embed.add_field(name=_("Bonus"), value=bonus, inline=False)
    # Translators: field name on the giveaway post; its value is how many members entered.
    embed.add_field(name=_("Entrants"), value=number(entries), inline=True)
    embed.set_footer(text=footer(giveaway.id))
    return embed


def winners_text(giveaway: Giveaway, winners: Sequence[int], *, reroll: bool) -> str:
    """The public announcement replying to the giveaway post. It pings exactly the winners (``only_users``); how
    many could win stays in the post's embed, so a congratulation is only a congratulation. The allowed mentions
    keep a prize's mentions from pinging, so only its markdown is escaped."""
    prize = escape_markdown(giveaway.prize)
    if not winners:
        text = _("The giveaway for **{prize}** has ended with no eligible entries, so nobody won.", prize=prize)
        return text + "\n-# " + footer(giveaway.id)
    mentions = ", ".join(f"<@{w}>" for w in winners)
    if reroll:
        text = n_(
            "🎲 Reroll! The new winner is {mentions}: you won **{prize}**!",
            "🎲 Reroll! The new winners are {mentions}: you won **{prize}**!",
            len(winners),
            mentions=mentions,
            prize=prize,
        )
    else:
        text = _("🎉 Congratulations {mentions}: you won **{prize}**!", mentions=mentions, prize=prize)
    return text + "\n-# " + footer(giveaway.id)


class GiveawayEnterButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"giveaways:enter:(?P<id>[0-9]{1,19})"
):
    """The Enter/Leave toggle; stateless, so it keeps working after a restart."""

    def __init__(self, giveaway_id: int, count: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                # Translators: the button under the giveaway post (joins or leaves the draw) and how many entered.
                label=_("Enter · {count}", count=number(count)),
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
            await safe_reply(interaction, _("Giveaways are not available right now."))
            return
        roles = {r.id for r in getattr(interaction.user, "roles", [])}
        try:
            giveaway, result = await cog.service.toggle_entry(
                self.giveaway_id, interaction.guild_id, interaction.user.id, roles
            )
        except UserError as exc:
            await safe_reply(interaction, str(exc))
            return
        try:  # the post is the channel's: in the server's language, like when it was posted
            embed, view = await cog.service.post_content(giveaway, result.count)
            await interaction.response.edit_message(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.warning("giveaway %s: could not update the entry count: %s", giveaway.id, exc)
        await safe_reply(interaction, entry_text(result))


def entry_text(result: EntryResult) -> str:
    """The member's own answer: their tickets now and why, or that they left."""
    if not result.entered:
        return _("You left the giveaway. Press the button again to enter.")
    if result.bonus:  # two tickets or more in English; other languages have more forms
        return n_(
            "You're in! You have {count} ticket: 1 for entering and {bonus} for your votes this month. "
            "Press the button again to leave.",
            "You're in! You have {count} tickets: 1 for entering and {bonus} for your votes this month. "
            "Press the button again to leave.",
            result.tickets,
            bonus=number(result.bonus),
        )
    if result.voter_bonus:
        return n_(
            "You're in! You have 1 ticket. Vote for the server (/vote) before the giveaway ends to get "
            "{count} more ticket.",
            "You're in! You have 1 ticket. Vote for the server (/vote) before the giveaway ends to get "
            "{count} more tickets.",
            result.voter_bonus,
        )
    return _("You're in! You have 1 ticket. Press the button again to leave.")


def ended_text(giveaway_id: int, winners: int) -> str:
    """The admin's answer to /giveaway end."""
    if not winners:
        return _("Giveaway #{id} ended without a winner: there were no eligible entries.", id=giveaway_id)
    return n_(
        "Giveaway #{id} ended with {count} winner.",
        "Giveaway #{id} ended with {count} winners.",
        winners,
        id=giveaway_id,
    )


def rerolled_text(giveaway_id: int, winners: int) -> str:
    """The admin's answer to /giveaway reroll (a reroll always draws at least one)."""
    return n_(
        "Rerolled giveaway #{id}: {count} new winner.",
        "Rerolled giveaway #{id}: {count} new winners.",
        winners,
        id=giveaway_id,
    )


def giveaway_view(giveaway_id: int, count: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(GiveawayEnterButton(giveaway_id, count))
    return view


LIST_LINES = {
    # Translators: a line of /giveaway list; {ends} is a relative time ("in 2 hours").
    "running": N_("`#{id}` **{prize}** — ends {ends} · <#{channel}>"),
    # Translators: a line of /giveaway list for a giveaway that ended.
    "ended": N_("`#{id}` **{prize}** — ended · <#{channel}>"),
    # Translators: a line of /giveaway list for a giveaway that was cancelled.
    "cancelled": N_("`#{id}` **{prize}** — cancelled · <#{channel}>"),
}

CHOICE_NAMES = {
    # Translators: a choice in the giveaway option's autocomplete (at most 100 characters with the prize).
    "running": N_("#{id} {prize} (running)"),
    # Translators: a choice in the giveaway option's autocomplete (at most 100 characters with the prize).
    "ended": N_("#{id} {prize} (ended)"),
    # Translators: a choice in the giveaway option's autocomplete (at most 100 characters with the prize).
    "cancelled": N_("#{id} {prize} (cancelled)"),
}


def choice_name(giveaway: Giveaway) -> str:
    """The giveaway as the autocomplete of /giveaway end, reroll and cancel shows it."""
    return _(CHOICE_NAMES[giveaway.status], id=giveaway.id, prize=giveaway.prize)[:100]


def giveaway_list_embed(giveaways: Sequence[Giveaway]) -> discord.Embed:
    # Translators: title of /giveaway list.
    embed = discord.Embed(title=_("Giveaways"), colour=GIVEAWAY_COLOUR)
    if not giveaways:
        embed.description = _("No giveaways yet. Start one with /giveaway start.")
        return embed
    lines = []
    for g in giveaways:
        template = LIST_LINES[g.status]  # the table's CHECK allows only these three
        lines.append(_(template, id=g.id, prize=escape(g.prize), ends=format_dt(g.ends_at, "R"), channel=g.channel_id))
    embed.description = "\n".join(lines)[:4000]
    return embed


def pushed_winners_text(data: dict[str, Any]) -> tuple[str, list[int]]:
    """Announcement of a ``giveaway.winner`` event and the Discord ids it may ping."""
    listed = []
    ids: list[int] = []
    for winner in data["winners"]:
        text = f"**{escape(winner['name'])}**"
        if winner.get("discord_id"):
            ids.append(int(winner["discord_id"]))
            text += f" (<@{int(winner['discord_id'])}>)"
        listed.append(text)
    text = n_(
        "🎉 Giveaway winner for **{prize}**: {names}. Congratulations!",
        "🎉 Giveaway winners for **{prize}**: {names}. Congratulations!",
        len(listed),
        prize=escape(data["prize"]),
        names=", ".join(listed),
    )
    return text[:2000], ids


def already_over_text(giveaway_id: int, status: str) -> str:
    if status == "cancelled":
        return _("Giveaway #{id} was already cancelled.", id=giveaway_id)
    return _("Giveaway #{id} has already ended; /giveaway reroll draws new winners.", id=giveaway_id)


def not_rerollable_text(giveaway_id: int, status: str) -> str:
    """Why /giveaway reroll refuses a giveaway that did not end with a draw."""
    if status == "cancelled":
        return _("Giveaway #{id} was cancelled, so there are no winners to reroll.", id=giveaway_id)
    return _("Giveaway #{id} is still running: end it with /giveaway end first, then reroll.", id=giveaway_id)
