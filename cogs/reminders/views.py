"""The "Remind me" button (persistent: its custom id carries the server id) and the reminder texts."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.components import REMIND_ME_TEMPLATE, remind_me_button
from bot.core.interactions import safe_reply
from bot.core.text import escape
from bot.db.records import Server


class RemindButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REMIND_ME_TEMPLATE):
    """ "Remind me" under /vote and thank-you messages; survives restarts (state is the server id + the DB)."""

    def __init__(self, server_id: int) -> None:
        super().__init__(remind_me_button(server_id))
        self.server_id = server_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RemindButton:
        return cls(int(match["server_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Any = interaction.client.get_cog("Reminders")  # type: ignore[attr-defined]
        if cog is None:
            await safe_reply(interaction, "Reminders are not available right now.")
            return
        text = await cog.service.remind_me(
            interaction.guild_id, self.server_id, interaction.user.id, interaction.channel_id
        )
        await safe_reply(interaction, text)


def personal_text(server: Server) -> str:
    return f"⏰ You can vote for **{escape(server.name)}** again: {server.vote_url}"


def channel_ping_text(server: Server, role_id: int | None) -> str:
    role = f"<@&{role_id}> " if role_id else ""
    return f"{role}🗳️ You can vote for **{escape(server.name)}** again: {server.vote_url}"
