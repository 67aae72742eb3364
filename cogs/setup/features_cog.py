"""/feature: switch each feature (and the master switch) on or off per game server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.features import FEATURES, MASTER_SWITCH, feature_spec
from bot.core.guild_checks import usable_channel, usable_role
from bot.core.interactions import NO_MENTIONS, guild_id_of, guild_of, safe_reply
from cogs.setup.views import escape, features_embed

if TYPE_CHECKING:
    from bot.app.client import VoteBot

admin_only = app_commands.checks.has_permissions(manage_guild=True)

FEATURE_CHOICES = [app_commands.Choice(name=f"{MASTER_SWITCH} (master switch)", value=MASTER_SWITCH)] + [
    app_commands.Choice(name=f"{name} — {spec.label}"[:100], value=name) for name, spec in FEATURES.items()
]


async def confirm_channel(channel: discord.TextChannel, label: str, server_name: str) -> None:
    """Post a short notice in the channel: proves for real that the bot may post there (cache can be stale)."""
    try:
        await channel.send(
            f"✅ {label} for **{escape(server_name)}** will be posted in this channel.",
            allowed_mentions=NO_MENTIONS,
        )
    except discord.Forbidden as exc:
        raise UserError(
            f"Discord refused my message in {channel.mention} ({exc.text or 'Missing Permissions'}). "
            "Check the channel's permissions for my role; nothing was changed."
        ) from None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeatureCog(commands.GroupCog, group_name="feature", group_description="Switch features on or off"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="enable", description="Switch a feature on, with its channel and role")
    @app_commands.describe(
        feature="The feature, or 'all' for the master switch",
        server="Game server (default: this Discord server's default one)",
        channel="Channel the feature posts in",
        role="Role the feature pings or hands out",
    )
    @app_commands.choices(feature=FEATURE_CHOICES)
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def enable(
        self,
        interaction: discord.Interaction,
        feature: str,
        server: str | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # posting the notice may be rate limited
        found = await self.bot.servers.resolve(guild.id, server)
        if feature != MASTER_SWITCH:
            spec = feature_spec(feature)
            target = usable_channel(guild, channel.id) if channel is not None else None
            if role is not None:
                usable_role(guild, role.id, spec)
            if target is not None:
                await confirm_channel(target, spec.label, found.name)
        setting = await self.bot.servers.switch_feature(
            found,
            feature,
            enabled=True,
            channel_id=channel.id if channel else None,
            role_id=role.id if role else None,
        )
        if setting is None:
            message = f"Master switch of **{escape(found.name)}** is on: enabled features run again."
        else:
            where = f" in <#{setting.channel_id}>" if setting.channel_id else ""
            message = f"**{FEATURES[feature].label}** is on for **{escape(found.name)}**{where}."
            if not found.enabled:
                message += " Note: the master switch is off, so it stays paused until `/feature enable all`."
        await safe_reply(interaction, message)

    @app_commands.command(name="disable", description="Switch a feature off (its channel and role are kept)")
    @app_commands.describe(feature="The feature, or 'all' for the master switch", server="Game server")
    @app_commands.choices(feature=FEATURE_CHOICES)
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def disable(self, interaction: discord.Interaction, feature: str, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await self.bot.servers.switch_feature(found, feature, enabled=False)
        if feature == MASTER_SWITCH:
            message = f"Master switch of **{escape(found.name)}** is off: every feature is paused."
        else:
            message = f"**{FEATURES[feature].label}** is off for **{escape(found.name)}**."
        await safe_reply(interaction, message)

    @app_commands.command(name="list", description="Show which features are on")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def list_features(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        settings = await self.bot.servers.features.list_for_server(found.id)
        await safe_reply(interaction, embed=features_embed(found, settings))


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(FeatureCog(bot))
