"""/review, review alerts (members', pushed by a listing site) and the Top.gg review count."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

TOPGG_POLL_MINUTES = 15


async def setup(bot: VoteBot) -> None:
    from cogs.reviews.cog import ReviewsCog
    from cogs.reviews.service import ReviewService
    from cogs.reviews.topgg import TopggReviewPoller

    topgg = bot.config.topgg
    poller = TopggReviewPoller(bot.pool, topgg.api_token, topgg.api_base_url) if topgg.api_token else None
    service = ReviewService(bot.pool, bot.servers, bot.messenger, poller, bot.ownership)
    await bot.add_cog(ReviewsCog(bot, service))
    bot.event_handlers.register("review.create", service.pushed)
    if poller is not None and bot.runs_services:
        bot.scheduler.every("reviews:topgg", TOPGG_POLL_MINUTES * 60, service.poll_topgg)


async def teardown(bot: VoteBot) -> None:
    bot.event_handlers.unregister("review.create")
    bot.scheduler.cancel("reviews:topgg")
