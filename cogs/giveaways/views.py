"""Embeds and persistent buttons of the community features. Outside text is escaped; embeds ping nobody."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core.durations import format_duration
from bot.core.errors import UserError
from bot.core.interactions import NO_MENTIONS, safe_reply
from cogs.giveaways.repository import Giveaway
from cogs.giveaways.service import GiveawayService
from cogs.reviews.repository import Review
from cogs.reviews.service import stars, trim
from cogs.setup.views import escape
from cogs.wipes.repository import Wipe

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

GIVEAWAY_COLOUR = discord.Colour.from_rgb(235, 69, 158)
ENDED_COLOUR = discord.Colour.dark_grey()
REVIEW_COLOUR = discord.Colour.gold()
WIPE_COLOUR = discord.Colour.from_rgb(230, 126, 34)
REPEAT_LABELS = {"none": "once", "weekly": "every week", "biweekly": "every two weeks", "monthly": "every month"}


def ts(moment: dt.datetime, style: str = "f") -> str:
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]


def giveaway_embed(
    giveaway: Giveaway, entries: int, winners: Sequence[int] = (), *, short: bool = False
) -> discord.Embed:
    running = giveaway.status == "running"
    embed = discord.Embed(
        title=f"🎉 Giveaway: {escape(giveaway.prize)}"[:256],
        colour=GIVEAWAY_COLOUR if running else ENDED_COLOUR,
    )
    lines = []
    if running:
        lines.append(f"Ends {ts(giveaway.ends_at, 'R')} ({ts(giveaway.ends_at)})")
        lines.append("Press **Enter** to join; press it again to leave.")
    elif giveaway.status == "cancelled":
        lines.append("This giveaway was cancelled.")
    else:
        lines.append(f"Ended {ts(giveaway.finished_at or giveaway.ends_at)}")
        if winners:
            lines.append("Winners: " + ", ".join(f"<@{w}>" for w in winners))
        else:
            lines.append("No eligible entries: nobody won.")
        if short and winners:
            lines.append("Fewer entrants than winners: everyone eligible won.")
    lines.append(f"Hosted by <@{giveaway.host_id}> · {giveaway.winner_count} winner(s)")
    embed.description = "\n".join(lines)
    requirements = []
    if giveaway.required_role_id:
        requirements.append(f"Role <@&{giveaway.required_role_id}>")
    if giveaway.require_vote:
        requirements.append("Voted for the server this month")
    if requirements:
        embed.add_field(name="Requirements", value="\n".join(requirements), inline=False)
    if giveaway.voter_bonus:
        embed.add_field(
            name="Bonus", value=f"Members who voted this month get +{giveaway.voter_bonus} entries.", inline=False
        )
    embed.add_field(name="Entries", value=str(entries), inline=True)
    embed.set_footer(text=f"Giveaway #{giveaway.id}")
    return embed


def winners_text(giveaway: Giveaway, winners: Sequence[int], *, short: bool, reroll: bool) -> str:
    prize = escape(giveaway.prize)
    if not winners:
        return f"🎉 The giveaway for **{prize}** has ended: there were no eligible entries, so nobody won."
    mentions = ", ".join(f"<@{w}>" for w in winners)
    head = "🎲 Reroll! New winner(s)" if reroll else "🎉 Congratulations"
    text = f"{head} {mentions}: you won **{prize}**!"
    if short:
        text += " (There were fewer eligible entrants than winners, so everyone eligible won.)"
    return text + f"\n-# Giveaway #{giveaway.id}"


def winner_mentions(winners: Sequence[int]) -> discord.AllowedMentions:
    """Ping exactly the winners, nobody else."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(w) for w in winners], replied_user=False
    )


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
        bot: VoteBot = interaction.client  # type: ignore[assignment]
        service = GiveawayService(bot.pool)
        giveaway = await service.repo.get(self.giveaway_id)
        try:
            if giveaway is None or giveaway.guild_id != interaction.guild_id:
                raise UserError("This giveaway no longer exists.")
            roles = {r.id for r in getattr(interaction.user, "roles", [])}
            result = await service.toggle_entry(giveaway, interaction.user.id, roles, discord.utils.utcnow())
        except UserError as exc:
            await safe_reply(interaction, str(exc))
            return
        try:
            await interaction.response.edit_message(
                embed=giveaway_embed(giveaway, result.count), view=giveaway_view(giveaway.id, result.count)
            )
        except discord.HTTPException as exc:
            log.warning("giveaway %s: could not update the entry count: %s", giveaway.id, exc)
        entries = f"{result.count} {'entry' if result.count == 1 else 'entries'}"
        text = (
            f"You're in! ({entries}). Press the button again to leave."
            if result.entered
            else f"You left the giveaway ({entries})."
        )
        await safe_reply(interaction, text)


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
        when = f"ends {ts(g.ends_at, 'R')}" if g.status == "running" else f"{g.status}"
        lines.append(f"`#{g.id}` **{escape(g.prize)}** — {when} · <#{g.channel_id}>")
    embed.description = "\n".join(lines)[:4000]
    return embed


def wipe_announcement(wipe: Wipe, occurrence: dt.datetime, kind: str, server_name: str) -> tuple[str, discord.Embed]:
    title = escape(wipe.title)
    if kind == "reminder":
        head = f"📅 **{title}** on **{escape(server_name)}** starts {ts(occurrence, 'R')} ({ts(occurrence)})."
    else:
        head = f"🚨 **{title}** on **{escape(server_name)}** is starting now!"
    embed = discord.Embed(title=title[:256], colour=WIPE_COLOUR, description=escape(wipe.description)[:2000] or None)
    embed.add_field(name="Starts", value=ts(occurrence), inline=True)
    embed.add_field(name="Duration", value=format_duration(wipe.duration), inline=True)
    if wipe.repeat != "none":
        embed.add_field(name="Repeats", value=REPEAT_LABELS[wipe.repeat], inline=True)
    return head, embed


def wipe_list_embed(server_name: str, rows: Sequence[tuple[Wipe, dt.datetime]], tz_name: str) -> discord.Embed:
    embed = discord.Embed(title=f"Wipes of {escape(server_name)}", colour=WIPE_COLOUR)
    if not rows:
        embed.description = "No wipe is planned. Add one with /wipe add."
        return embed
    lines = [
        f"`#{w.id}` **{escape(w.title)}** — {ts(at)} ({ts(at, 'R')}) · {REPEAT_LABELS[w.repeat]}"
        + (" · from the listing site" if w.source == "api" else "")
        for w, at in rows
    ]
    embed.description = "\n".join(lines)[:4000]
    embed.set_footer(text=f"Times are entered in the server's time zone: {tz_name}")
    return embed


def review_alert(review: Review, server_name: str) -> discord.Embed:
    """The alert for a new or edited review, from a member or pushed by a listing site."""
    verb = "Review updated" if review.edited else "New review"
    embed = discord.Embed(
        title=f"{verb} for {escape(server_name)}"[:256],
        description=f"**{stars(review.rating)}** ({review.rating}/5)\n{escape(trim(review.body))}".strip(),
        colour=REVIEW_COLOUR,
        timestamp=review.updated_at,
    )
    author = escape(review.author)
    if review.discord_user_id is not None:
        author += f" (<@{review.discord_user_id}>)"
    embed.add_field(name="By", value=author[:1024], inline=True)
    embed.add_field(name="From", value="Discord" if review.source == "discord" else "the listing site", inline=True)
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
    return f"🎉 Giveaway winners for **{escape(data['prize'])}**: {', '.join(names)}. Congratulations!"[:2000], ids


__all__ = [
    "NO_MENTIONS",
    "GiveawayEnterButton",
    "giveaway_embed",
    "giveaway_list_embed",
    "giveaway_view",
    "pushed_winners_text",
    "review_alert",
    "winner_mentions",
    "winners_text",
    "wipe_announcement",
    "wipe_list_embed",
]
