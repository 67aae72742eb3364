"""Autocomplete of the guild's linked servers for the ``server`` option of many commands."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands


async def server_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    bot: Any = interaction.client  # the VoteBot
    servers = await bot.servers.list_for_guild(interaction.guild_id)
    needle = current.casefold()
    return [app_commands.Choice(name=s.name[:100], value=s.name[:100]) for s in servers if needle in s.name.casefold()][
        :25
    ]
