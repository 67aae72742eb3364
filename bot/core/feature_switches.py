"""Switching a feature on or off, the one way every way in takes (slash commands, the dashboard, the API).

Switching a feature on with a channel posts a notice there first, in the server's language: it proves the bot may
post (the permission cache can be stale), and nothing changes when Discord refuses it. What the owner is told comes
back as one text in the language in force.
"""

from __future__ import annotations

from collections.abc import Mapping

import discord

from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH, FeatureSpec, translated
from bot.core.i18n import _
from bot.core.messaging import Messenger, Unreachable
from bot.core.servers import ServerService
from bot.core.text import escape
from bot.db.records import FeatureSetting, Server


class FeatureSwitches:
    def __init__(self, servers: ServerService, messenger: Messenger) -> None:
        self._servers = servers
        self._messenger = messenger

    async def enable(
        self,
        server: Server,
        feature: str,
        *,
        channel_id: int | None,
        role_id: int | None,
        confirm_in: int | None,
        settings: Mapping[str, object] | None = None,
    ) -> str:
        """Switch a feature (or the master switch) on. ``confirm_in``: post a notice there first, which proves the
        bot may post (the permission cache can be stale); nothing changes when Discord refuses it."""
        if feature != MASTER_SWITCH:
            spec = self._servers.spec(feature)
            spec.parse_settings(settings or {})  # a bad setting is refused before anything is posted
            if confirm_in is not None:
                await self._confirm(confirm_in, spec, server)
        setting = await self._servers.switch_feature(
            server, feature, enabled=True, channel_id=channel_id, role_id=role_id, settings=settings
        )
        if feature == MASTER_SWITCH:
            return enabled_text(server, setting, "")
        spec = self._servers.spec(feature)
        text = enabled_text(server, setting, _(spec.label), translated(spec.channel_use))
        if setting is not None and setting.role_id and spec.role_use:
            text += " " + _(spec.role_use)
        if spec.needs_address and not server.address:
            text += " " + _(
                "**{server}** has no address yet, so there is nothing to show until you set one with "
                "/setup options address:host:port.",
                server=escape(server.name),
            )
        return text

    async def disable(self, server: Server, feature: str) -> str:
        await self._servers.switch_feature(server, feature, enabled=False)
        if feature == MASTER_SWITCH:
            return _("Paused every feature of **{server}** (the master switch is off).", server=escape(server.name))
        return _(
            "Turned off **{feature}** for **{server}**.",
            feature=_(self._servers.registry.label(feature)),
            server=escape(server.name),
        )

    async def _confirm(self, channel_id: int, spec: FeatureSpec, server: Server) -> None:
        """The notice in the feature's channel, in the server's language (it stays there for everyone)."""
        with self._servers.speaking_for(server):
            posts = translated(spec.posts) or _(spec.label).lower()
            # Translators: posted in the channel a feature was switched on for; {posts} is what the feature
            # posts, e.g. "thank-yous for votes".
            notice = _(
                "✅ **{server}**'s {posts} will be posted in this channel.", server=escape(server.name), posts=posts
            )
        channel = f"<#{channel_id}>"
        try:
            await self._messenger.post(channel_id, notice)
        except Unreachable as exc:
            raise UserError(
                _(
                    "Discord refused my message in {channel} ({reason}). Check the channel's permissions for my role; "
                    "nothing was changed.",
                    channel=channel,
                    reason=exc.shown,
                )
            ) from None
        except discord.HTTPException as exc:
            raise UserError(
                _(
                    "Discord did not take my message in {channel} ({status}); try again.",
                    channel=channel,
                    status=str(exc.status),
                )
            ) from None


def enabled_text(server: Server, setting: FeatureSetting | None, label: str, channel_use: str = "") -> str:
    """What ``/feature enable`` answers; ``label`` and ``channel_use`` are already in the language in force."""
    name = escape(server.name)
    if setting is None:
        return _("The master switch of **{server}** is on again: the features that are on run again.", server=name)
    channel = f"<#{setting.channel_id}>" if setting.channel_id else ""
    role = f"<@&{setting.role_id}>" if setting.role_id else ""
    if channel and role:
        message = _(
            "Turned on **{feature}** for **{server}** in {channel} with the role {role}.",
            feature=label,
            server=name,
            channel=channel,
            role=role,
        )
    elif channel:
        message = _(
            "Turned on **{feature}** for **{server}** in {channel}.", feature=label, server=name, channel=channel
        )
    elif role:
        message = _(
            "Turned on **{feature}** for **{server}** with the role {role}.", feature=label, server=name, role=role
        )
    else:
        message = _("Turned on **{feature}** for **{server}**.", feature=label, server=name)
    if setting.channel_id and channel_use:
        message += " " + channel_use
    if not server.enabled:
        message += " " + _("Note: the master switch is off, so it stays paused until `/feature enable all`.")
    return message
