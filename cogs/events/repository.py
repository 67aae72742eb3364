"""SQL for pushed community events (dedupe keys, delivery state) and recorded rank updates."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.db.executor import Executor


@dataclass(frozen=True, slots=True)
class PendingEvent:
    server_id: int
    event_id: str
    type: str
    data: dict[str, Any]
    attempts: int
    guild_id: int

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> PendingEvent:
        data = record["data"]
        return cls(
            server_id=record["server_id"],
            event_id=record["event_id"],
            type=record["type"],
            data=json.loads(data) if isinstance(data, str) else dict(data),
            attempts=record["attempts"],
            guild_id=record["guild_id"],
        )


@dataclass(frozen=True, slots=True)
class RankUpdate:
    id: int
    server_id: int
    event_id: str
    rank: int
    previous_rank: int | None
    category: str | None
    received_at: dt.datetime

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> RankUpdate:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})


class EventRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def insert(
        self, server_id: int, event_id: str, event_type: str, data: dict[str, Any], delivered_at: dt.datetime | None
    ) -> bool:
        """Record the event; False when this (server, id) was seen before."""
        inserted = await self._db.fetchval(
            """
            INSERT INTO community_events (server_id, event_id, type, data, delivered_at)
            VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT DO NOTHING RETURNING true
            """,
            server_id,
            event_id,
            event_type,
            json.dumps(data),
            delivered_at,
        )
        return bool(inserted)

    async def pending(self, max_attempts: int, limit: int = 50) -> list[PendingEvent]:
        records = await self._db.fetch(
            """
            SELECT e.server_id, e.event_id, e.type, e.data, e.attempts, s.guild_id
            FROM community_events e JOIN servers s ON s.id = e.server_id
            WHERE e.delivered_at IS NULL AND e.attempts < $1 ORDER BY e.received_at LIMIT $2
            """,
            max_attempts,
            limit,
        )
        return [PendingEvent.from_record(r) for r in records]

    async def delivered(self, server_id: int, event_id: str, now: dt.datetime, note: str | None = None) -> None:
        await self._db.execute(
            "UPDATE community_events SET delivered_at = $3, last_error = $4 WHERE server_id = $1 AND event_id = $2",
            server_id,
            event_id,
            now,
            note,
        )

    async def failed(self, server_id: int, event_id: str, error: str) -> None:
        await self._db.execute(
            "UPDATE community_events SET attempts = attempts + 1, last_error = $3 "
            "WHERE server_id = $1 AND event_id = $2",
            server_id,
            event_id,
            error[:500],
        )

    async def add_rank(
        self, server_id: int, event_id: str, rank: int, previous_rank: int | None, category: str | None
    ) -> None:
        await self._db.execute(
            """
            INSERT INTO rank_updates (server_id, event_id, rank, previous_rank, category)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """,
            server_id,
            event_id,
            rank,
            previous_rank,
            category,
        )

    async def unannounced_ranks(self, server_id: int) -> list[RankUpdate]:
        records = await self._db.fetch(
            """
            SELECT id, server_id, event_id, rank, previous_rank, category, received_at FROM rank_updates
            WHERE server_id = $1 AND announced_at IS NULL ORDER BY id
            """,
            server_id,
        )
        return [RankUpdate.from_record(r) for r in records]

    async def servers_with_unannounced_ranks(self) -> list[int]:
        records = await self._db.fetch("SELECT DISTINCT server_id FROM rank_updates WHERE announced_at IS NULL")
        return [r["server_id"] for r in records]

    async def mark_rank_announced(self, rank_update_id: int) -> None:
        await self._db.execute("UPDATE rank_updates SET announced_at = now() WHERE id = $1", rank_update_id)
