"""Group commit: votes from concurrent requests share one transaction (one COMMIT, one fsync).

Each request awaits the result of its own vote; a batch that fails fails every request in it (so
each answers 503 and the provider retries) — nothing is acknowledged that was not committed. A batch
that fails on one bad row (constraint or data error) is retried vote by vote so the others still land.
Votes are written with the ledger's one statement (:func:`bot.votes.repository.record_votes`, in key order),
so two batches in flight can never deadlock each other.

Batching: with no flush running, whatever waits is flushed at once (no added delay when idle). While a
flush runs, new votes gather for the next one; a further flush (up to ``concurrency``) starts early
only once ``min_parallel`` votes wait — e.g. when the database is slow. Fewer, larger batches cost less
per vote in the server and in PostgreSQL (one statement, one COMMIT and one fsync per batch), which
matters more than overlapping two small ones once the CPU is the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from bot.votes.ledger import RecordResult, VoteLedger
from bot.votes.model import Vote
from bot.votes.repository import record_votes

log = logging.getLogger(__name__)

_Pending = tuple[Vote, "asyncio.Future[RecordResult]"]


class GroupCommitter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ledger: VoteLedger,
        *,
        max_batch: int = 256,
        max_wait: float = 0.0,
        concurrency: int = 2,
        min_parallel: int = 32,
    ) -> None:
        self._pool = pool
        self._ledger = ledger
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._slots = asyncio.Semaphore(concurrency)
        self._min_parallel = max(1, min_parallel)
        self._in_flight = 0
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self._idle: list[asyncpg.Connection] = []
        self.batches = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vote-group-commit")

    async def close(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        for _, future in self._queue:
            if not future.done():
                future.set_exception(ConnectionError("vote intake is shutting down"))
        self._queue.clear()
        while self._idle:
            await self._pool.release(self._idle.pop())

    async def record(self, vote: Vote) -> RecordResult:
        if self._task is None:  # not started (or closed): plain single-vote transaction
            return await self._ledger.record(vote)
        future: asyncio.Future[RecordResult] = asyncio.get_running_loop().create_future()
        self._queue.append((vote, future))
        if not self._in_flight or len(self._queue) >= self._min_parallel:
            self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self._max_wait > 0 and len(self._queue) < self._max_batch:
                await asyncio.sleep(self._max_wait)
            await self._slots.acquire()
            if self._in_flight and len(self._queue) < self._min_parallel:
                # A flush is running and few votes wait: let them gather until it ends (bigger batches, fewer
                # commits); another flush starts at once only for a queue of ``min_parallel`` or more.
                self._slots.release()
                self._wake.clear()
                continue
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            if not self._queue:
                self._wake.clear()
            if not batch:
                self._slots.release()
                continue
            self._in_flight += 1
            task = asyncio.create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[_Pending]) -> None:
        try:
            try:
                results = await self._record_batch([vote for vote, _ in batch])
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
                log.warning("batch of %d votes failed on a bad row (%s); recording one by one", len(batch), exc)
                await self._one_by_one(batch)
                return
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
                if not isinstance(exc, Exception):
                    raise
                return
            self.batches += 1
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._in_flight -= 1
            self._slots.release()
            if self._queue:
                self._wake.set()

    async def _record_batch(self, votes: list[Vote]) -> list[RecordResult]:
        # Each flush slot keeps its connection between batches: a pool round trip resets the session
        # (one more query per batch). A connection that failed goes back to the pool, which discards it.
        connection = self._idle.pop() if self._idle else await self._pool.acquire()
        try:
            results = await record_votes(connection, votes)  # one statement = one atomic transaction
        except BaseException:
            await self._pool.release(connection)
            raise
        if self._task is None:  # closing
            await self._pool.release(connection)
        else:
            self._idle.append(connection)
        return results

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        for vote, future in batch:
            try:
                result = await self._ledger.record(vote)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
