"""Autocomplete of the guild's linked servers for the ``server`` option of many commands.

A choice shows the server's name with its id and sends the id, so the pick is exact even when two names look
alike; ServerService.resolve accepts an id or a name for every ``server`` option.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

CHOICE_LIMIT = 100  # characters in a choice's name


def server_choice_name(name: str, server_id: int) -> str:
    suffix = f" (id {server_id})"
    return name[: CHOICE_LIMIT - len(suffix)] + suffix


async def server_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    bot: Any = interaction.client  # the VoteBot
    servers = await bot.servers.list_for_guild(interaction.guild_id)
    needle = current.strip().casefold()
    matching = [s for s in servers if needle in s.name.casefold() or needle.removeprefix("#") == str(s.id)]
    return [app_commands.Choice(name=server_choice_name(s.name, s.id), value=str(s.id)) for s in matching][:25]
