"""SQL for events pushed through the event API (``community_events``): stored once per ``(server, id)`` by
the web route, then delivered to the feature that handles their type by the events feature."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.db.executor import Executor
from bot.db.records import PushedEvent
from bot.db.shards import shard_filter

_COLUMNS = "e.server_id, e.event_id, e.type, e.data, e.received_at, e.attempts"


def _event(record: asyncpg.Record) -> PushedEvent:
    return PushedEvent(
        record["server_id"], record["event_id"], record["type"], dict(record["data"]), record["received_at"],
        record["attempts"],
    )  # fmt: skip


class UnknownServer(Exception):
    pass


class UnknownWipe(Exception):
    pass


class PushedEventRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def record(
        self,
        server_id: int,
        event_id: str,
        event_type: str,
        data: dict[str, Any],
        received_at: dt.datetime | None = None,
    ) -> bool:
        """Store a validated event; False when this ``(server, id)`` was stored before (nothing changes).

        ``received_at`` is the web server's (injected) clock; handlers read their period from it (the month of
        a pushed rank). Without it, the database's.

        :class:`UnknownServer` when the server does not exist; :class:`UnknownWipe` for a ``wipe.cancelled``
        of a wipe this server never pushed (the site gets a 400 then, as before the event was stored).
        """
        record = await self._db.fetchrow(
            """
            WITH server AS (SELECT id FROM servers WHERE id = $1),
            known_wipe AS (
                SELECT EXISTS (
                    SELECT 1 FROM community_events
                    WHERE server_id = $1 AND type = 'wipe.scheduled' AND data->>'wipe_id' = $4::jsonb->>'wipe_id'
                ) AS known
            ),
            stored AS (
                INSERT INTO community_events (server_id, event_id, type, data, received_at)
                SELECT $1, $2, $3, $4, COALESCE($5::timestamptz, now()) FROM server, known_wipe
                WHERE $3 <> 'wipe.cancelled' OR known_wipe.known
                ON CONFLICT DO NOTHING RETURNING true AS inserted
            )
            SELECT EXISTS (SELECT FROM server) AS server_exists, EXISTS (SELECT FROM stored) AS inserted,
                   (SELECT known FROM known_wipe) AS known_wipe
            """,
            server_id,
            event_id,
            event_type,
            data,
            received_at,
        )
        assert record is not None  # noqa: S101 - a SELECT without FROM-filter returns one row
        if not record["server_exists"]:
            raise UnknownServer(server_id)
        if record["inserted"]:
            return True
        if event_type == "wipe.cancelled" and not record["known_wipe"]:
            raise UnknownWipe(data.get("wipe_id"))
        # not inserted, so the key exists: a duplicate, answered 200 whatever it carries. (Not checked with a
        # SELECT here: its snapshot predates a concurrent copy that committed while this insert waited on it.)
        return False

    # ------------------------------------------------------------------ delivery
    async def due(
        self, now: dt.datetime, *, limit: int = 50, shard_count: int | None = None, shard_ids: list[int] | None = None
    ) -> list[PushedEvent]:
        """Undelivered events that are due, oldest first, of our guilds."""
        records = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM community_events e JOIN servers s ON s.id = e.server_id
            WHERE e.delivered_at IS NULL AND e.next_attempt_at <= $1 AND {shard_filter("s.guild_id", "$3", "$4")}
            ORDER BY e.received_at, e.event_id LIMIT $2
            """,
            now,
            limit,
            shard_count,
            shard_ids,
        )
        return [_event(r) for r in records]

    async def delivered(self, event: PushedEvent, now: dt.datetime, note: str | None = None) -> None:
        await self._db.execute(
            "UPDATE community_events SET delivered_at = $3, last_error = $4 WHERE server_id = $1 AND event_id = $2",
            event.server_id,
            event.event_id,
            now,
            note,
        )

    async def failed(self, event: PushedEvent, error: str, retry_at: dt.datetime | None) -> None:
        """One more failed attempt; ``retry_at`` None: no more attempts (the event is dead)."""
        await self._db.execute(
            """
            UPDATE community_events SET attempts = attempts + 1, last_error = $3,
                next_attempt_at = COALESCE($4, 'infinity')
            WHERE server_id = $1 AND event_id = $2
            """,
            event.server_id,
            event.event_id,
            error[:500],
            retry_at,
        )

    async def dead(self) -> int:
        """Events whose attempts are used up."""
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM community_events WHERE delivered_at IS NULL AND next_attempt_at = 'infinity'"
            )
        )
