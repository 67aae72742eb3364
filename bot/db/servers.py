"""SQL for game servers linked to guilds, and the one list of their columns every query selects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.db.executor import Executor
from bot.db.records import SERVER_FIELDS, Server


def server_columns(alias: str | None = None, *, prefix: str = "") -> str:
    """The columns :meth:`Server.from_record` reads: ``id, guild_id, …``, or ``s.id AS s_id, …`` in a join."""
    if alias is None:
        return ", ".join(SERVER_FIELDS)
    return ", ".join(f"{alias}.{name} AS {prefix}{name}" if prefix else f"{alias}.{name}" for name in SERVER_FIELDS)


_COLUMNS = server_columns()


@dataclass(frozen=True, slots=True)
class RemovalCounts:
    votes: int
    providers: tuple[str, ...]
    wipes: int
    giveaways: int


@dataclass(frozen=True, slots=True)
class BoardMessage:
    feature: str
    channel_id: int
    message_id: int


class ServerRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        *,
        guild_id: int,
        name: str,
        vote_url: str,
        api_key_hash: str,
        features: Sequence[tuple[str, bool]],
        game: str | None = None,
        address: str | None = None,
    ) -> Server:
        """Insert a server (the guild's first becomes its default) with a row per feature ``(name, enabled)``.

        Run it inside the caller's transaction (the server and its feature rows go together).
        """
        record = await self._db.fetchrow(
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
        await self._db.executemany(
            "INSERT INTO server_features (server_id, feature, enabled) VALUES ($1, $2, $3)",
            [(record["id"], name, enabled) for name, enabled in features],
        )
        return Server.from_record(record)

    async def get(self, server_id: int) -> Server | None:
        record = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM servers WHERE id = $1", server_id)
        return Server.from_record(record) if record else None

    async def api_key_hash(self, server_id: int) -> str | None:
        """The stored hash of the server's API key (the management API compares it in constant time)."""
        value = await self._db.fetchval("SELECT api_key_hash FROM servers WHERE id = $1", server_id)
        return str(value) if value is not None else None

    async def id_for_key_hash(self, key_hash: str) -> int | None:
        """The server whose API key hashes to ``key_hash``."""
        value = await self._db.fetchval("SELECT id FROM servers WHERE api_key_hash = $1", key_hash)
        return int(value) if value is not None else None

    async def list_all(self) -> list[Server]:
        records = await self._db.fetch(f"SELECT {_COLUMNS} FROM servers ORDER BY id")
        return [Server.from_record(r) for r in records]

    async def list_for_guild(self, guild_id: int) -> list[Server]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 ORDER BY is_default DESC, name", guild_id
        )
        return [Server.from_record(r) for r in records]

    async def find_for_guild(self, guild_id: int, name: str | None) -> Server | None:
        """The guild's server called ``name`` (names are unique regardless of case), or its default server when
        ``name`` is None."""
        if name is None:
            record = await self._db.fetchrow(
                f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 ORDER BY is_default DESC, id LIMIT 1", guild_id
            )
        else:
            record = await self._db.fetchrow(
                f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 AND lower(name) = lower($2)", guild_id, name
            )
        return Server.from_record(record) if record else None

    async def find_by_id_in_guild(self, guild_id: int, server_id: int) -> Server | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM servers WHERE guild_id = $1 AND id = $2", guild_id, server_id
        )
        return Server.from_record(record) if record else None

    async def removal_counts(self, server_id: int) -> RemovalCounts:
        """What deleting the server takes with it (every table below cascades from ``servers``)."""
        record = await self._db.fetchrow(
            """
            SELECT (SELECT count(*) FROM votes WHERE server_id = $1) AS votes,
                   ARRAY(SELECT provider FROM provider_credentials WHERE server_id = $1 ORDER BY provider)
                       AS providers,
                   (SELECT count(*) FROM wipes WHERE server_id = $1) AS wipes,
                   (SELECT count(*) FROM giveaways WHERE server_id = $1) AS giveaways
            """,
            server_id,
        )
        assert record is not None  # noqa: S101 - a SELECT without FROM always yields a row
        return RemovalCounts(
            votes=int(record["votes"]),
            providers=tuple(record["providers"]),
            wipes=int(record["wipes"]),
            giveaways=int(record["giveaways"]),
        )

    async def board_messages(self, server_id: int) -> list[BoardMessage]:
        """The board messages (status, top-10 …) the server's features keep up to date."""
        records = await self._db.fetch(
            """
            SELECT feature, channel_id, message_id FROM server_features
            WHERE server_id = $1 AND channel_id IS NOT NULL AND message_id IS NOT NULL
            ORDER BY feature
            """,
            server_id,
        )
        return [BoardMessage(r["feature"], r["channel_id"], r["message_id"]) for r in records]

    UPDATABLE = frozenset({"timezone", "category", "vote_cooldown", "vote_url", "address", "game", "language"})

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

    async def count_for_guild(self, guild_id: int) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM servers WHERE guild_id = $1", guild_id))

    async def set_default(self, server: Server) -> None:
        """Make ``server`` its guild's default (two statements: run it in a transaction)."""
        await self._db.execute(
            "UPDATE servers SET is_default = false WHERE guild_id = $1 AND is_default", server.guild_id
        )
        await self._db.execute("UPDATE servers SET is_default = true WHERE id = $1", server.id)

    async def set_enabled(self, server_id: int, enabled: bool) -> None:
        await self._db.execute("UPDATE servers SET enabled = $2 WHERE id = $1", server_id, enabled)

    async def delete(self, server: Server) -> None:
        """Delete a server; if it was the default, the guild's oldest remaining server becomes the default
        (two statements: run it in a transaction)."""
        await self._db.execute("DELETE FROM servers WHERE id = $1", server.id)
        if server.is_default:
            await self._db.execute(
                """
                UPDATE servers SET is_default = true
                WHERE id = (SELECT id FROM servers WHERE guild_id = $1 ORDER BY id LIMIT 1)
                """,
                server.guild_id,
            )
