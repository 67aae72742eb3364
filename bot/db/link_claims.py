"""Link claims (``link_claims``): a member's pending proof that a player name is theirs, and the failed
confirm calls (``link_confirm_failures``) that throttle guessing. :mod:`bot.core.link_proof` decides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor


@dataclass(frozen=True, slots=True)
class LinkClaim:
    server_id: int
    discord_user_id: int
    player_name: str | None  # the name the member asked for; None: whichever name the game confirms
    ping_opt_in: bool
    created_at: dt.datetime
    expires_at: dt.datetime
    confirmed_at: dt.datetime | None
    confirmed_name: str | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> LinkClaim:
        return cls(
            record["server_id"],
            record["discord_user_id"],
            record["player_name"],
            record["ping_opt_in"],
            record["created_at"],
            record["expires_at"],
            record["confirmed_at"],
            record["confirmed_name"],
        )


@dataclass(frozen=True, slots=True)
class FailureCount:
    count: int
    oldest: dt.datetime | None  # the first failure still inside the window


class CodeCollision(Exception):
    """Another pending claim on the server has the same code hash (draw a new code)."""


_COLUMNS = "server_id, discord_user_id, player_name, ping_opt_in, created_at, expires_at, confirmed_at, confirmed_name"


class LinkClaimRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def put(
        self,
        server_id: int,
        user_id: int,
        code_hash: str,
        player_name: str | None,
        *,
        ping: bool,
        created_at: dt.datetime,
        expires_at: dt.datetime,
    ) -> LinkClaim:
        """The member's one claim on the server, replacing any earlier one (used, expired or pending)."""
        try:
            record = await self._db.fetchrow(
                f"""
                INSERT INTO link_claims (server_id, discord_user_id, code_hash, player_name, ping_opt_in,
                                         created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (server_id, discord_user_id) DO UPDATE
                    SET code_hash = EXCLUDED.code_hash, player_name = EXCLUDED.player_name,
                        ping_opt_in = EXCLUDED.ping_opt_in, created_at = EXCLUDED.created_at,
                        expires_at = EXCLUDED.expires_at, confirmed_at = NULL, confirmed_name = NULL
                RETURNING {_COLUMNS}
                """,
                server_id,
                user_id,
                code_hash,
                player_name,
                ping,
                created_at,
                expires_at,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "link_claims_code":
                raise CodeCollision from None
            raise
        return LinkClaim.from_record(record)

    async def get(self, server_id: int, user_id: int) -> LinkClaim | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM link_claims WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return LinkClaim.from_record(record) if record else None

    async def delete(self, server_id: int, user_id: int) -> bool:
        status = await self._db.execute(
            "DELETE FROM link_claims WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return status.endswith(" 1")

    async def by_code_for_update(self, server_id: int, code_hash: str) -> LinkClaim | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM link_claims WHERE server_id = $1 AND code_hash = $2 FOR UPDATE",
            server_id,
            code_hash,
        )
        return LinkClaim.from_record(record) if record else None

    async def mark_confirmed(self, server_id: int, user_id: int, name: str, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE link_claims SET confirmed_at = $3, confirmed_name = $4 "
            "WHERE server_id = $1 AND discord_user_id = $2",
            server_id,
            user_id,
            now,
            name,
        )

    async def lock_server(self, server_id: int) -> None:
        """Serialise confirm calls of one server until the transaction ends (so the throttle counts hold)."""
        await self._db.execute("SELECT pg_advisory_xact_lock(hashtextextended('link_confirm', $1))", server_id)

    async def record_failure(
        self, server_id: int | None, address: str, player_name: str | None, now: dt.datetime, keep_after: dt.datetime
    ) -> None:
        await self._db.execute("DELETE FROM link_confirm_failures WHERE failed_at < $1", keep_after)
        await self._db.execute(
            "INSERT INTO link_confirm_failures (server_id, address, player_name, failed_at) VALUES ($1, $2, $3, $4)",
            server_id,
            address[:100],
            player_name,
            now,
        )

    async def bad_key_failures(self, address: str, since: dt.datetime) -> FailureCount:
        record = await self._db.fetchrow(
            "SELECT count(*) AS n, min(failed_at) AS oldest FROM link_confirm_failures "
            "WHERE address = $1 AND server_id IS NULL AND failed_at > $2",
            address[:100],
            since,
        )
        return FailureCount(record["n"], record["oldest"])

    async def server_failures(self, server_id: int, since: dt.datetime) -> FailureCount:
        record = await self._db.fetchrow(
            "SELECT count(*) AS n, min(failed_at) AS oldest FROM link_confirm_failures "
            "WHERE server_id = $1 AND failed_at > $2",
            server_id,
            since,
        )
        return FailureCount(record["n"], record["oldest"])

    async def player_failures(self, server_id: int, player_name: str, since: dt.datetime) -> FailureCount:
        record = await self._db.fetchrow(
            "SELECT count(*) AS n, min(failed_at) AS oldest FROM link_confirm_failures "
            "WHERE server_id = $1 AND lower(player_name) = lower($2) AND failed_at > $3",
            server_id,
            player_name,
            since,
        )
        return FailureCount(record["n"], record["oldest"])
