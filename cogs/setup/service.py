"""Linking game servers to a guild (/setup), their provider secrets, and switching features (/feature).

The checks against the guild (the bot's permissions in a channel; for a role also what the member who asks may
do, bot/core/guild_checks.py) run in the cog, where the guild is; everything else — validation, storage, what the
admin is told — is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.feature_switches import FeatureSwitches
from bot.core.i18n import N_, n_
from bot.core.messaging import Messenger
from bot.core.server_removal import RemovalSummary, ServerRemoval, describe_removal, removed_text
from bot.core.servers import CreatedServer, ServerService
from bot.core.text import escape
from bot.db.credentials import CredentialRepository
from bot.db.executor import Executor
from bot.db.records import Server
from bot.votes.credentials import SETTING_KEYS, Endpoints, describe, save_secret


@dataclass(frozen=True, slots=True)
class StoredSecret:
    fingerprint: str
    info: dict[str, object]
    settings: dict[str, str]  # the provider's stored settings (e.g. ``gm_server_id``)


class SetupService:
    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        switches: FeatureSwitches,
        messenger: Messenger,
        endpoints: Endpoints,
    ) -> None:
        self._db = db
        self._servers = servers
        self._switches = switches
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
        shown = await save_secret(self._db, server, provider, value, settings)
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
        return await self._switches.enable(
            server, feature, channel_id=channel_id, role_id=role_id, confirm_in=confirm_in
        )

    async def disable(self, server: Server, feature: str) -> str:
        return await self._switches.disable(server, feature)


def confirm_removal_text(summary: RemovalSummary, seconds: int) -> str:
    return (
        escape(describe_removal(summary))
        + "\n"
        + n_(
            "Press **Remove** within {count} second to go ahead, or **Cancel**. Nothing is deleted until then.",
            "Press **Remove** within {count} seconds to go ahead, or **Cancel**. Nothing is deleted until then.",
            seconds,
        )
    )


# Marked here, translated where they are shown (cogs/setup/views.py ConfirmRemoval), in the reader's language.
REMOVAL_CANCELLED = N_("Cancelled: nothing was removed.")
REMOVAL_TIMED_OUT = N_("The confirmation timed out: nothing was removed. Run /setup remove again if you still want to.")
REMOVAL_NOT_YOURS = N_("Only the admin who ran /setup remove can confirm or cancel it.")
