"""/review (rating + text in a modal, one per member per server, editable), review alerts, and delivery of
events pushed by listing sites (review alerts, giveaway winners) that ``bot.community.events`` stored."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import NO_MENTIONS, guild_id_of, safe_reply
from bot.core.jobs import DueJob, owns_guild
from bot.core.scheduling import cancel, every
from bot.db.records import Server
from cogs.events.repository import EventRepository, PendingEvent
from cogs.giveaways.views import pushed_winners_text, review_alert, winner_mentions
from cogs.reviews.repository import Review
from cogs.reviews.service import MAX_BODY, ReviewService
from cogs.reviews.topgg import STATE_KEY, ReviewStats, TopggReviewPoller, change_text
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 10


TOPGG_POLL_MINUTES = 15


class ReviewModal(discord.ui.Modal):
    def __init__(self, cog: ReviewCog, server: Server, existing: Review | None) -> None:
        super().__init__(title=f"Review {server.name}"[:45], custom_id=f"reviews:modal:{server.id}", timeout=900)
        self.cog = cog
        self.server = server
        self.rating: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Rating from 1 to 5",
            custom_id="rating",
            min_length=1,
            max_length=1,
            placeholder="5",
            default=str(existing.rating) if existing else None,
        )
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Your review",
            custom_id="text",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_BODY,
            default=existing.body if existing else None,
        )
        self.add_item(self.rating)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            review = await self.cog.service.submit(
                self.server.id, interaction.user.id, interaction.user.display_name, self.rating.value, self.text.value
            )
        except UserError as exc:
            await safe_reply(interaction, f"{exc} Nothing was saved; run /review again.")
            return
        await safe_reply(interaction, "Thanks! Your review was " + ("updated." if review.edited else "saved."))
        if not await self.cog.post_alert(review, self.server):
            log.info("server %s: review %s saved without an alert", self.server.id, review.id)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        log.error("review modal failed (guild %s)", interaction.guild_id, exc_info=error)
        await safe_reply(interaction, "Something went wrong on my side; your review may not have been saved.")


class ReviewCog(commands.Cog):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.service = ReviewService(bot.pool)
        self.events = EventRepository(bot.pool)
        self.job = DueJob(bot, "community-events", self.deliver_pending)
        self.poller: TopggReviewPoller | None = None

    async def cog_load(self) -> None:
        self.job.start()
        topgg = self.bot.config.topgg
        if topgg.api_token and self.bot.scheduler.running:
            self.poller = TopggReviewPoller(self.bot.pool, topgg.api_token, topgg.api_base_url)
            every(self.bot.scheduler, "reviews:topgg", self.poll_topgg_reviews, TOPGG_POLL_MINUTES * 60)

    async def cog_unload(self) -> None:
        self.job.stop()
        cancel(self.bot.scheduler, "reviews:topgg")

    async def poll_topgg_reviews(self) -> str | None:
        """Announce new Top.gg reviews (count went up since the last poll); returns the text posted."""
        await self.bot.wait_until_ready()
        if self.poller is None or (polled := await self.poller.poll()) is None:
            return None
        server_id, stats = polled
        server = await self.bot.servers.servers.get(server_id)
        setting = await self.bot.servers.features.get(server_id, "reviews")
        if server is None or setting is None:
            return None
        text = change_text(escape(server.name), ReviewStats.from_json(setting.settings.get(STATE_KEY)), stats)
        await self.bot.servers.features.set_settings_key(server_id, "reviews", STATE_KEY, stats.as_json())
        target = await self._feature_channel(server, "reviews")
        if text is None or target is None:
            return None
        try:
            await self.bot.get_partial_messageable(target[1], guild_id=target[0]).send(
                text, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            log.warning("server %s: Top.gg review announcement failed (%s)", server.id, exc.status)
            return None
        return text

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.job.wake_at(None)

    @commands.Cog.listener()
    async def on_community_event(self, server_id: int, event_id: str) -> None:
        self.job.wake_at(None)

    @app_commands.command(name="review", description="Rate our game server and write a review (you can edit it)")
    @app_commands.describe(server="Which game server (default: this Discord server's main one)")
    @app_commands.autocomplete(server=server_names)
    @app_commands.guild_only()
    @app_commands.checks.cooldown(3, 60.0, key=lambda i: (i.guild_id, i.user.id))
    async def review(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if not await self.bot.servers.is_active(found, "reviews"):
            raise UserError(f"Reviews for **{escape(found.name)}** are not open here.")
        existing = await self.service.repo.for_member(found.id, interaction.user.id)
        await interaction.response.send_modal(ReviewModal(self, found, existing))

    # ------------------------------------------------------------------ alerts
    async def _feature_channel(self, server: Server, feature: str) -> tuple[int, int] | None:
        if not await self.bot.servers.is_active(server, feature):
            return None
        setting = await self.bot.servers.features.get(server.id, feature)
        if setting is None or setting.channel_id is None:
            return None
        return server.guild_id, setting.channel_id

    async def post_alert(self, review: Review, server: Server) -> bool:
        """Post the review alert; False when the feature has no channel or Discord refused (logged)."""
        target = await self._feature_channel(server, "reviews")
        if target is None:
            return False
        channel = self.bot.get_partial_messageable(target[1], guild_id=target[0])
        try:
            await channel.send(embed=review_alert(review, server.name), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("server %s: review alert failed (%s %s)", server.id, exc.status, exc.text)
            return False
        return True

    async def deliver_pending(self, now: dt.datetime) -> dt.datetime | None:
        """Post the alerts of pushed events stored by the event route (one process may run the web side)."""
        for event in await self.events.pending(MAX_DELIVERY_ATTEMPTS):
            if owns_guild(self.bot, event.guild_id):
                await self._deliver(event, now)
        return None

    async def _deliver(self, event: PendingEvent, now: dt.datetime) -> None:
        server = await self.bot.servers.servers.get(event.server_id)
        if server is None:
            return
        if event.type == "review.create":
            review = await self.service.repo.external(server.id, event.data["review_id"] or event.event_id)
            if review is None or await self._feature_channel(server, "reviews") is None:
                await self.events.delivered(server.id, event.event_id, now, "reviews feature off: no alert")
                return
            ok = await self.post_alert(review, server)
        else:  # giveaway.winner
            target = await self._feature_channel(server, "giveaways")
            if target is None:
                await self.events.delivered(server.id, event.event_id, now, "giveaways feature off: no alert")
                return
            text, ids = pushed_winners_text(event.data)
            channel = self.bot.get_partial_messageable(target[1], guild_id=target[0])
            try:
                await channel.send(text, allowed_mentions=winner_mentions(ids))
                ok = True
            except discord.HTTPException as exc:
                log.warning("server %s: pushed winners announcement failed (%s)", server.id, exc.status)
                ok = False
        if ok:
            await self.events.delivered(server.id, event.event_id, now)
        else:
            await self.events.failed(server.id, event.event_id, "Discord refused the post")


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(ReviewCog(bot))
