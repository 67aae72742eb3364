"""The leaderboards feature."""

from __future__ import annotations

from typing import Any


async def setup(bot: Any) -> None:
    from cogs.leaderboards.cog import setup as setup_cog

    await setup_cog(bot)
