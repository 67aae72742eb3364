"""Player links (``player_links``): a member's in-game name per server, one name per member and one member
per name. The links feature writes them; vote attribution (:mod:`bot.db.votes`) and rewards read them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor
from bot.db.transaction import transaction


@dataclass(frozen=True, slots=True)
class Link:
    server_id: int
    discord_user_id: int
    player_name: str
    ping_opt_in: bool  # the thank-you message may ping this member

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Link:
        return cls(record["server_id"], record["discord_user_id"], record["player_name"], record["ping_opt_in"])


class NameTaken(Exception):
    def __init__(self, holder: int) -> None:
        super().__init__(holder)
        self.holder = holder


_COLUMNS = "server_id, discord_user_id, player_name, ping_opt_in"


class LinkRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def get(self, server_id: int, user_id: int) -> Link | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return Link.from_record(record) if record else None

    async def by_name(self, server_id: int, name: str) -> Link | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM player_links WHERE server_id = $1 AND lower(player_name) = lower($2)",
            server_id,
            name,
        )
        return Link.from_record(record) if record else None

    async def link(
        self, server_id: int, user_id: int, name: str, *, ping: bool = False, reassign: bool = False
    ) -> Link:
        """Tie ``name`` to the member (replacing their old name); :class:`NameTaken` unless ``reassign``."""
        async with transaction(self._db) as connection:
            holder = await connection.fetchval(
                "SELECT discord_user_id FROM player_links WHERE server_id = $1 AND lower(player_name) = lower($2) "
                "FOR UPDATE",
                server_id,
                name,
            )
            if holder is not None and holder != user_id:
                if not reassign:
                    raise NameTaken(holder)
                await connection.execute(
                    "DELETE FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, holder
                )
            record = await connection.fetchrow(
                f"""
                INSERT INTO player_links (server_id, discord_user_id, player_name, ping_opt_in) VALUES ($1, $2, $3, $4)
                ON CONFLICT (server_id, discord_user_id) DO UPDATE
                    SET player_name = EXCLUDED.player_name, ping_opt_in = EXCLUDED.ping_opt_in, linked_at = now()
                RETURNING {_COLUMNS}
                """,
                server_id,
                user_id,
                name,
                ping,
            )
            return Link.from_record(record)

    async def unlink(self, server_id: int, user_id: int) -> bool:
        status = await self._db.execute(
            "DELETE FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return status.endswith(" 1")
