"""Replying to interactions safely, and the one error handler for every slash command."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.core.errors import UserError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()

admin_only = app_commands.checks.has_permissions(manage_guild=True)
"""The run-time half of an admin command (the other half, ``default_permissions``, only hides it)."""


async def safe_reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer an interaction whether or not it was already answered or deferred; never raises for expiry."""
    embeds = [embed] if embed is not None else []
    try:
        if interaction.response.is_done():
            if view is not None:
                await interaction.followup.send(
                    content or "", embeds=embeds, view=view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
                )
            else:
                await interaction.followup.send(
                    content or "", embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
                )
        elif view is not None:
            await interaction.response.send_message(
                content, embeds=embeds, view=view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                content, embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
    except discord.NotFound:
        log.info("interaction %s expired before it could be answered", interaction.id)
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: %s", interaction.id, exc)


def guild_id_of(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage
    return interaction.guild_id


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage
    return interaction.guild


def member_of(interaction: discord.Interaction) -> discord.Member:
    """The member who invoked a guild command (their roles and guild permissions, for the role checks)."""
    if not isinstance(interaction.user, discord.Member):
        raise app_commands.NoPrivateMessage
    return interaction.user


def _missing_permissions_text(error: app_commands.MissingPermissions) -> str:
    names = ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in error.missing_permissions)
    return f"You need the {names} permission to use this command."


async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError | Exception) -> None:
    """Turn user errors into ephemeral messages; log everything else with context."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        await safe_reply(interaction, str(original))
    elif isinstance(original, app_commands.MissingPermissions):
        await safe_reply(interaction, _missing_permissions_text(original))
    elif isinstance(original, app_commands.NoPrivateMessage):
        await safe_reply(interaction, "This command only works inside a Discord server.")
    elif isinstance(original, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
        log.warning("guild %s used a command this bot does not have (any more): %s", interaction.guild_id, original)
        await safe_reply(
            interaction, "This command has changed since it was published here. An admin can run `votebot sync`."
        )
    elif isinstance(original, app_commands.CommandOnCooldown):
        await safe_reply(interaction, f"Slow down: try again in {original.retry_after:.0f} s.")
    elif isinstance(original, app_commands.CheckFailure):
        await safe_reply(interaction, "You are not allowed to use this command.")
    elif isinstance(original, discord.Forbidden):
        log.warning("missing Discord permission in guild %s: %s", interaction.guild_id, original.text)
        await safe_reply(
            interaction, "I am missing a Discord permission for that. Check my role and channel permissions."
        )
    else:
        incident = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "command /%s failed (incident %s, guild %s, user %s)",
            command,
            incident,
            interaction.guild_id,
            interaction.user.id,
            exc_info=original,
        )
        await safe_reply(interaction, f"Something went wrong on my side (incident `{incident}`). It has been logged.")
