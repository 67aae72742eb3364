"""The modal in which an admin types a provider secret (so it never appears in a command line)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.core.interactions import on_tree_error

SECRET_INPUT_ID = "secret"  # noqa: S105 - a component id, not a password


class SecretModal(discord.ui.Modal):
    def __init__(self, title: str, on_secret: Callable[[discord.Interaction, str], Awaitable[None]]) -> None:
        super().__init__(title=title[:45], timeout=600)
        self._on_secret = on_secret
        self.secret: discord.ui.TextInput[SecretModal] = discord.ui.TextInput(
            label="Secret (from the listing site)",
            custom_id=SECRET_INPUT_ID,
            style=discord.TextStyle.short,
            min_length=1,
            max_length=4000,
            placeholder="whs_… for Top.gg v1, the push secret for Top-Server, …",
        )
        self.add_item(self.secret)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_secret(interaction, self.secret.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await on_tree_error(interaction, error)  # same handling as commands: UserError → ephemeral message
