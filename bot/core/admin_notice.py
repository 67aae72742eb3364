"""Telling a guild's admins about a problem the bot cannot fix itself (lost permissions, roles too high)."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


async def notify_guild_owner(client: discord.Client, guild_id: int, text: str) -> bool:
    """DM the guild owner; returns whether it was delivered. Never raises for Discord refusals."""
    guild = client.get_guild(guild_id)
    if guild is None or guild.owner_id is None:
        log.warning("guild %s: cannot notify admins (guild not cached): %s", guild_id, text)
        return False
    try:
        owner = client.get_user(guild.owner_id) or await client.fetch_user(guild.owner_id)
        await owner.send(
            f"**{discord.utils.escape_markdown(guild.name)}**: {text}", allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException as exc:
        log.warning("guild %s: could not DM the owner (%s): %s", guild_id, exc.status, text)
        return False
    return True
