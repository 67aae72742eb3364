"""Checks against the bot's own permissions, run when an admin configures a channel or role."""

from __future__ import annotations

import discord

from bot.core.errors import UserError
from bot.core.features import FeatureSpec

CHANNEL_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
)


def missing_channel_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    permissions = channel.permissions_for(me)
    missing = [label for attribute, label in CHANNEL_PERMISSIONS if not getattr(permissions, attribute)]
    if "View Channel" in missing:  # without it Discord reports every other permission as missing too
        return ["View Channel"]
    if "Send Messages" in missing and "Embed Links" in missing:  # implied: no sending means no embeds
        missing.remove("Embed Links")
    return missing


def check_channel(channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    missing = missing_channel_permissions(channel, me)
    if missing:
        raise UserError(
            f"I can't post in {channel.mention}: I am missing the {', '.join(missing)} permission"
            f"{'s' if len(missing) > 1 else ''} there. Grant {'them' if len(missing) > 1 else 'it'} to my role in the "
            "channel settings and try again."
        )


def check_role(spec: FeatureSpec, role: discord.Role, me: discord.Member) -> None:
    if role.is_default():
        raise UserError("@everyone can't be used here; pick or create a dedicated role.")
    if role.managed:
        raise UserError(f"{role.mention} is managed by an integration and can't be used here.")
    if spec.needs_role or spec.grants_role:  # the bot will give and take this role
        if not me.guild_permissions.manage_roles:
            raise UserError("I need the Manage Roles permission to hand out this role.")
        if role >= me.top_role:
            raise UserError(
                f"{role.mention} is above my highest role ({me.top_role.mention}), so Discord won't let me assign it. "
                "Drag my role above it in Server Settings → Roles."
            )
    elif not role.mentionable and not me.guild_permissions.mention_everyone:
        raise UserError(
            f"{role.mention} is not mentionable and I lack Mention @everyone, @here and All Roles, so my pings "
            "would not notify anyone. Make the role mentionable or grant me that permission."
        )


def usable_channel(guild: discord.Guild, channel_id: int) -> discord.TextChannel:
    """The guild's text channel, checked for the permissions the bot needs to post there."""
    channel = guild.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise UserError("I can't see that channel. Give my role the View Channel permission there.")
    check_channel(channel, guild.me)
    return channel


def usable_role(guild: discord.Guild, role_id: int, spec: FeatureSpec) -> discord.Role:
    """The guild's role, checked for what ``spec`` does with it (hand it out, or ping it)."""
    role = guild.get_role(role_id)
    if role is None:
        raise UserError("That role no longer exists.")
    check_role(spec, role, guild.me)
    return role


def postable_channel(guild: discord.Guild, channel_id: int | None, what: str) -> discord.TextChannel:
    """The channel a feature posts in (given, or its configured one), checked; a clear error when none is set."""
    if channel_id is None:
        raise UserError(f"{what} has no channel: pass one, or set it with /feature enable.")
    return usable_channel(guild, channel_id)
