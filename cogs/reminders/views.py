"""The "Remind me" button (persistent: its custom id carries the server id) and the reminder texts."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.components import REMIND_ME_TEMPLATE, remind_me_button
from bot.core.i18n import _
from bot.core.interactions import safe_reply
from bot.core.text import escape, role_mention, user_mention
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
            await safe_reply(interaction, _("Reminders are not available right now."))
            return
        text = await cog.service.remind_me(
            interaction.guild_id, self.server_id, interaction.user.id, interaction.channel_id
        )
        await safe_reply(interaction, text)


def personal_text(server: Server, *, member_id: int | None = None) -> str:
    """The personal reminder (a DM; with ``member_id``, the channel post for a member whose DMs are closed).
    Built in the server's language (the caller's ``speaking_for``)."""
    if member_id is not None:
        # Translators: {member} is the member's mention, {url} the vote page.
        return _(
            "{member} ⏰ You can vote for **{server}** again: {url}",
            member=user_mention(member_id),
            server=escape(server.name),
            url=server.vote_url,
        )
    # Translators: {url} is the vote page.
    return _("⏰ You can vote for **{server}** again: {url}", server=escape(server.name), url=server.vote_url)


def channel_ping_text(server: Server, role_id: int | None) -> str:
    """The channel ping when voting opens again (built in the server's language)."""
    if role_id:
        # Translators: {role} is the role's mention, {url} the vote page.
        return _(
            "{role} 🗳️ You can vote for **{server}** again: {url}",
            role=role_mention(role_id),
            server=escape(server.name),
            url=server.vote_url,
        )
    # Translators: {url} is the vote page.
    return _("🗳️ You can vote for **{server}** again: {url}", server=escape(server.name), url=server.vote_url)
