"""What ``votebot feature set`` asks Discord (over REST, with the bot token) before it stores a channel or a role.

The same rules as the slash commands (:mod:`bot.core.guild_checks`), worded for a terminal. A definite answer from
Discord (no such channel, another server's channel, a missing permission, a role the bot could not hand out)
refuses the change; when Discord cannot be asked (no token, no network, a rejected token, an outage) the change is
made with a warning saying so, and the bot checks the channel when it starts (cogs/setup/audit.py) and tells the
server's owner once if it can't post there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import aiohttp
import discord

from bot.app.client import point_at_api
from bot.app.config import Config
from bot.app.extensions import features
from bot.core.errors import UserError
from bot.core.features import FeatureSpec
from bot.core.guild_checks import check_role, invite_url, missing_channel_permissions, needed_permissions

CHECK_TIMEOUT = 20.0  # seconds for the whole check (discord.py retries 429s and 5xx by itself)


class Unchecked(Exception):
    """Discord could not be asked; the message says why (a whole sentence)."""


@dataclass(frozen=True, slots=True)
class Target:
    guild_id: int
    channel_id: int | None
    role_id: int | None


async def check(config: Config, spec: FeatureSpec | None, target: Target) -> str | None:
    """Ask Discord whether the bot can use ``target``'s channel and role for ``spec``. Raises :class:`UserError`
    when it cannot; returns a warning (a whole sentence) when Discord could not be asked, else None."""
    if target.channel_id is None and target.role_id is None:
        return None
    what = _what(target)
    if not config.discord.token:
        return (
            f"warning: discord.token is not set, so {what} could not be checked with Discord. The bot checks it "
            "when it starts and tells the server's owner if it can't post there."
        )
    try:
        with _unreachable_is_unchecked():
            async with asyncio.timeout(CHECK_TIMEOUT):
                await _check(config, spec, target)
    except Unchecked as exc:
        return (
            f"warning: {what} could not be checked with Discord ({exc}). The bot checks it when it starts and "
            "tells the server's owner if it can't post there."
        )
    return None


def _what(target: Target) -> str:
    if target.channel_id is not None and target.role_id is not None:
        return f"channel {target.channel_id} and role {target.role_id}"
    return f"channel {target.channel_id}" if target.channel_id is not None else f"role {target.role_id}"


@contextlib.contextmanager
def _unreachable_is_unchecked() -> Iterator[None]:
    try:
        yield
    except discord.LoginFailure:
        raise Unchecked("Discord rejected the token in discord.token") from None
    except TimeoutError:
        raise Unchecked(f"Discord did not answer within {CHECK_TIMEOUT:.0f} seconds") from None
    except aiohttp.ClientError as exc:
        raise Unchecked(f"Discord could not be reached: {type(exc).__name__}") from None
    except discord.DiscordServerError as exc:
        raise Unchecked(f"Discord answered {exc.status}") from None


def quiet_discord_logs() -> None:
    """The CLI's short-lived REST clients need no gateway intents and no voice: keep discord.py's warnings about
    them (``Guilds intent seems to be disabled``, ``PyNaCl is not installed``) away from the operator; its errors
    still show."""
    logging.getLogger("discord").setLevel(logging.ERROR)


async def _check(config: Config, spec: FeatureSpec | None, target: Target) -> None:
    point_at_api(config.discord.api_base_url)
    quiet_discord_logs()
    async with discord.Client(intents=discord.Intents(guilds=True)) as client:
        await client.login(config.discord.token)
        assert client.user is not None  # noqa: S101 - set by login()
        try:
            guild = await client.fetch_guild(target.guild_id)
            me = await guild.fetch_member(client.user.id)
        except (discord.Forbidden, discord.NotFound):
            url = invite_url(client.application_id or 0, needed_permissions(features()))
            raise UserError(
                f"the bot is not in guild {target.guild_id}, so it can't use {_what(target)} there. Invite it "
                f"first with {url} and run this command again."
            ) from None
        if target.channel_id is not None:
            await _check_channel(guild, me, target.channel_id)
        if target.role_id is not None and spec is not None:
            await _check_role(guild, me, spec, target.role_id)


async def _check_channel(guild: discord.Guild, me: discord.Member, channel_id: int) -> None:
    try:
        channel = await guild.fetch_channel(channel_id)
    except discord.NotFound:
        raise UserError(f"there is no channel {channel_id} on Discord; check the id (--channel).") from None
    except discord.Forbidden:
        raise UserError(
            f"the bot can't see channel {channel_id}: it is in a server the bot is not in, or the bot's role lacks "
            "the View Channel permission there."
        ) from None
    except discord.InvalidData:  # discord.py: the channel belongs to another guild (or is a DM)
        raise UserError(
            f"channel {channel_id} is not in guild {guild.id} ({guild.name}), the guild this server is linked to."
        ) from None
    if not isinstance(channel, discord.TextChannel):
        raise UserError(f"channel {channel_id} (#{channel.name}) is not a text channel; pick a text channel.")
    missing = missing_channel_permissions(channel, me)
    if missing:
        plural = len(missing) > 1
        raise UserError(
            f"the bot can't post in #{channel.name} ({channel_id}): it lacks the {', '.join(missing)} "
            f"permission{'s' if plural else ''} there. Grant {'them' if plural else 'it'} to the bot's role in the "
            "channel's settings and run this command again."
        )


# The role rule of bot.core.guild_checks, worded for the operator at the CLI.
CLI_ROLE_TEXTS: Mapping[str, str] = {
    "default": "@everyone can't be used here; pick or create a dedicated role (--role).",
    "managed": "{role} can't be used here: an integration manages it. Pick or create a dedicated role.",
    "dangerous": "{role} carries {found}, and the bot never hands out a role like that: anyone who votes would get it.",
    "no_manage_roles": "the bot needs the Manage Roles permission to hand out this role.",
    "above_bot": (
        "{role} is above the bot's highest role ({top}), so Discord won't let it assign the role. "
        "Drag the bot's role above it in Server Settings → Roles."
    ),
    "bot_cannot_ping": (
        "{role} is not mentionable and the bot lacks Mention @everyone, @here and All Roles, so its pings would "
        "notify no one. Make the role mentionable or grant the bot that permission."
    ),
}


async def _check_role(guild: discord.Guild, me: discord.Member, spec: FeatureSpec, role_id: int) -> None:
    """:func:`bot.core.guild_checks.check_role` for the operator (trusted: no member to check)."""
    role = guild.get_role(role_id)  # a fetched guild carries its roles
    if role is None:
        raise UserError(f"there is no role {role_id} in guild {guild.id} ({guild.name}); check the id (--role).")
    check_role(
        spec, role, me, None, texts=CLI_ROLE_TEXTS, shown=lambda shown_role: f"@{shown_role.name} ({shown_role.id})"
    )
