"""The channels the features post in, checked when the bot starts and when it joins a guild.

``/feature enable`` checks a channel when it is picked; ``votebot feature set`` does when it can reach Discord, and
otherwise stores it with a warning. Permissions also change later. So each time a guild becomes available, every
active feature's channel is checked and the guild's owner is told once about one the bot can't post in
(:meth:`bot.core.admin_notice.AdminNotices.once`, told again only after it was fixed and broke again).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.core.guild_checks import missing_channel_permissions
from bot.core.i18n import N_, _, n_, names
from bot.db.records import FeatureSetting, Server

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

CHANNEL_GONE = N_(
    "**{feature}** for **{server}** is set to post in channel {channel_id}, which no longer exists or which I can't "
    "see. Give my role the View Channel permission there, or pick another channel with /feature enable."
)


def channel_problem(guild: discord.Guild, server: Server, feature: str, setting: FeatureSetting) -> str | None:
    """What to tell the owner about ``setting``'s channel, or None when the bot can post there; in the language in
    force (the caller speaks the server's). ``feature`` is the feature's label, already translated."""
    assert setting.channel_id is not None  # noqa: S101 - only settings with a channel are audited
    channel = guild.get_channel(setting.channel_id)
    shown = {"feature": feature, "server": discord.utils.escape_markdown(server.name)}
    if not isinstance(channel, discord.TextChannel):
        return _(CHANNEL_GONE, channel_id=str(setting.channel_id), **shown)
    missing = missing_channel_permissions(channel, guild.me)
    if not missing:
        return None
    return n_(
        "**{feature}** for **{server}** is set to post in {channel}, but I am missing the {permissions} permission "
        "there. Grant it to my role in the channel's settings, or pick another channel with /feature enable.",
        "**{feature}** for **{server}** is set to post in {channel}, but I am missing the {permissions} permissions "
        "there. Grant them to my role in the channel's settings, or pick another channel with /feature enable.",
        len(missing),
        channel=channel.mention,
        permissions=names([_(permission) for permission in missing]),
        **shown,
    )


class ChannelAudit(commands.Cog):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.audit(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.audit(guild)

    async def audit(self, guild: discord.Guild) -> None:
        servers = self.bot.servers
        for server in await servers.list_for_guild(guild.id):
            if not server.enabled:
                continue
            for setting in await servers.settings_of(server.id):
                if not setting.enabled or setting.channel_id is None or setting.feature not in self.bot.features.names:
                    continue
                key = f"channel:{setting.feature}:{setting.channel_id}"
                label = self.bot.features.get(setting.feature).label
                with servers.speaking_for(server):  # the owner's notice, in the server's language
                    problem = channel_problem(guild, server, _(label), setting)
                if problem is None:
                    await self.bot.notices.resolved(server, key)
                else:
                    log.warning(
                        "guild %s: server %s cannot post %s in channel %s",
                        guild.id,
                        server.id,
                        setting.feature,
                        setting.channel_id,
                    )
                    await self.bot.notices.once(server, key, problem)
