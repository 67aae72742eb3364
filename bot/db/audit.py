"""SQL for the audit log (``audit_log``): who changed what and when, per server, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from bot.db.executor import Executor

_COLUMNS = "id, server_id, guild_id, at, source, user_id, actor, action, details"
MAX_LIMIT = 500


class Actor(Protocol):
    """Who made the change (bot/core/audit.py ``Actor``; the database layer does not import the core)."""

    @property
    def source(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    server_id: int
    guild_id: int
    at: dt.datetime
    source: str  # discord, dashboard, api or cli
    user_id: int | None
    actor: str
    action: str
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> AuditEntry:
        return cls(
            id=record["id"],
            server_id=record["server_id"],
            guild_id=record["guild_id"],
            at=record["at"],
            source=record["source"],
            user_id=record["user_id"],
            actor=record["actor"],
            action=record["action"],
            details=dict(record["details"]),
        )


class AuditRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def record(
        self, server_id: int, guild_id: int, actor: Actor, action: str, details: dict[str, Any] | None = None
    ) -> AuditEntry:
        record = await self._db.fetchrow(
            f"""
            INSERT INTO audit_log (server_id, guild_id, source, user_id, actor, action, details)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING {_COLUMNS}
            """,
            server_id,
            guild_id,
            actor.source,
            actor.user_id,
            actor.name[:100],
            action,
            details or {},
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("insert returned no row")
        return AuditEntry.from_record(record)

    async def list_for_server(
        self, server_id: int, *, limit: int = 50, before_id: int | None = None
    ) -> list[AuditEntry]:
        """The server's entries, newest first; ``before_id`` pages on (the entries older than that one)."""
        records = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM audit_log
            WHERE server_id = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC
            LIMIT $3
            """,
            server_id,
            before_id,
            max(1, min(limit, MAX_LIMIT)),
        )
        return [AuditEntry.from_record(r) for r in records]
