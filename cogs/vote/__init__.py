"""/vote: the vote button and the member's own cooldown."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.vote.cog import VoteCog
    from cogs.vote.service import VoteService

    await bot.add_cog(VoteCog(bot, VoteService(bot.servers, bot.votes, bot.clock)))
