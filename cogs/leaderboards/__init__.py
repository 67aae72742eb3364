"""Live top-10 voters board, the daily leaderboard post and the monthly top-voter role."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

BOARD_INTERVAL = 15.0  # seconds: refresh boards changed by votes, and the ones due
TICK_INTERVAL = 60.0  # seconds: daily posts and month rollovers


async def setup(bot: VoteBot) -> None:
    from cogs.leaderboards.cog import LeaderboardsCog
    from cogs.leaderboards.service import LeaderboardService

    service = LeaderboardService(
        bot.pool,
        bot.servers,
        bot.votes,
        bot.messenger,
        bot.notices,
        bot.boards,
        bot.clock,
        bot.ownership,
        bot.people,
        bot.charts,
    )
    await bot.add_cog(LeaderboardsCog(bot, service))
    bot.add_vote_consumer(service)
    if bot.runs_services:
        bot.scheduler.every("leaderboards:board_tick", BOARD_INTERVAL, service.board_tick)
        bot.scheduler.every("leaderboards:tick", TICK_INTERVAL, service.tick)


async def teardown(bot: VoteBot) -> None:
    from cogs.leaderboards.service import LeaderboardService

    bot.remove_vote_consumer(LeaderboardService.name)
    bot.scheduler.cancel("leaderboards:board_tick", "leaderboards:tick")
