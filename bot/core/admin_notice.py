"""Telling a guild's owner about a problem the bot cannot fix itself (lost permissions, roles too high).

:meth:`AdminNotices.once` tells about one problem once (keyed in ``engagement_runs``), so a channel that
keeps refusing the bot produces one DM, not one per vote; the features keep retrying or skipping quietly.
"""

from __future__ import annotations

import logging

import discord

from bot.core.i18n import _
from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.runs import RunRepository

log = logging.getLogger(__name__)


async def notify_guild_owner(client: discord.Client, guild_id: int, text: str) -> bool:
    """DM the guild owner; returns whether it was delivered. Never raises for Discord refusals.

    ``text`` is worded by the caller in the server's language (``with servers.speaking_for(server):`` around the
    call); the guild's name before it is worded in the same language."""
    guild = client.get_guild(guild_id)
    if guild is None or guild.owner_id is None:
        log.warning("guild %s: cannot notify admins (guild not cached): %s", guild_id, text)
        return False
    try:
        owner = client.get_user(guild.owner_id) or await client.fetch_user(guild.owner_id)
        # Translators: an owner notice: the Discord server's name, then the notice itself.
        content = _("**{guild}**: {text}", guild=discord.utils.escape_markdown(guild.name), text=text)
        await owner.send(content, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning("guild %s: could not DM the owner (%s): %s", guild_id, exc.status, text)
        return False
    return True


class AdminNotices:
    def __init__(self, client: discord.Client, db: Executor) -> None:
        self._client = client
        self._runs = RunRepository(db)

    async def tell(self, guild_id: int, text: str) -> bool:
        return await notify_guild_owner(self._client, guild_id, text)

    async def once(self, server: Server, key: str, text: str) -> None:
        """Tell the owner about ``key`` (e.g. ``thanks:<channel id>``) the first time only."""
        if await self._runs.claim(server.id, "notice", key):
            await notify_guild_owner(self._client, server.guild_id, text)

    async def resolved(self, server: Server, key: str) -> None:
        """The problem went away: the next time it happens, tell again."""
        await self._runs.release(server.id, "notice", key)
