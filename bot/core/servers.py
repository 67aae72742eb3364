"""Game servers linked to guilds, and their feature switches: the service every feature and the CLI share.

Validation of what owners type, API keys, the default server, the master switch, feature toggles with
their channel, role and settings (checked against the features' declarations), and lookups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.core import i18n
from bot.core.audit import changed, record_change
from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH, FeatureRegistry, FeatureSpec, translated
from bot.core.games import game_name
from bot.core.i18n import N_, Language, _, n_
from bot.core.text import escape
from bot.core.time import format_duration
from bot.core.validation import (
    clean_address,
    clean_cooldown,
    clean_game,
    clean_language,
    clean_name,
    clean_timezone,
    clean_vote_url,
)
from bot.db.features import FeatureRepository
from bot.db.records import FeatureSetting, Server
from bot.db.servers import ServerRepository
from bot.db.transaction import transaction

GuildLocale = Callable[[int], object]
"""A guild's preferred locale from the bot's cache (``discord.Locale`` or None), for servers without a language."""

MAX_SERVERS_PER_GUILD = 25  # one Discord select menu / autocomplete page


class MissingTarget(UserError):
    """A feature switched on without the channel or the role (``what``) it needs. The message names the
    slash-command option; the CLI words it with its own flags (bot/cli/servers.py). Worded in the language in
    force when it is raised."""

    TEXTS: Mapping[str, str] = {
        "channel": N_("To turn on {label}, choose a channel in the channel option. {channel_use}"),
        "role": N_("To turn on {label}, choose a role in the role option."),
    }

    def __init__(self, spec: FeatureSpec, what: str) -> None:
        super().__init__(self.worded(self.TEXTS, spec, what))
        self.spec = spec
        self.what = what

    @staticmethod
    def worded(texts: Mapping[str, str], spec: FeatureSpec, what: str) -> str:
        """``texts[what]`` for ``spec`` (its label, and what it posts in its channel), in the language in force."""
        return _(texts[what], label=_(spec.label), channel_use=translated(spec.channel_use)).rstrip()


SHOWN_URL = 100  # characters of a vote URL echoed back; a longer one is cut (it is stored whole)


def options_summary(server: Server, language: Language) -> str:
    """What ``/setup options`` answers: every option of ``server`` in one sentence, including the vote page and
    ``language``, the one its posts are in now (:meth:`ServerService.language`), so the owner sees what is in
    force (long values cut, outside text escaped)."""
    url = server.vote_url
    page = f"<{url}>" if len(url) <= SHOWN_URL else escape(url[: SHOWN_URL - 1]) + "…"
    # Each part is one option as /setup options lists it ("time zone Europe/Berlin"), joined with commas.
    parts = [
        _("time zone {timezone}", timezone=server.timezone),
        _("category {category}", category=escape(server.category)) if server.category else _("no category"),
        _("vote cooldown {cooldown}", cooldown=format_duration(server.vote_cooldown)),
        _("game {game}", game=escape(game_name(server.game))) if server.game else _("no game"),
        _("address {address}", address=escape(server.address)) if server.address else _("no address"),
        _("vote page {page}", page=page),
        (
            _("language {language}", language=language.name)
            if i18n.language(server.language) is not None
            else _("language {language} (follows the Discord server's language)", language=language.name)
        ),
    ]
    return _("Saved. Options of **{server}**: {options}.", server=escape(server.name), options=", ".join(parts))


def _logged(value: object) -> object:
    """A server option as the audit log stores it (JSON): the cooldown in seconds."""
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return value


def hash_api_key(key: str) -> str:
    """API keys are 256-bit random tokens, so a plain SHA-256 is a safe, indexable hash."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return "vb_" + secrets.token_urlsafe(32)


def server_id_in(text: str) -> int | None:
    """The server id in ``12`` or ``#12`` (ids are shown that way), else None."""
    digits = text.strip().removeprefix("#")
    if digits.isascii() and digits.isdigit() and 0 < int(digits) < 2**63:
        return int(digits)
    return None


@dataclass(frozen=True, slots=True)
class CreatedServer:
    server: Server
    api_key: str  # shown once, stored only as a hash


@dataclass(frozen=True, slots=True)
class KeyCheck:
    server: Server | None  # the server the key opens (the one asked for)
    known: bool  # the key is some server's: with ``server`` None, another server's


class ServerService:
    def __init__(
        self, pool: asyncpg.Pool, features: FeatureRegistry, *, guild_locale: GuildLocale = lambda guild_id: None
    ) -> None:
        self._pool = pool
        self.registry = features
        self._guild_locale = guild_locale
        self._servers = ServerRepository(pool)
        self._features = FeatureRepository(pool)

    # ------------------------------------------------------------------ servers
    async def add(
        self, *, guild_id: int, name: str, vote_url: str, game: str | None = None, address: str | None = None
    ) -> CreatedServer:
        if guild_id <= 0:
            raise UserError(_("The guild id must be a positive Discord id."))
        name = clean_name(name)
        if server_id_in(name) is not None:
            raise UserError(
                _(
                    "The name “{name}” looks like a server id; give the server a name with at least one letter.",
                    name=name,
                )
            )
        vote_url = clean_vote_url(vote_url)
        game = clean_game(game)
        address = clean_address(address)
        api_key = new_api_key()
        defaults = [(spec.name, spec.enabled_by_default) for spec in self.registry]
        async with transaction(self._pool) as connection:
            servers = ServerRepository(connection)
            if await servers.count_for_guild(guild_id) >= MAX_SERVERS_PER_GUILD:
                raise UserError(
                    n_(
                        "A Discord server can link at most {count} game server.",
                        "A Discord server can link at most {count} game servers.",
                        MAX_SERVERS_PER_GUILD,
                    )
                )
            taken = await servers.find_for_guild(guild_id, name)
            if taken is not None:
                raise UserError(
                    _(
                        "This Discord server already has a game server called “{server}” (id {id}). Names can't "
                        "differ only in upper and lower case, so choose another name.",
                        server=taken.name,
                        id=str(taken.id),
                    )
                )
            try:
                server = await servers.create(
                    guild_id=guild_id,
                    name=name,
                    vote_url=vote_url,
                    game=game,
                    address=address,
                    api_key_hash=hash_api_key(api_key),
                    features=defaults,
                )
            except asyncpg.UniqueViolationError:
                raise UserError(
                    _(
                        "This Discord server already has a game server called “{server}”. Names can't differ only "
                        "in upper and lower case, so choose another name.",
                        server=name,
                    )
                ) from None
            await record_change(
                connection,
                server,
                "server.add",
                {"name": server.name, "vote_url": server.vote_url, "game": server.game, "address": server.address},
            )
        return CreatedServer(server, api_key)

    async def resolve(self, guild_id: int, server: str | None) -> Server:
        """The guild's server chosen by id (what autocomplete sends, and what /setup list shows) or by name,
        or its default one when none is given; a clear error when there is none."""
        if server is None:
            found = await self._servers.find_for_guild(guild_id, None)
            if found is None:
                raise UserError(
                    _("No game server is linked to this Discord server yet. An admin can add one with /setup server.")
                )
            return found
        text = server.strip()
        server_id = server_id_in(text)
        if server_id is not None:
            found = await self._servers.find_by_id_in_guild(guild_id, server_id)
            if found is not None:
                return found
        found = await self._servers.find_for_guild(guild_id, " ".join(text.split()))
        if found is None:
            raise UserError(
                _(
                    "No game server called “{server}” is linked here. Pick one from the list that opens as you type "
                    "in the server option.",
                    server=text[:100],
                )
            )
        return found

    async def get(self, server_id: int) -> Server:
        server = await self._servers.get(server_id)
        if server is None:
            raise UserError(_("There is no server with id {id}.", id=str(server_id)))
        return server

    async def find(self, server_id: int) -> Server | None:
        return await self._servers.get(server_id)

    async def by_api_key(self, server_id: int, api_key: str) -> KeyCheck:
        """Whether ``api_key`` is the key of server ``server_id`` (hashes compared in constant time), of another
        server, or of none (the management API answers 200, 404 and 401)."""
        given = hash_api_key(api_key)
        stored = await self._servers.api_key_hash(server_id)
        if stored is not None and hmac.compare_digest(stored, given):
            server = await self._servers.get(server_id)
            if server is not None:
                return KeyCheck(server, known=True)
        return KeyCheck(None, known=await self._servers.id_for_key_hash(given) is not None)

    async def in_guild(self, server_id: int, guild_id: int | None) -> Server | None:
        """The server when it is linked to ``guild_id`` (a button's server id is outside input)."""
        server = await self._servers.get(server_id)
        return server if server is not None and server.guild_id == guild_id else None

    async def list_for_guild(self, guild_id: int) -> list[Server]:
        return await self._servers.list_for_guild(guild_id)

    async def list_all(self) -> list[Server]:
        return await self._servers.list_all()

    async def update_options(
        self,
        server: Server,
        *,
        timezone: str | None = None,
        category: str | None = None,
        cooldown_hours: float | None = None,
        vote_url: str | None = None,
        address: str | None = None,
        game: str | None = None,
        language: str | None = None,
    ) -> Server:
        """Change a server's settings; None leaves a value as it is (``language="auto"`` follows the guild's
        preferred locale again). Everything is validated first."""
        changes: dict[str, object] = {}
        if language is not None:
            changes["language"] = clean_language(language)
        if timezone is not None:
            changes["timezone"] = clean_timezone(timezone)
        if category is not None:
            changes["category"] = clean_name(category, what="category", limit=64).lower()
        if cooldown_hours is not None:
            changes["vote_cooldown"] = clean_cooldown(cooldown_hours)
        if vote_url is not None:
            changes["vote_url"] = clean_vote_url(vote_url)
        if address is not None:
            changes["address"] = clean_address(address)
        if game is not None:
            changes["game"] = clean_game(game)
        if not changes:
            raise UserError(_("Nothing to change: give at least one option."))
        async with transaction(self._pool) as connection:
            repo = ServerRepository(connection)
            before = await repo.get(server.id) or server
            updated = await repo.update(server.id, changes)
            differences = {
                key: pair
                for key in sorted(changes)
                if (pair := changed(_logged(getattr(before, key)), _logged(getattr(updated, key)))) is not None
            }
            if differences:
                await record_change(connection, updated, "server.options", {"changes": differences})
        return updated

    def language(self, server: Server) -> Language:
        """The language of what the bot posts for ``server``: its own setting, else the guild's preferred locale
        (English when the bot does not speak that one)."""
        return i18n.language(server.language) or i18n.for_locale(self._guild_locale(server.guild_id))

    def speaking_for(self, server: Server) -> AbstractContextManager[Language]:
        """``with servers.speaking_for(server):`` around building a channel post, board, alert or DM."""
        return i18n.speaking(self.language(server))

    async def make_default(self, server: Server) -> None:
        async with transaction(self._pool) as connection:
            await ServerRepository(connection).set_default(server)
            if not server.is_default:
                await record_change(connection, server, "server.default", {"name": server.name})

    # ------------------------------------------------------------------ features
    def spec(self, feature: str) -> FeatureSpec:
        return self.registry.get(feature)

    async def setting(self, server_id: int, feature: str) -> FeatureSetting | None:
        return await self._features.get(server_id, feature)

    async def features_on(self) -> dict[int, list[str]]:
        """Every server's features that are switched on, by server id (the owners' instance page)."""
        return await self._features.enabled_by_server()

    async def settings_of(self, server_id: int) -> list[FeatureSetting]:
        return await self._features.list_for_server(server_id)

    async def switch_feature(
        self,
        server: Server,
        feature: str,
        *,
        enabled: bool,
        channel_id: int | None = None,
        role_id: int | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> FeatureSetting | None:
        """Turn a feature (or the master switch, ``all``) on or off, optionally with its channel, role and
        settings (validated against the feature's declaration). Returns the new setting (None for the master)."""
        if feature == MASTER_SWITCH:
            if settings:
                raise UserError(_("The master switch has no settings."))
            async with transaction(self._pool) as connection:
                repo = ServerRepository(connection)
                before = await repo.get(server.id)
                await repo.set_enabled(server.id, enabled)
                if before is None or before.enabled != enabled:
                    await record_change(connection, server, "master.on" if enabled else "master.off")
            return None
        spec = self.registry.get(feature)
        parsed = spec.parse_settings(settings or {})
        async with transaction(self._pool) as connection:
            features = FeatureRepository(connection)
            current = await features.get(server.id, feature)
            if enabled:
                if spec.needs_channel and channel_id is None and (current is None or current.channel_id is None):
                    raise MissingTarget(spec, "channel")
                if spec.needs_role and role_id is None and (current is None or current.role_id is None):
                    raise MissingTarget(spec, "role")
            merged = {**(current.settings if current else {}), **parsed} if parsed else None
            setting = await features.set(
                server.id, feature, enabled=enabled, channel_id=channel_id, role_id=role_id, settings=merged
            )
            await self._record_switch(connection, server, spec, current, setting, parsed)
        return setting

    async def _record_switch(
        self,
        connection: asyncpg.Connection,
        server: Server,
        spec: FeatureSpec,
        before: FeatureSetting | None,
        after: FeatureSetting,
        parsed: Mapping[str, object],
    ) -> None:
        """The audit log's entry for a switch: ``feature.on``/``feature.off`` when it was switched, else
        ``feature.configure`` when its channel, role or settings changed (only what changed), else nothing."""
        was_on = before.enabled if before is not None else spec.enabled_by_default
        details: dict[str, Any] = {"feature": spec.name}
        for key in ("channel_id", "role_id"):
            pair = changed(getattr(before, key) if before else None, getattr(after, key))
            if pair is not None:
                details[key] = pair
        old_settings = spec.current(before.settings if before else {})
        new_settings = spec.current(after.settings)
        setting_changes = {
            name: pair for name in parsed if (pair := changed(old_settings[name], new_settings[name])) is not None
        }
        if setting_changes:
            details["settings"] = setting_changes
        if was_on != after.enabled:
            action = "feature.on" if after.enabled else "feature.off"
        elif len(details) > 1:
            action = "feature.configure"
        else:
            return
        await record_change(connection, server, action, details)

    async def configure(
        self,
        server: Server,
        feature: str,
        *,
        channel_id: int | None = None,
        role_id: int | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> FeatureSetting:
        """Change a feature's channel, role or settings and leave it on or off as it is."""
        current = await self._features.get(server.id, feature)
        enabled = current.enabled if current is not None else self.registry.get(feature).enabled_by_default
        setting = await self.switch_feature(
            server, feature, enabled=enabled, channel_id=channel_id, role_id=role_id, settings=settings
        )
        assert setting is not None  # noqa: S101 - only the master switch returns None
        return setting

    def current_settings(self, setting: FeatureSetting | None, feature: str) -> dict[str, Any]:
        """Every declared setting of ``feature``: the stored value or its default."""
        return self.registry.get(feature).current(setting.settings if setting else {})

    async def is_active(self, server: Server, feature: str) -> bool:
        """A feature runs only when both it and the server's master switch are on."""
        if not server.enabled:
            return False
        setting = await self._features.get(server.id, feature)
        return setting is not None and setting.enabled

    async def active_setting(self, server: Server, feature: str) -> FeatureSetting | None:
        """The feature's setting when it runs (feature and master switch on), else None."""
        if not server.enabled:
            return None
        setting = await self._features.get(server.id, feature)
        return setting if setting is not None and setting.enabled else None

    async def active(self, feature: str) -> list[tuple[Server, FeatureSetting]]:
        return await self._features.active(feature)

    async def set_message_id(self, server_id: int, feature: str, message_id: int | None) -> None:
        await self._features.set_message_id(server_id, feature, message_id)

    async def set_state(self, server_id: int, feature: str, key: str, value: Any) -> None:
        """Keep bookkeeping (a board's digest, a poll's baseline) under ``key`` of the feature's settings."""
        await self._features.set_settings_key(server_id, feature, key, value)

    async def mark_board_stale(self, server_id: int, feature: str) -> None:
        await self._features.mark_board_stale(server_id, feature)

    async def take_stale_boards(
        self, feature: str, shard_count: int | None, shard_ids: list[int] | None
    ) -> frozenset[int]:
        return await self._features.take_stale_boards(feature, shard_count, shard_ids)
