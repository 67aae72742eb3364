"""SQL for reviews: one per member per server (editable), and reviews pushed by listing sites."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

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
        return await _upsert(self._db, "discord", "discord_user_id", server_id, user_id, author, rating, body)

    async def save_external(self, server_id: int, external_id: str, author: str, rating: int, body: str) -> Review:
        """Create or replace a review pushed through the event API, keyed by its external id."""
        return await _upsert(self._db, "api", "external_id", server_id, external_id, author, rating, body)


async def _upsert(
    db: Executor,
    source: Literal["discord", "api"],
    key_column: Literal["discord_user_id", "external_id"],
    server_id: int,
    key: object,
    author: str,
    rating: int,
    body: str,
) -> Review:
    """Insert a review, or replace author, rating and text of the one with the same key.

    ``source`` and ``key_column`` are fixed names (never input): a member's review is keyed by their
    Discord id, a pushed one by its external id, each with its own partial unique index.
    """
    record = await db.fetchrow(
        f"""
        INSERT INTO reviews (server_id, source, {key_column}, author, rating, body)
        VALUES ($1, '{source}', $2, $3, $4, $5)
        ON CONFLICT (server_id, {key_column}) WHERE {key_column} IS NOT NULL DO UPDATE SET
            author = EXCLUDED.author, rating = EXCLUDED.rating, body = EXCLUDED.body,
            updated_at = clock_timestamp()
        RETURNING {_COLUMNS}
        """,
        server_id,
        key,
        author,
        rating,
        body,
    )
    if record is None:  # pragma: no cover - RETURNING always yields a row
        raise RuntimeError("upsert returned no row")
    return Review.from_record(record)
