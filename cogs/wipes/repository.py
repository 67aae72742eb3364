"""SQL for the wipe calendar and its keyed announcements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor

CLAIM_LEASE = dt.timedelta(minutes=5)  # an announcement claimed this long ago and never posted is taken over

_COLUMNS = (
    "id, server_id, title, description, starts_at, duration, repeat, discord_event, scheduled_event_id, source, "
    "external_id, created_by, cancelled_at"
)


@dataclass(frozen=True, slots=True)
class Wipe:
    id: int
    server_id: int
    title: str
    description: str
    starts_at: dt.datetime
    duration: dt.timedelta
    repeat: str
    discord_event: bool
    scheduled_event_id: int | None
    source: str
    external_id: str | None
    created_by: int | None
    cancelled_at: dt.datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Wipe:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class ToldStart:
    """A start members were told about (a posted day-before reminder, or the new start a move notice gave)."""

    wipe: Wipe
    guild_id: int
    timezone: str
    occurrence: dt.datetime


class WipeRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        *,
        server_id: int,
        title: str,
        description: str,
        starts_at: dt.datetime,
        duration: dt.timedelta,
        repeat: str,
        discord_event: bool = False,
        created_by: int | None = None,
    ) -> Wipe:
        record = await self._db.fetchrow(
            f"""
            INSERT INTO wipes (server_id, title, description, starts_at, duration, repeat, discord_event, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}
            """,
            server_id,
            title,
            description,
            starts_at,
            duration,
            repeat,
            discord_event,
            created_by,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("insert returned no row")
        return Wipe.from_record(record)

    async def upsert_external(
        self,
        *,
        server_id: int,
        external_id: str,
        title: str,
        description: str,
        starts_at: dt.datetime,
        duration: dt.timedelta,
        repeat: str,
    ) -> Wipe:
        """A wipe pushed by a listing site: created, or updated (and un-cancelled) when its id is known."""
        record = await self._db.fetchrow(
            f"""
            INSERT INTO wipes (server_id, external_id, source, title, description, starts_at, duration, repeat)
            VALUES ($1, $2, 'api', $3, $4, $5, $6, $7)
            ON CONFLICT (server_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
                title = EXCLUDED.title, description = EXCLUDED.description, starts_at = EXCLUDED.starts_at,
                duration = EXCLUDED.duration, repeat = EXCLUDED.repeat, cancelled_at = NULL
            RETURNING {_COLUMNS}
            """,
            server_id,
            external_id,
            title,
            description,
            starts_at,
            duration,
            repeat,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("upsert returned no row")
        return Wipe.from_record(record)

    async def get(self, wipe_id: int) -> Wipe | None:
        record = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM wipes WHERE id = $1", wipe_id)
        return Wipe.from_record(record) if record else None

    async def get_external(self, server_id: int, external_id: str) -> Wipe | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM wipes WHERE server_id = $1 AND external_id = $2", server_id, external_id
        )
        return Wipe.from_record(record) if record else None

    async def active_for_server(self, server_id: int) -> list[Wipe]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM wipes WHERE server_id = $1 AND cancelled_at IS NULL ORDER BY starts_at, id",
            server_id,
        )
        return [Wipe.from_record(r) for r in records]

    async def active_all(self) -> list[tuple[Wipe, int, str]]:
        """Every active wipe with its server's guild id and time zone."""
        records = await self._db.fetch(
            f"""
            SELECT {", ".join("w." + c for c in _COLUMNS.split(", "))}, s.guild_id, s.timezone
            FROM wipes w JOIN servers s ON s.id = w.server_id
            WHERE w.cancelled_at IS NULL ORDER BY w.id
            """
        )
        return [(Wipe.from_record(r), r["guild_id"], r["timezone"]) for r in records]

    async def reschedule(self, wipe_id: int, starts_at: dt.datetime) -> Wipe | None:
        """Move an active wipe (a repeating one: its whole series) to a new start."""
        record = await self._db.fetchrow(
            f"UPDATE wipes SET starts_at = $2 WHERE id = $1 AND cancelled_at IS NULL RETURNING {_COLUMNS}",
            wipe_id,
            starts_at,
        )
        return Wipe.from_record(record) if record else None

    async def told_starts(self, since: dt.datetime) -> list[ToldStart]:
        """Starts from ``since`` on that members were told about, of active and cancelled wipes alike, which have
        neither begun (no start announcement) nor had their cancellation or move announced yet."""
        records = await self._db.fetch(
            f"""
            SELECT DISTINCT ON (w.id, t.told) {", ".join("w." + c for c in _COLUMNS.split(", "))},
                   s.guild_id, s.timezone, t.told
            FROM (
                SELECT wipe_id, COALESCE(moved_to, occurrence) AS told FROM wipe_announcements
                WHERE posted_at IS NOT NULL AND kind IN ('reminder', 'moved') AND COALESCE(moved_to, occurrence) >= $1
            ) t
            JOIN wipes w ON w.id = t.wipe_id
            JOIN servers s ON s.id = w.server_id
            WHERE NOT EXISTS (
                SELECT 1 FROM wipe_announcements n
                WHERE n.wipe_id = t.wipe_id AND n.occurrence = t.told AND n.posted_at IS NOT NULL
                  AND n.kind IN ('start', 'cancelled', 'moved')
            )
            ORDER BY w.id, t.told
            """,
            since,
        )
        return [ToldStart(Wipe.from_record(r), r["guild_id"], r["timezone"], r["told"]) for r in records]

    async def cancel(self, wipe_id: int, now: dt.datetime) -> bool:
        result = await self._db.execute(
            "UPDATE wipes SET cancelled_at = $2 WHERE id = $1 AND cancelled_at IS NULL", wipe_id, now
        )
        return str(result).endswith(" 1")

    async def set_scheduled_event(self, wipe_id: int, event_id: int | None) -> None:
        await self._db.execute("UPDATE wipes SET scheduled_event_id = $2 WHERE id = $1", wipe_id, event_id)

    async def claim(self, wipe_id: int, occurrence: dt.datetime, kind: str, now: dt.datetime) -> bool:
        """Take the announcement's key; False when it is posted, or being posted. A claim never posted for
        :data:`CLAIM_LEASE` (the process died mid-post) is taken over: the nonce keeps Discord from showing
        it twice."""
        claimed = await self._db.fetchval(
            """
            INSERT INTO wipe_announcements (wipe_id, occurrence, kind, claimed_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (wipe_id, occurrence, kind) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
                WHERE wipe_announcements.posted_at IS NULL AND wipe_announcements.claimed_at <= $4 - $5::interval
            RETURNING true
            """,
            wipe_id,
            occurrence,
            kind,
            now,
            CLAIM_LEASE,
        )
        return bool(claimed)

    async def posted(
        self,
        wipe_id: int,
        occurrence: dt.datetime,
        kind: str,
        message_id: int,
        now: dt.datetime,
        moved_to: dt.datetime | None = None,
    ) -> None:
        await self._db.execute(
            "UPDATE wipe_announcements SET posted_at = $4, message_id = $5, moved_to = $6 "
            "WHERE wipe_id = $1 AND occurrence = $2 AND kind = $3",
            wipe_id,
            occurrence,
            kind,
            now,
            message_id,
            moved_to,
        )

    async def release(self, wipe_id: int, occurrence: dt.datetime, kind: str) -> None:
        """The post failed: give the key back so the next run retries."""
        await self._db.execute(
            "DELETE FROM wipe_announcements WHERE wipe_id = $1 AND occurrence = $2 AND kind = $3 AND posted_at IS NULL",
            wipe_id,
            occurrence,
            kind,
        )
