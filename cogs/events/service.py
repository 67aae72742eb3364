"""Delivering events pushed by listing sites (stored by the web route) to the feature that handles each type.

Each stored event goes to the handler registered for its type (:class:`bot.core.pushed_events.EventHandlers`),
oldest first. A handler that raises is retried with back-off (``retry_base`` · 2ⁿ up to ``retry_cap``) for
``max_attempts``; then the event is dead (kept with its last error). A type no loaded feature handles, or an
event whose server is gone, is marked delivered with a note. Handlers are idempotent by event id.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.core.pushed_events import EventHandlers
from bot.core.scheduling import DueWork, Scheduler
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock
from bot.db.executor import Executor
from bot.db.pushed_events import PushedEventRepository
from bot.db.records import Server

log = logging.getLogger(__name__)

BATCH = 50  # events per query


class EventDelivery:
    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        handlers: EventHandlers,
        scheduler: Scheduler,
        clock: Clock,
        shards: ShardOwnership,
        *,
        ready: Callable[[], bool] = lambda: True,
        max_attempts: int = 8,
        retry_base: dt.timedelta = dt.timedelta(seconds=30),
        retry_cap: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        self._events = PushedEventRepository(db)
        self._servers = servers
        self._handlers = handlers
        self._clock = clock
        self._shards = shards
        self.max_attempts = max_attempts
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self.job = DueWork(scheduler, "community-events", self.deliver_due, ready=ready)

    def stored(self, server_id: int) -> None:
        """The web route in this process stored an event: deliver it now."""
        del server_id
        self.job.wake()

    async def deliver_due(self, now: dt.datetime) -> dt.datetime | None:
        """Every due event, batch after batch (a burst does not wait for the next ticks)."""
        while await self._deliver_batch(now) == BATCH:
            pass
        return None

    async def _deliver_batch(self, now: dt.datetime) -> int:
        count, ids = self._shards.sql_args()
        events = await self._events.due(now, limit=BATCH, shard_count=count, shard_ids=ids)
        servers: dict[int, Server | None] = {}  # one lookup per server in the batch
        for event in events:
            if event.server_id not in servers:
                servers[event.server_id] = await self._servers.find(event.server_id)
            server = servers[event.server_id]
            handler = self._handlers.get(event.type)
            if server is None or handler is None:
                note = "server removed" if server is None else f"no feature handles {event.type}"
                await self._events.delivered(event, now, note)
                continue
            try:
                await handler(server, event)
            except Exception as exc:
                attempts = event.attempts + 1
                retry_at = (
                    now + min(self._retry_cap, self._retry_base * 2 ** (attempts - 1))
                    if attempts < self.max_attempts
                    else None
                )
                log.warning(
                    "pushed %s %s of server %s failed (attempt %d of %d): %s",
                    event.type,
                    event.event_id,
                    server.id,
                    attempts,
                    self.max_attempts,
                    exc,
                    exc_info=not isinstance(exc, OSError),
                )
                await self._events.failed(event, f"{type(exc).__name__}: {exc}", retry_at)
                continue
            await self._events.delivered(event, now)
        return len(events)
