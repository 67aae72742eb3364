"""/stats: a game server's votes per day, its month against the last one and its rank; /stats me: a member's
month and place; /stats-admin post: the server's statistics posted for everyone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.stats.cog import StatsAdminCog, StatsCog
    from cogs.stats.service import StatsService

    service = StatsService(bot.servers, bot.votes, bot.charts, bot.messenger, bot.clock)
    await bot.add_cog(StatsCog(bot, service))
    await bot.add_cog(StatsAdminCog(bot, service))


async def teardown(bot: VoteBot) -> None:  # nothing scheduled, no consumer: the cogs go with the extension
    return None
