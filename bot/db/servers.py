"""SQL for game servers linked to guilds."""

from __future__ import annotations

import asyncpg

from bot.core.features import FEATURES
from bot.db.executor import Executor
from bot.db.records import Server

_COLUMNS = (
    "id, guild_id, name, vote_url, game, address, category, timezone, enabled, is_default, vote_cooldown, created_at"
)


class ServerRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        connection: asyncpg.Connection,
        *,
        guild_id: int,
        name: str,
        vote_url: str,
        api_key_hash: str,
        game: str | None = None,
        address: str | None = None,
    ) -> Server:
        """Insert a server (the guild's first becomes its default) with its default features.

        Must run inside the caller's transaction.
        """
        record = await connection.fetchrow(
            f"""
            INSERT INTO servers (guild_id, name, vote_url, game, address, api_key_hash, is_default)
            VALUES ($1, $2, $3, $4, $5, $6, NOT EXISTS (SELECT 1 FROM servers WHERE guild_id = $1 AND is_default))
            RETURNING {_COLUMNS}
            """,
            guild_id,
            name,
            vote_url,
            game,
            address,
            api_key_hash,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("insert returned no row")
        await connection.executemany(
            "INSERT INTO server_features (server_id, feature, enabled) VALUES ($1, $2, $3)",
            [(record["id"], spec.name, spec.enabled_by_default) for spec in FEATURES.values()],
        )
        return Server.from_record(record)

    async def get(self, server_id: int) -> Server | None:
        record = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM servers WHERE id = $1", server_id)
        return Server.from_record(record) if record else None

    async def list_all(self) -> list[Server]:
        records = await self._db.fetch(f"SELECT {_COLUMNS} FROM servers ORDER BY id")
        return [Server.from_record(r) for r in records]

    async def list_for_guild(self, guild_id: int) -> list[Server]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 ORDER BY is_default DESC, name", guild_id
        )
        return [Server.from_record(r) for r in records]

    async def find_for_guild(self, guild_id: int, name: str | None) -> Server | None:
        """The guild's server called ``name`` (case-insensitive), or its default server when ``name`` is None."""
        if name is None:
            record = await self._db.fetchrow(
                f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 ORDER BY is_default DESC, id LIMIT 1", guild_id
            )
        else:
            record = await self._db.fetchrow(
                f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 AND lower(name) = lower($2)", guild_id, name
            )
        return Server.from_record(record) if record else None

    UPDATABLE = frozenset({"timezone", "category", "vote_cooldown", "vote_url", "address", "game"})

    async def update(self, server_id: int, changes: dict[str, object]) -> Server:
        unknown = set(changes) - self.UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        columns = sorted(changes)
        assignments = ", ".join(f"{column} = ${index}" for index, column in enumerate(columns, start=2))
        record = await self._db.fetchrow(
            f"UPDATE servers SET {assignments} WHERE id = $1 RETURNING {_COLUMNS}",
            server_id,
            *(changes[c] for c in columns),
        )
        if record is None:
            raise LookupError(f"server {server_id} does not exist")
        return Server.from_record(record)

    async def set_default(self, connection: asyncpg.Connection, server: Server) -> None:
        await connection.execute(
            "UPDATE servers SET is_default = false WHERE guild_id = $1 AND is_default", server.guild_id
        )
        await connection.execute("UPDATE servers SET is_default = true WHERE id = $1", server.id)

    async def set_enabled(self, server_id: int, enabled: bool) -> None:
        await self._db.execute("UPDATE servers SET enabled = $2 WHERE id = $1", server_id, enabled)

    async def delete(self, connection: asyncpg.Connection, server: Server) -> None:
        """Delete a server; if it was the default, the guild's oldest remaining server becomes the default."""
        await connection.execute("DELETE FROM servers WHERE id = $1", server.id)
        if server.is_default:
            await connection.execute(
                """
                UPDATE servers SET is_default = true
                WHERE id = (SELECT id FROM servers WHERE guild_id = $1 ORDER BY id LIMIT 1)
                """,
                server.guild_id,
            )
