"""Autocomplete of the guild's linked servers for the ``server`` option of many commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def server_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    bot: VoteBot = interaction.client  # type: ignore[assignment]
    servers = await bot.servers.servers.list_for_guild(interaction.guild_id)
    needle = current.casefold()
    return [app_commands.Choice(name=s.name[:100], value=s.name[:100]) for s in servers if needle in s.name.casefold()][
        :25
    ]
