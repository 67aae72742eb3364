"""Delivers outbox rows to the cogs, exactly once per row across processes.

Woken by ``LISTEN votebot_votes`` (any process that records a vote notifies every dispatcher) and by
a slow poll as a safety net. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two dispatchers never
deliver the same vote; a vote without a Discord id whose player name a member linked (``/link``) is
delivered with that member's id; a row is deleted in the same transaction that delivered it, so a crash before
COMMIT leaves it to be delivered again after restart.

The dispatcher remembers the highest vote id it claimed and claims after it. Ids come from a sequence
but transactions commit in any order, so a vote can become visible below that cursor (a slower commit,
or a delivery retried after a failure): a claim that finds nothing after the cursor, and at least one
claim every ``rescan_interval`` seconds, scans the whole outbox.

Under load the dispatcher batches: after a drain that delivered something it waits ``settle`` seconds
before claiming again, so a burst of notifications becomes one claim of many rows instead of one
transaction per ingest commit. A lone vote is still delivered at once (the wait comes after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

import asyncpg

from bot.db.records import Server
from bot.votes.events import VoteEvent
from bot.votes.ledger import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

Deliver = Callable[[VoteEvent], Awaitable[None]]

# What a VoteEvent is built from, with the joins from ``votes v`` (shared with catch-up scans).
EVENT_COLUMNS = """
v.id, v.server_id, v.provider, v.external_id, v.player_name,
COALESCE(v.discord_user_id, l.discord_user_id) AS discord_user_id, v.weight, v.voted_at, v.expires_at,
s.guild_id, s.name, s.vote_url, s.game, s.address, s.category, s.timezone, s.enabled, s.is_default,
s.vote_cooldown, s.created_at
"""
EVENT_JOINS = """
JOIN servers s ON s.id = v.server_id
LEFT JOIN player_links l ON l.server_id = v.server_id AND lower(l.player_name) = lower(v.player_name)
"""

# Claim the due outbox ids first (a short index scan on vote_outbox), then look each vote up by id: the
# LATERAL subquery with OFFSET 0 is never flattened, so the plan stays one index probe per claimed row.
# (asyncpg prepares statements; PostgreSQL's generic plan for a plain join, with $1/$2 unknown and the
# outbox's statistics stale, hash-joined a sequential scan of all of ``votes`` on every claim.)
# ``vote_id > $2`` starts the scan after what this dispatcher already claimed: the outbox is a queue
# (insert, then delete), and until vacuum runs, a scan from the start walks the index entry of every
# row deleted since.
_CLAIM = f"""
WITH claimed AS (
    SELECT vote_id FROM vote_outbox
    WHERE vote_id > $2 AND available_at <= now()
    ORDER BY vote_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT {EVENT_COLUMNS}
FROM claimed c
CROSS JOIN LATERAL (SELECT * FROM votes WHERE votes.id = c.vote_id OFFSET 0) v
{EVENT_JOINS}
ORDER BY v.id
"""


def server_from_row(record: asyncpg.Record) -> Server:
    """The server columns of an outbox/vote row (``server_id``, ``guild_id``, ``name`` …) as a Server."""
    return Server(
        id=record["server_id"],
        guild_id=record["guild_id"],
        name=record["name"],
        vote_url=record["vote_url"],
        game=record["game"],
        address=record["address"],
        category=record["category"],
        timezone=record["timezone"],
        enabled=record["enabled"],
        is_default=record["is_default"],
        vote_cooldown=record["vote_cooldown"],
        created_at=record["created_at"],
    )


class VoteDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        deliver: Deliver,
        *,
        batch_size: int = 100,
        poll_interval: float = 10.0,
        settle: float = 0.05,
        rescan_interval: float = 1.0,
        wait_ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._pool = pool
        self._wait_ready = wait_ready
        self._deliver = deliver
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._settle = settle
        self._rescan_interval = rescan_interval
        self._cursor = 0  # the highest vote id this dispatcher claimed
        self._last_rescan = -math.inf
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.delivered = 0

    async def start(self) -> None:
        self._listener = await self._pool.acquire()
        await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self._wake.set()  # deliver whatever was left over from a previous run
        self._task = asyncio.create_task(self._run(), name="vote-dispatcher")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._listener is not None:
            listener, self._listener = self._listener, None
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        if self._wait_ready is not None:  # e.g. the Discord cache must be filled before cogs act on votes
            await self._wait_ready()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            self._wake.clear()
            try:
                drained = batch = await self.drain_once()
                while batch == self._batch_size:
                    batch = await self.drain_once()
                    drained += batch
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
                log.warning("vote dispatcher: database error, retrying: %s", exc)
                await asyncio.sleep(1)
                self._wake.set()
                continue
            if drained and self._settle > 0:
                await asyncio.sleep(self._settle)  # let the next votes gather: one claim for many rows

    async def _claim(self, connection: asyncpg.Connection) -> list[asyncpg.Record]:
        now = time.monotonic()
        after = self._cursor if now - self._last_rescan < self._rescan_interval else 0
        rows = await connection.fetch(_CLAIM, self._batch_size, after)
        if not rows and after:  # nothing new after the cursor: look below it (late commits, retries)
            after = 0
            rows = await connection.fetch(_CLAIM, self._batch_size, 0)
        if not after:
            self._last_rescan = now
        if rows:
            self._cursor = max(self._cursor, rows[-1]["id"])  # rows come ordered by id
        return rows

    async def drain_once(self) -> int:
        """Claim up to one batch of due rows, deliver them and delete them; return how many."""
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await self._claim(connection)
            delivered: list[int] = []
            servers: dict[int, Server] = {}  # one Server per server in the batch, not one per row
            for row in rows:
                server = servers.get(row["server_id"])
                if server is None:
                    server = servers[row["server_id"]] = server_from_row(row)
                event = VoteEvent.from_record(row, server)
                try:
                    await self._deliver(event)
                except Exception as exc:  # a failing consumer must not block the others
                    log.exception("vote %s: delivery failed; retrying later", event.ledger_id)
                    await connection.execute(
                        """
                        UPDATE vote_outbox SET attempts = attempts + 1, last_error = $2,
                            available_at = now() + least(interval '1 hour', interval '5 seconds' * power(2, attempts))
                        WHERE vote_id = $1
                        """,
                        event.ledger_id,
                        repr(exc)[:500],
                    )
                    continue
                delivered.append(event.ledger_id)
            if delivered:
                await connection.execute("DELETE FROM vote_outbox WHERE vote_id = ANY($1::bigint[])", delivered)
            self.delivered += len(delivered)
            return len(rows)
