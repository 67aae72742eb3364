"""The setup feature."""

from __future__ import annotations

from typing import Any


async def setup(bot: Any) -> None:
    from cogs.setup.cog import setup as setup_cog

    await setup_cog(bot)
