"""Linking game servers (/setup), switching features (/feature) and the owner's ``!sync``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def setup(bot: VoteBot) -> None:
    from cogs.setup.audit import ChannelAudit
    from cogs.setup.cog import FeaturesCog, OwnerCog, SetupCog
    from cogs.setup.service import SetupService

    service = SetupService(bot.pool, bot.servers, bot.switches, bot.messenger, bot.endpoints)
    await bot.add_cog(OwnerCog(bot))
    await bot.add_cog(SetupCog(bot, service))
    await bot.add_cog(FeaturesCog(bot, service))
    if bot.runs_services:  # checks the features' channels whenever a guild becomes available
        await bot.add_cog(ChannelAudit(bot))
