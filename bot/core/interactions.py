"""Replying to interactions safely, and the one error handler for every slash command."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from typing import Any

import babel.lists
import discord
from discord import app_commands

from bot.core import i18n
from bot.core.errors import UserError
from bot.core.guild_checks import CHANNEL_PERMISSIONS, DANGEROUS_PERMISSIONS
from bot.core.i18n import N_, _, n_, p_
from bot.core.messaging import Picture, files_of

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
    pictures: Sequence[Picture] = (),
) -> None:
    """Answer an interaction whether or not it was already answered or deferred; never raises for expiry.

    ``pictures`` are sent as files (an embed shows one with ``set_image(url=picture.url)``)."""
    kwargs: dict[str, Any] = {
        "embeds": [embed] if embed is not None else [],
        "ephemeral": ephemeral,
        "allowed_mentions": NO_MENTIONS,
    }
    if view is not None:
        kwargs["view"] = view
    if pictures:
        kwargs["files"] = files_of(pictures)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content or "", **kwargs)
        else:
            await interaction.response.send_message(content, **kwargs)
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


# Replies of the error handler, in one place (translated where they are used: ``_(TEXTS[key], ...)``; the
# cooldown's plural is in _cooldown_text).
TEXTS = {
    "outdated": N_("This command was just updated. Please try again in a minute."),
    # Translators: {option} is a slash-command option's name, {kinds} e.g. "a text channel or a forum channel".
    "bad_channel": N_("The {option} option needs {kinds}. Please choose another channel."),
    # Translators: {option} is a slash-command option's name.
    "bad_value": N_("I couldn't use what you gave for the {option} option. Please check it and try again."),
    "bad_value_unnamed": N_("I couldn't use one of the options you gave. Please check them and try again."),
}
# Translators: channel kinds, put into "The {option} option needs {kinds}." (several are joined with "or").
CHANNEL_KINDS = {
    discord.ChannelType.text: N_("a text channel"),
    discord.ChannelType.news: N_("an announcement channel"),
    discord.ChannelType.voice: N_("a voice channel"),
    discord.ChannelType.stage_voice: N_("a stage channel"),
    discord.ChannelType.forum: N_("a forum channel"),
    discord.ChannelType.category: N_("a category"),
}


def _cooldown_text(retry_after: float) -> str:
    seconds = max(1, math.ceil(retry_after))  # "wait 0 seconds" would be wrong: the command is still refused
    # Translators: the singular is for exactly one second in English; where your plural rule puts other numbers in
    # the same form (21 in Russian), write {count} in it.
    return n_("Please wait a second before trying again.", "Please wait {count} seconds before trying again.", seconds)


def _failed_option(interaction: discord.Interaction, error: app_commands.TransformerError) -> str | None:
    """The name of the option whose value could not be converted (found in the interaction's raw options)."""
    target = str(getattr(error.value, "id", error.value))
    data: dict[str, Any] = dict(interaction.data or {})
    stack: list[Any] = list(data.get("options") or [])
    while stack:
        option = stack.pop()
        if "options" in option:  # a subcommand (group): its options are one level down
            stack.extend(option["options"])
        elif option.get("type") == error.type.value and str(option.get("value")) == target:
            return str(option["name"])
    return None


def _transformer_text(interaction: discord.Interaction, error: app_commands.TransformerError) -> str:
    """A member-facing reply naming the option Discord sent a value for that the command cannot use (e.g. a voice
    channel where a text channel belongs: Discord's own picker filters them, other clients may not)."""
    found = _failed_option(interaction, error)
    if found is None:
        return _(TEXTS["bad_value_unnamed"])
    # Discord sends the option's own (English) name; the member's client shows it as the command translator
    # translated it (context "option name"): named the same way here.
    option = p_("option name", found)
    channel_types = getattr(error.transformer, "channel_types", None) or []
    if error.type is discord.AppCommandOptionType.channel and channel_types:
        kinds = [
            _(CHANNEL_KINDS[kind]) if kind in CHANNEL_KINDS else _("a {kind} channel", kind=kind.name)
            for kind in channel_types
        ]
        text = babel.lists.format_list(kinds, style="or", locale=i18n.current().locale)  # "a, b or c" per language
        return _(TEXTS["bad_channel"], option=option, kinds=text)
    return _(TEXTS["bad_value"], option=option)


# Discord's permission names the bot knows in every language (guild_checks' tables, marked for the catalog).
PERMISSION_LABELS: dict[str, str] = dict(CHANNEL_PERMISSIONS + DANGEROUS_PERMISSIONS)


def _permission_label(permission: str) -> str:
    """A permission attribute (``manage_guild``) as Discord's settings name it (``Manage Server``), translated; one
    no table lists is shown by its English name."""
    if permission in PERMISSION_LABELS:
        return _(PERMISSION_LABELS[permission])
    return permission.replace("_", " ").replace("guild", "server").title()


def _missing_permissions_text(error: app_commands.MissingPermissions) -> str:
    names = ", ".join(_permission_label(p) for p in error.missing_permissions)
    # Translators: {permissions} are Discord permission names (English identifiers, e.g. "Manage Server"), one or
    # several; English says "permission" for both.
    return n_(
        "You need the {permissions} permission to use this command.",
        "You need the {permissions} permission to use this command.",
        len(error.missing_permissions),
        permissions=names,
    )


async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError | Exception) -> None:
    """Turn user errors into ephemeral messages; log everything else with context."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        await safe_reply(interaction, str(original))
    elif isinstance(original, app_commands.MissingPermissions):
        await safe_reply(interaction, _missing_permissions_text(original))
    elif isinstance(original, app_commands.NoPrivateMessage):
        await safe_reply(interaction, _("This command only works inside a Discord server."))
    elif isinstance(original, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
        log.warning(
            "guild %s used a command this bot does not have (any more): %s; run `votebot sync` if this persists",
            interaction.guild_id,
            original,
        )
        await safe_reply(interaction, _(TEXTS["outdated"]))
    elif isinstance(original, app_commands.CommandOnCooldown):
        await safe_reply(interaction, _cooldown_text(original.retry_after))
    elif isinstance(original, app_commands.TransformerError):
        log.info("guild %s: an option of /%s could not be used: %s", interaction.guild_id, _name(interaction), original)
        await safe_reply(interaction, _transformer_text(interaction, original))
    elif isinstance(original, app_commands.CheckFailure):
        await safe_reply(interaction, _("You are not allowed to use this command."))
    elif isinstance(original, discord.Forbidden):
        log.warning("missing Discord permission in guild %s: %s", interaction.guild_id, original.text)
        await safe_reply(
            interaction, _("I am missing a Discord permission for that. Check my role and channel permissions.")
        )
    else:
        incident = secrets.token_hex(4)
        log.error(
            "command /%s failed (incident %s, guild %s, user %s)",
            _name(interaction),
            incident,
            interaction.guild_id,
            interaction.user.id,
            exc_info=original,
        )
        await safe_reply(
            interaction,
            _("Something went wrong on my side (incident `{incident}`). It has been logged.", incident=incident),
        )


def _name(interaction: discord.Interaction) -> str:
    return interaction.command.qualified_name if interaction.command else "?"
