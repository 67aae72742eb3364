"""Linking game servers to a guild (/setup), their provider secrets, and switching features (/feature).

The checks against the guild (the bot's permissions in a channel; for a role also what the member who asks may
do, bot/core/guild_checks.py) run in the cog, where the guild is; everything else — validation, storage, what the
admin is told — is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import discord

from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH
from bot.core.messaging import Messenger, Unreachable
from bot.core.server_removal import RemovalOutcome, RemovalSummary, ServerRemoval, describe_removal
from bot.core.servers import CreatedServer, ServerService
from bot.core.text import escape
from bot.db.credentials import CredentialRepository
from bot.db.executor import Executor
from bot.db.records import FeatureSetting, Server
from bot.votes.credentials import SETTING_KEYS, Endpoints, check_setting, describe, store_secret


@dataclass(frozen=True, slots=True)
class StoredSecret:
    fingerprint: str
    info: dict[str, object]
    settings: dict[str, str]  # the provider's stored settings (e.g. ``gm_server_id``)


class SetupService:
    def __init__(self, db: Executor, servers: ServerService, messenger: Messenger, endpoints: Endpoints) -> None:
        self._servers = servers
        self._credentials = CredentialRepository(db)
        self._messenger = messenger
        self._endpoints = endpoints
        self._removal = ServerRemoval(db, messenger)

    # ------------------------------------------------------------------ servers
    async def link(
        self, guild_id: int, *, name: str, vote_url: str, game: str | None, address: str | None, default: bool
    ) -> CreatedServer:
        created = await self._servers.add(guild_id=guild_id, name=name, vote_url=vote_url, game=game, address=address)
        if default and not created.server.is_default:
            await self._servers.make_default(created.server)
        return created

    async def preview_removal(self, server: Server) -> RemovalSummary:
        return await self._removal.preview(server)

    async def remove(self, server: Server) -> str:
        """Delete the server (after the admin confirmed) and its board messages; says what happened."""
        return removed_text(await self._removal.remove(server))

    async def store_secret(
        self, server: Server, provider: str, value: str, settings: Mapping[str, str] | None = None
    ) -> StoredSecret:
        """Store the secret with the provider settings typed beside it (an empty one keeps what is stored);
        a bad setting or secret changes nothing."""
        cleaned = {key: check_setting(provider, key, text) for key, text in (settings or {}).items() if text.strip()}
        shown = await store_secret(self._credentials, server.id, provider, value, cleaned)
        credential = await self._credentials.get(server.id, provider)
        info = describe(self._endpoints, server.id, credential, provider)
        return StoredSecret(shown, info, await self.provider_settings(server, provider))

    async def provider_settings(self, server: Server, provider: str) -> dict[str, str]:
        """The stored settings of a provider (e.g. ``gm_server_id``), to prefill the form."""
        credential = await self._credentials.get(server.id, provider)
        if credential is None:
            return {}
        return {key: str(value) for key, value in credential.settings.items() if key in SETTING_KEYS[provider]}

    # ------------------------------------------------------------------ features
    async def enable(
        self, server: Server, feature: str, *, channel_id: int | None, role_id: int | None, confirm_in: int | None
    ) -> str:
        """Switch a feature (or the master switch) on. ``confirm_in``: post a notice there first, which proves the
        bot may post (the permission cache can be stale); nothing changes when Discord refuses it."""
        if feature != MASTER_SWITCH:
            spec = self._servers.spec(feature)
            if confirm_in is not None:
                await self._confirm(confirm_in, spec.posts or spec.label.lower(), server)
        setting = await self._servers.switch_feature(
            server, feature, enabled=True, channel_id=channel_id, role_id=role_id
        )
        if feature == MASTER_SWITCH:
            return enabled_text(server, setting, self._servers.registry.label(feature))
        spec = self._servers.spec(feature)
        text = enabled_text(server, setting, spec.label, spec.channel_use)
        if setting is not None and setting.role_id and spec.role_use:
            text += f" {spec.role_use}"
        if spec.needs_address and not server.address:
            text += (
                f" **{escape(server.name)}** has no address yet, so there is nothing to show until you set one "
                "with /setup options address:host:port."
            )
        return text

    async def disable(self, server: Server, feature: str) -> str:
        await self._servers.switch_feature(server, feature, enabled=False)
        if feature == MASTER_SWITCH:
            return f"Paused every feature of **{escape(server.name)}** (the master switch is off)."
        return f"Turned off **{self._servers.registry.label(feature)}** for **{escape(server.name)}**."

    async def _confirm(self, channel_id: int, posts: str, server: Server) -> None:
        try:
            await self._messenger.post(
                channel_id, f"✅ **{escape(server.name)}**'s {posts} will be posted in this channel."
            )
        except Unreachable as exc:
            raise UserError(
                f"Discord refused my message in <#{channel_id}> ({exc.reason}). "
                "Check the channel's permissions for my role; nothing was changed."
            ) from None
        except discord.HTTPException as exc:
            raise UserError(f"Discord did not take my message in <#{channel_id}> ({exc.status}); try again.") from None


def enabled_text(server: Server, setting: FeatureSetting | None, label: str, channel_use: str = "") -> str:
    if setting is None:
        return f"The master switch of **{escape(server.name)}** is on again: the features that are on run again."
    where = f" in <#{setting.channel_id}>" if setting.channel_id else ""
    role = f" with the role <@&{setting.role_id}>" if setting.role_id else ""
    message = f"Turned on **{label}** for **{escape(server.name)}**{where}{role}."
    if setting.channel_id and channel_use:
        message += f" {channel_use}"
    if not server.enabled:
        message += " Note: the master switch is off, so it stays paused until `/feature enable all`."
    return message


def confirm_removal_text(summary: RemovalSummary, seconds: int) -> str:
    return (
        f"{escape(describe_removal(summary))}\n"
        f"Press **Remove** within {seconds} seconds to go ahead, or **Cancel**. Nothing is deleted until then."
    )


def removed_text(outcome: RemovalOutcome) -> str:
    server = outcome.summary.server
    lines = [f"Removed **{escape(server.name)}** (id `{server.id}`) and everything listed above."]
    if outcome.boards_deleted:
        lines.append(f"Board messages deleted: {outcome.boards_deleted}.")
    lines.extend(
        f"I could not delete its board message https://discord.com/channels/{server.guild_id}/"
        f"{left.board.channel_id}/{left.board.message_id} ({left.reason}); please delete it by hand."
        for left in outcome.boards_left
    )
    return "\n".join(lines)


REMOVAL_CANCELLED = "Cancelled: nothing was removed."
REMOVAL_TIMED_OUT = "The confirmation timed out: nothing was removed. Run /setup remove again if you still want to."
REMOVAL_NOT_YOURS = "Only the admin who ran /setup remove can confirm or cancel it."
