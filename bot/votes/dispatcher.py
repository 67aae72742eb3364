"""Hands every recorded vote to every :class:`~bot.votes.events.VoteConsumer`, until each has succeeded.

Woken by ``LISTEN votebot_votes`` (any process that records a vote notifies every dispatcher) and by a
slow poll as a safety net. A claim locks due outbox rows (``FOR UPDATE SKIP LOCKED``, so two dispatchers
never deliver the same vote) for the transaction that delivers them and writes the outcome:

* every consumer succeeded → the outbox row is deleted;
* some failed → the row remembers who succeeded (``done``) and the failures, and is due again after a
  back-off (``retry_base`` · 2ⁿ, at most ``retry_cap``); only the failed consumers run then;
* a consumer failed ``max_attempts`` times → dead-lettered for that vote (``vote_dead_letters``), the
  others go on. ``votebot outbox replay`` hands dead letters back.

A crash before COMMIT leaves the rows to be delivered again after restart: consumers are idempotent by
vote id. Votes of one game server are delivered in order, one at a time; different servers in parallel
(``concurrency``), so one slow guild does not hold up the others. A consumer call has at least half of
``consumer_timeout`` and at most all of it (one timer per half-timeout, not one per call): a call still
running then fails with a timeout and the next consumer goes on. A replayed dead letter of a consumer this
process does not have is dead-lettered again, not dropped. With ``--shards`` a dispatcher claims only the
votes of its own guilds.

The dispatcher remembers the highest vote id it claimed and claims after it. Ids come from a sequence but
transactions commit in any order, so a vote can become visible below that cursor (a slower commit, or a
retry): a claim that finds nothing after the cursor, and at least one claim every ``rescan_interval``
seconds, scans the whole outbox. Under load it batches: after a drain that delivered something it waits
``settle`` seconds, so a burst of notifications becomes one claim of many rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

import asyncpg

from bot.core.request_budget import Priority, prioritized
from bot.core.shards import ShardOwnership
from bot.core.time import Clock, utcnow
from bot.db.records import Server
from bot.db.transaction import transaction
from bot.votes import repository
from bot.votes.events import VoteConsumer, VoteEvent
from bot.votes.model import next_vote_at
from bot.votes.repository import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


class _Delivery:
    """One claimed vote: the consumers it still needs, and which of them failed."""

    __slots__ = ("done", "event", "failed", "failures", "missing", "pending")

    def __init__(
        self,
        event: VoteEvent,
        pending: list[str],
        done: list[str],
        failures: dict[str, dict[str, Any]],
        missing: list[str],
    ) -> None:
        self.event = event
        self.pending = pending
        self.done = done
        self.failures = failures  # from earlier attempts
        self.failed: dict[str, str] | None = None  # this attempt's failures
        self.missing = missing  # wanted consumers this process does not have (a replay after a rename)

    def fail(self, name: str, reason: str) -> None:
        if self.failed is None:
            self.failed = {}
        self.failed[name] = reason[:500]

    @property
    def succeeded(self) -> list[str]:
        failed = self.failed or {}
        return [name for name in self.pending if name not in failed]


class VoteDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        consumers: Iterable[VoteConsumer] = (),
        clock: Clock = utcnow,
        shards: ShardOwnership = ShardOwnership(),  # noqa: B008 - frozen, immutable
        batch_size: int = 100,
        poll_interval: float = 10.0,
        settle: float = 0.05,
        rescan_interval: float = 1.0,
        concurrency: int = 4,
        consumer_timeout: float = 60.0,
        max_attempts: int = 8,
        retry_base: dt.timedelta = dt.timedelta(seconds=10),
        retry_cap: dt.timedelta = dt.timedelta(hours=1),
        wait_ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._pool = pool
        self._consumers: dict[str, VoteConsumer] = {}
        for consumer in consumers:
            self.register(consumer)
        self._clock = clock
        self._shards = shards
        self._wait_ready = wait_ready
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._settle = settle
        self._rescan_interval = rescan_interval
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._consumer_timeout = consumer_timeout
        self.max_attempts = max_attempts
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._cursor = 0  # the highest vote id this dispatcher claimed
        self._last_rescan = -math.inf
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.delivered = 0  # votes whose consumers are all done
        self.failures = 0  # consumer calls that failed

    # ------------------------------------------------------------------ consumers
    def register(self, consumer: VoteConsumer) -> None:
        if consumer.name in self._consumers:
            raise ValueError(f"a vote consumer called {consumer.name!r} is already registered")
        self._consumers[consumer.name] = consumer

    def unregister(self, name: str) -> None:
        self._consumers.pop(name, None)

    # ------------------------------------------------------------------ lifecycle
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
            with contextlib.suppress(*DATABASE_ERRORS):
                await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    def wake(self) -> None:
        """Look for due votes now (a retry became due, a test moved the clock)."""
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        if self._wait_ready is not None:  # e.g. the Discord cache must be filled before consumers act
            await self._wait_ready()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            self._wake.clear()
            try:
                drained = await self.drain()
            except DATABASE_ERRORS as exc:
                log.warning("vote dispatcher: database error, retrying: %s", exc)
                await asyncio.sleep(1)
                self._wake.set()
                continue
            if drained and self._settle > 0:
                await asyncio.sleep(self._settle)  # let the next votes gather: one claim for many rows

    async def drain(self) -> int:
        """Deliver every due vote (batch after batch); returns how many rows were handled."""
        drained = batch = await self.drain_once()
        while batch == self._batch_size:
            batch = await self.drain_once()
            drained += batch
        return drained

    # ------------------------------------------------------------------ one batch
    async def _claim(self, connection: asyncpg.Connection, now: dt.datetime) -> list[asyncpg.Record]:
        started = time.monotonic()
        after = self._cursor if started - self._last_rescan < self._rescan_interval else 0
        count, ids = self._shards.sql_args()

        async def claim(after: int) -> list[asyncpg.Record]:
            return await repository.claim_due(
                connection, limit=self._batch_size, after=after, now=now, shard_count=count, shard_ids=ids
            )

        rows = await claim(after)
        if not rows and after:  # nothing new after the cursor: look below it (late commits, retries)
            after = 0
            rows = await claim(0)
        if not after:
            self._last_rescan = started
        if rows:
            self._cursor = max(self._cursor, rows[-1]["id"])  # rows come ordered by id
        return rows

    async def drain_once(self) -> int:
        """Claim up to one batch of due rows, deliver them and write the outcome; return how many rows."""
        async with transaction(self._pool) as connection:
            now = self._clock()
            rows = await self._claim(connection, now)
            deliveries, servers = self._deliveries(rows)
            if servers <= 1:
                await self._deliver_in_order(deliveries)  # one server (the common case under load): no tasks
            else:
                by_server: dict[int, list[_Delivery]] = defaultdict(list)
                for delivery in deliveries:
                    by_server[delivery.event.server.id].append(delivery)
                await asyncio.gather(*(self._deliver_in_order(group) for group in by_server.values()))
            await self._write_outcome(connection, deliveries, self._clock())
            return len(rows)

    def _deliveries(self, rows: list[asyncpg.Record]) -> tuple[list[_Delivery], int]:
        """The claimed votes, and how many servers they belong to."""
        servers: dict[int, Server] = {}  # one Server per server in the batch, not one per row
        everyone = sorted(self._consumers)
        deliveries = []
        for row in rows:
            server = servers.get(row["server_id"])
            if server is None:
                server = servers[row["server_id"]] = Server.from_record(row, prefix="s_")
            done: list[str] = row["done"] or []
            missing: list[str] = []
            if row["consumers"] is None and not done:  # a new vote: every consumer (the usual case)
                pending = everyone
            else:
                wanted = row["consumers"] if row["consumers"] is not None else everyone
                missing = [name for name in wanted if name not in self._consumers and name not in done]
                pending = [name for name in sorted(wanted) if name not in done and name not in missing]
            voted_at = row["voted_at"]
            event = VoteEvent(
                row["id"],
                server,
                row["provider"],
                row["external_id"],
                row["player_name"],
                row["discord_user_id"],
                row["weight"],
                voted_at,
                next_vote_at(voted_at, row["expires_at"], server.vote_cooldown),
            )
            deliveries.append(_Delivery(event, pending, done, row["failures"] or {}, missing))
        return deliveries, len(servers)

    async def _deliver_in_order(self, group: list[_Delivery]) -> None:
        """One server's votes in order; each vote's consumers one after the other (no task per call).

        A call gets at least half of ``consumer_timeout``: the shared deadline moves on whenever less than
        that is left, so there is one timer per half-timeout instead of one per call. A call cut off by it
        fails with a timeout; the calls after it go on under a fresh deadline."""
        calls = [(delivery, name) for delivery in group for name in delivery.pending]
        loop = asyncio.get_running_loop()
        budget, floor = self._consumer_timeout, self._consumer_timeout / 2
        position = 0
        async with self._slots:
            while position < len(calls):
                try:
                    async with asyncio.timeout_at(loop.time() + budget) as deadline:
                        while position < len(calls):
                            now = loop.time()
                            if (deadline.when() or now) - now < floor:
                                deadline.reschedule(now + budget)
                            delivery, name = calls[position]
                            await self._call(delivery, name)
                            position += 1
                except TimeoutError:
                    delivery, name = calls[position]
                    self.failures += 1
                    log.warning("vote %s: consumer %s timed out", delivery.event.ledger_id, name)
                    delivery.fail(name, f"timed out after at most {budget:g} s")
                    position += 1

    async def _call(self, delivery: _Delivery, name: str) -> None:
        retried = delivery.failures.get(name)
        event = delivery.event if retried is None else replace(delivery.event, attempt=retried["attempts"] + 1)
        try:
            with prioritized(Priority.VOTE_EFFECT):  # behind members' interactions and alerts, before board edits
                await self._consumers[name].handle(event)
        except Exception as exc:  # one failing consumer must never stop the others
            self._failed(delivery, name, exc)

    def _failed(self, delivery: _Delivery, name: str, exc: Exception) -> None:
        self.failures += 1
        attempt = int((delivery.failures.get(name) or {}).get("attempts", 0)) + 1
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.warning(
            "vote %s: consumer %s failed (attempt %d of %d): %s",
            delivery.event.ledger_id,
            name,
            attempt,
            self.max_attempts,
            reason,
            exc_info=not isinstance(exc, TimeoutError | asyncpg.PostgresError | OSError),
        )
        delivery.fail(name, reason)

    async def _write_outcome(
        self, connection: asyncpg.Connection, deliveries: list[_Delivery], now: dt.datetime
    ) -> None:
        finished: list[int] = []
        for delivery in deliveries:
            vote_id = delivery.event.ledger_id
            if not delivery.failed and not delivery.missing:  # every consumer is done (the usual case)
                finished.append(vote_id)
                continue
            succeeded = delivery.succeeded
            done = [*delivery.done, *succeeded]
            failures = {k: v for k, v in delivery.failures.items() if k not in succeeded}
            for name in delivery.missing:  # kept where the operator sees it, to replay where it exists
                log.error("vote %s: no consumer called %s in this process; dead-lettered again", vote_id, name)
                attempts = max(1, int(failures.pop(name, {}).get("attempts", 0)))
                reason = f"no consumer called {name!r} in the process that claimed it"
                await repository.add_dead_letter(connection, vote_id, name, attempts, reason, now)
                done.append(name)
            retry_in: list[dt.timedelta] = []
            for name, reason in (delivery.failed or {}).items():
                attempts = int(failures.get(name, {}).get("attempts", 0)) + 1
                if attempts >= self.max_attempts:
                    log.error(
                        "vote %s: consumer %s dead-lettered after %d attempts: %s", vote_id, name, attempts, reason
                    )
                    await repository.add_dead_letter(connection, vote_id, name, attempts, reason, now)
                    failures.pop(name, None)
                    done.append(name)
                else:
                    failures[name] = {"attempts": attempts, "error": reason}
                    retry_in.append(min(self._retry_cap, self._retry_base * 2 ** (attempts - 1)))
            if not retry_in:
                finished.append(vote_id)
            else:
                await repository.save_progress(connection, vote_id, sorted(done), failures, now + min(retry_in))
        if finished:
            await repository.finish_deliveries(connection, finished)
        self.delivered += len(finished)
