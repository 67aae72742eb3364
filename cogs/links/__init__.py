"""/link, /unlink, /points and /links: members' in-game names, so their votes count for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from bot.core.link_proof import LinkProof
    from bot.db.links import LinkRepository
    from cogs.links.cog import LinksCog
    from cogs.links.service import LinkService

    service = LinkService(bot.servers, LinkRepository(bot.pool), LinkProof(bot.pool), bot.votes, bot.clock)
    await bot.add_cog(LinksCog(bot, service))
