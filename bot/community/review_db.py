"""SQL for reviews: one per member per server (editable), and reviews pushed by listing sites."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor

_COLUMNS = "id, server_id, source, discord_user_id, external_id, author, rating, body, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    server_id: int
    source: str
    discord_user_id: int | None
    external_id: str | None
    author: str
    rating: int
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Review:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})

    @property
    def edited(self) -> bool:
        return self.updated_at > self.created_at


class ReviewRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def get(self, review_id: int) -> Review | None:
        record = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM reviews WHERE id = $1", review_id)
        return Review.from_record(record) if record else None

    async def for_member(self, server_id: int, user_id: int) -> Review | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM reviews WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return Review.from_record(record) if record else None

    async def external(self, server_id: int, external_id: str) -> Review | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM reviews WHERE server_id = $1 AND external_id = $2", server_id, external_id
        )
        return Review.from_record(record) if record else None

    async def save_member(self, server_id: int, user_id: int, author: str, rating: int, body: str) -> Review:
        """Create the member's review, or replace its rating and text (``edited`` tells which)."""
        record = await self._db.fetchrow(
            f"""
            INSERT INTO reviews (server_id, source, discord_user_id, author, rating, body)
            VALUES ($1, 'discord', $2, $3, $4, $5)
            ON CONFLICT (server_id, discord_user_id) WHERE discord_user_id IS NOT NULL DO UPDATE SET
                author = EXCLUDED.author, rating = EXCLUDED.rating, body = EXCLUDED.body,
                updated_at = clock_timestamp()
            RETURNING {_COLUMNS}
            """,
            server_id,
            user_id,
            author,
            rating,
            body,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("upsert returned no row")
        return Review.from_record(record)

    async def save_external(
        self, connection: asyncpg.Connection, server_id: int, external_id: str, author: str, rating: int, body: str
    ) -> Review:
        record = await connection.fetchrow(
            f"""
            INSERT INTO reviews (server_id, source, external_id, author, rating, body)
            VALUES ($1, 'api', $2, $3, $4, $5)
            ON CONFLICT (server_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
                author = EXCLUDED.author, rating = EXCLUDED.rating, body = EXCLUDED.body,
                updated_at = clock_timestamp()
            RETURNING {_COLUMNS}
            """,
            server_id,
            external_id,
            author,
            rating,
            body,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("upsert returned no row")
        return Review.from_record(record)
