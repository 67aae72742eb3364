"""Linking game servers to guilds: validation, API keys, the default server and feature switches."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH, feature_spec
from bot.core.validation import (
    clean_address,
    clean_cooldown,
    clean_game,
    clean_name,
    clean_timezone,
    clean_vote_url,
)
from bot.db.features import FeatureRepository
from bot.db.records import FeatureSetting, Server
from bot.db.servers import ServerRepository

MAX_SERVERS_PER_GUILD = 25  # one Discord select menu / autocomplete page


def hash_api_key(key: str) -> str:
    """API keys are 256-bit random tokens, so a plain SHA-256 is a safe, indexable hash."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return "vb_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class CreatedServer:
    server: Server
    api_key: str  # shown once, stored only as a hash


class ServerService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.servers = ServerRepository(pool)
        self.features = FeatureRepository(pool)

    async def add(
        self, *, guild_id: int, name: str, vote_url: str, game: str | None = None, address: str | None = None
    ) -> CreatedServer:
        if guild_id <= 0:
            raise UserError("The guild id must be a positive Discord id.")
        name = clean_name(name)
        vote_url = clean_vote_url(vote_url)
        game = clean_game(game)
        address = clean_address(address)
        api_key = new_api_key()
        async with self._pool.acquire() as connection, connection.transaction():
            count = await connection.fetchval("SELECT count(*) FROM servers WHERE guild_id = $1", guild_id)
            if count >= MAX_SERVERS_PER_GUILD:
                raise UserError(f"A guild can link at most {MAX_SERVERS_PER_GUILD} servers.")
            try:
                server = await self.servers.create(
                    connection,
                    guild_id=guild_id,
                    name=name,
                    vote_url=vote_url,
                    game=game,
                    address=address,
                    api_key_hash=hash_api_key(api_key),
                )
            except asyncpg.UniqueViolationError:
                raise UserError(f"This guild already has a server called {name!r}.") from None
        return CreatedServer(server, api_key)

    async def resolve(self, guild_id: int, name: str | None) -> Server:
        """The guild's server by name, or its default one; a clear error when there is none."""
        server = await self.servers.find_for_guild(guild_id, name)
        if server is None:
            if name is None:
                raise UserError(
                    "No game server is linked to this Discord server yet. An admin can add one with /setup server."
                )
            raise UserError(f"There is no server called {name!r} here. /setup list shows the linked servers.")
        return server

    async def get(self, server_id: int) -> Server:
        server = await self.servers.get(server_id)
        if server is None:
            raise UserError(f"There is no server with id {server_id}.")
        return server

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
    ) -> Server:
        """Change a server's settings; None leaves a value as it is. Everything is validated first."""
        changes: dict[str, object] = {}
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
            raise UserError("Nothing to change: give at least one option.")
        return await self.servers.update(server.id, changes)

    async def make_default(self, server: Server) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            await self.servers.set_default(connection, server)

    async def remove(self, server: Server) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            await self.servers.delete(connection, server)

    async def switch_feature(
        self,
        server: Server,
        feature: str,
        *,
        enabled: bool,
        channel_id: int | None = None,
        role_id: int | None = None,
    ) -> FeatureSetting | None:
        """Turn a feature (or the master switch, ``all``) on or off. Returns the new setting (None for the master)."""
        if feature == MASTER_SWITCH:
            await self.servers.set_enabled(server.id, enabled)
            return None
        spec = feature_spec(feature)
        if enabled:
            current = await self.features.get(server.id, feature)
            if spec.needs_channel and channel_id is None and (current is None or current.channel_id is None):
                raise UserError(f"{spec.label} needs a channel: pass the channel option.")
            if spec.needs_role and role_id is None and (current is None or current.role_id is None):
                raise UserError(f"{spec.label} needs a role: pass the role option.")
        return await self.features.set(server.id, feature, enabled=enabled, channel_id=channel_id, role_id=role_id)

    async def is_active(self, server: Server, feature: str) -> bool:
        """A feature runs only when both it and the server's master switch are on."""
        if not server.enabled:
            return False
        setting = await self.features.get(server.id, feature)
        return setting is not None and setting.enabled
