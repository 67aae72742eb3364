"""The review alert and the /review form. Outside text has its markdown escaped; alerts ping nobody."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import escape_markdown

from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.interactions import safe_reply
from cogs.reviews.repository import Review
from cogs.reviews.spec import MAX_BODY

if TYPE_CHECKING:
    from bot.db.records import Server
    from cogs.reviews.service import ReviewService

log = logging.getLogger(__name__)

REVIEW_COLOUR = discord.Colour.gold()
ALERT_BODY = 1000


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def trim(text: str, limit: int = ALERT_BODY) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def review_alert(review: Review, server_name: str) -> discord.Embed:
    """The alert for a new or edited review, from a member or pushed by a listing site. Embeds never ping (and the
    post allows no mentions), so outside text keeps its mentions, shown as names, and only markdown is escaped."""
    server = escape_markdown(server_name)
    title = (
        _("Review updated for {server}", server=server)
        if review.edited
        else _("New review for {server}", server=server)
    )
    embed = discord.Embed(
        title=title[:256],
        description=f"**{stars(review.rating)}** ({review.rating}/5)\n{escape_markdown(trim(review.body))}".strip(),
        colour=REVIEW_COLOUR,
        timestamp=review.updated_at,
    )
    author = escape_markdown(review.author)
    if review.discord_user_id is not None:
        author += f" (<@{review.discord_user_id}>)"
    # Translators: field name of a review alert; its value is the author's name.
    embed.add_field(name=_("By"), value=author[:1024], inline=True)
    if review.source == "discord":
        # Translators: footer of a review alert for a review written in Discord.
        embed.set_footer(text=_("Written with /review"))
    else:
        # Translators: footer of a review alert for a review pushed by the server's listing site.
        embed.set_footer(text=_("From our server-list page"))
    return embed


class ReviewModal(discord.ui.Modal):
    def __init__(
        self,
        service: ReviewService,
        server: Server,
        existing: Review | None,
        *,
        draft: tuple[str, str] | None = None,
        on_refused: Callable[[str, str], None] = lambda rating, text: None,
    ) -> None:
        # Translators: title of the /review form (at most 45 characters with the server's name).
        title = _("Review {server}", server=server.name)[:45]
        super().__init__(title=title, custom_id=f"reviews:modal:{server.id}", timeout=900)
        self.service = service
        self.server = server
        self.on_refused = on_refused
        self.rating: discord.ui.TextInput[Any] = discord.ui.TextInput(
            # Translators: a field label of the /review form (at most 45 characters).
            label=_("Rating from 1 to 5"),
            custom_id="rating",
            min_length=1,
            max_length=1,
            placeholder="5",
            default=draft[0][:1] if draft else str(existing.rating) if existing else None,
        )
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            # Translators: a field label of the /review form (at most 45 characters).
            label=_("Your review"),
            custom_id="text",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_BODY,
            default=draft[1][:MAX_BODY] if draft else existing.body if existing else None,
        )
        self.add_item(self.rating)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # answered at once: saving is quick, but the channel alert may wait on a rate limit past the 3 s
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            review = await self.service.submit(
                self.server, interaction.user.id, interaction.user.display_name, self.rating.value, self.text.value
            )
        except UserError as exc:
            self.on_refused(self.rating.value or "", self.text.value or "")  # fills in the next form
            await safe_reply(
                interaction,
                _(
                    "{error} Your review is not saved yet: run /review again, and the form will still hold what you "
                    "wrote.",
                    error=str(exc),
                ),
            )
            return
        if review.edited:
            await safe_reply(interaction, _("Thanks! Your review was updated."))
        else:
            await safe_reply(interaction, _("Thanks! Your review was saved."))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        log.error("review modal failed (guild %s)", interaction.guild_id, exc_info=error)
        await safe_reply(interaction, _("Something went wrong on my side; your review may not have been saved."))
