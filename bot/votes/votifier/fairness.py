"""Fairness between the sources sharing the Votifier port: who counts as one source, its budgets, the v1 pool."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.core.time import Clock

T = TypeVar("T")


def source_of(peer: object) -> str:
    """The source a per-source limit counts: an IPv4 address, or the /64 of an IPv6 one.

    One IPv6 host is routinely given a whole /64, so counting single IPv6 addresses would limit nothing.
    """
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    text = str(host).split("%", 1)[0]  # drop an IPv6 zone id
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class PoolBusy(Exception):
    """No slot of the :class:`BoundedPool` became free in time."""


class BoundedPool:
    """``workers`` threads of their own, with at most ``queue`` more jobs waiting for them.

    A job runs inside :meth:`slot`, which holds one of the ``workers``: it waits up to ``wait`` seconds
    for a free one and raises :class:`PoolBusy` when that time runs out or ``queue`` jobs already wait,
    so a flood can never build a backlog of CPU work. Whoever holds a slot has a worker to itself, so
    what it checks just before calling (a budget) reflects every job that ran before it.
    """

    def __init__(self, workers: int, queue: int, *, name: str) -> None:
        self._workers = workers
        self._queue = queue
        self._name = name
        self._free = asyncio.Semaphore(workers)
        self._waiting = 0
        self._executor: ThreadPoolExecutor | None = None

    @contextlib.asynccontextmanager
    async def slot(self, wait: float) -> AsyncIterator[None]:
        if self._free.locked() and self._waiting >= self._queue:
            raise PoolBusy
        self._waiting += 1
        try:
            async with asyncio.timeout(wait):
                await self._free.acquire()
        except TimeoutError:
            raise PoolBusy from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._free.release()

    async def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` on a pool thread; call it inside :meth:`slot`."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix=self._name)
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


class ThrottledLog:
    """At most one line per source and level every ``interval`` seconds; the next says how many were left out.

    For what anyone on the internet can make the listener say (refusals, timeouts, bad signatures):
    a flood then costs a line a minute, not a line a connection. Time comes from ``clock``.
    """

    def __init__(self, logger: logging.Logger, interval: float, clock: Clock, *, max_sources: int = 10_000) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._max_sources = max_sources
        self._seen: dict[tuple[str, int], tuple[float, int]] = {}  # (source, level) -> (logged at, left out)

    def log(self, level: int, source: str, message: str, *args: object, stacklevel: int = 1) -> None:
        """Like :meth:`logging.Logger.log`; ``stacklevel`` counts from the caller of this method."""
        now = self._clock().timestamp()
        key = (source, level)
        logged_at, left_out = self._seen.get(key, (None, 0))
        if logged_at is not None and 0 <= now - logged_at < self._interval:
            self._seen[key] = (logged_at, left_out + 1)
            return
        if left_out:
            message += " (and %d more like it from %s since the last one, not logged)"
            args = (*args, left_out, source)
        self._seen.pop(key, None)
        if len(self._seen) >= self._max_sources:
            self._forget(now)
        self._seen[key] = (now, 0)
        self._logger.log(level, message, *args, stacklevel=stacklevel + 1)

    def _forget(self, now: float) -> None:
        for key in [k for k, (at, _) in self._seen.items() if now - at >= self._interval]:
            del self._seen[key]
        while len(self._seen) >= self._max_sources:
            del self._seen[next(iter(self._seen))]
