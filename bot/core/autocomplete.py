"""Autocomplete of the guild's linked servers for the ``server`` option of many commands.

A choice shows the server's name with its id and sends the id, so the pick is exact even when two names look
alike; ServerService.resolve accepts an id or a name for every ``server`` option.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.core.i18n import _

T = TypeVar("T", bound=Callable[..., Any])

SERVER_HELP = "Game server, by name or id (default: the main one, see /setup default)"

CHOICE_LIMIT = 100  # characters in a choice's name


def server_choice_name(name: str, server_id: int) -> str:
    """``Survival (id 12)`` in the member's language, the name cut so that the whole fits a choice."""
    # Translators: a game server as the server option's list shows it.
    text = _("{server} (id {id})", server=name, id=str(server_id))
    if len(text) <= CHOICE_LIMIT:
        return text
    return _("{server} (id {id})", server=name[: max(0, len(name) - (len(text) - CHOICE_LIMIT))], id=str(server_id))


async def server_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    bot: Any = interaction.client  # the VoteBot
    servers = await bot.servers.list_for_guild(interaction.guild_id)
    needle = current.strip().casefold()
    matching = [s for s in servers if needle in s.name.casefold() or needle.removeprefix("#") == str(s.id)]
    return [app_commands.Choice(name=server_choice_name(s.name, s.id), value=str(s.id)) for s in matching][:25]


def server_option(func: T) -> T:
    """A command's ``server`` option: autocompleted with the guild's servers, and described unless the command
    describes it itself (put this decorator below ``@app_commands.command`` with the other option decorators)."""
    described: dict[str, Any] = getattr(func, "__discord_app_commands_param_description__", {})
    func = app_commands.autocomplete(server=server_names)(func)
    if "server" not in described:
        func = app_commands.describe(server=SERVER_HELP)(func)
    return func
