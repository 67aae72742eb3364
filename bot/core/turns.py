"""Work paced per key (a channel, a guild) within one of Discord's per-key limits, done now when there is room.

Discord limits some requests per channel or per guild (5 messages per 5 s in a channel, 10 role changes per 10 s
in a guild). :class:`PacedTurns` keeps, per key, when its last actions ran: while the key had fewer than
``per_window`` actions in the last ``window`` seconds, :meth:`PacedTurns.now_or_later` does the work at once
(the caller awaits it: its errors are the caller's, so a vote consumer is retried); beyond, the key gets a turn
(a task) when its window has room again, and each turn does what waited meanwhile in one go. The work itself
reads what to do from the database (an outbox): a turn lost to a restart is only a delay, and
:meth:`PacedTurns.later` (from a sweep) starts it again.

``work(key, context, room)`` does at most ``room`` actions and returns how many it did (0: nothing was waiting).
With ``turn_room``, a turn does up to that many at once without waiting for the window: for work whose pace
Discord's own rate-limit headers set (discord.py waits on them), where the window only keeps the caller from
waiting on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Context = TypeVar("Context")
RETRY_FIRST, RETRY_MAX = 5.0, 300.0  # seconds: back-off of a key whose turn failed


class PacedTurns(Generic[Context]):
    def __init__(
        self,
        name: str,
        work: Callable[[int, Context, int], Awaitable[int]],
        *,
        window: float,
        per_window: int,
        turn_room: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._work = work
        self._window = window
        self._per_window = per_window
        self._turn_room = turn_room
        self._monotonic = monotonic
        self._done: dict[int, deque[float]] = {}  # key → when its last actions ran (monotonic)
        self._locks: dict[int, asyncio.Lock] = {}
        self._turns: dict[int, asyncio.Task[None]] = {}  # key → the task that does its next turn

    def busy(self, key: int) -> bool:
        return key in self._turns

    async def now_or_later(self, key: int, context: Context) -> None:
        """Do the key's waiting work now when it has room (errors raise), else in its next turn."""
        if key in self._turns:
            return  # its next turn takes this too
        lock = self._locks.setdefault(key, asyncio.Lock())
        if lock.locked() or self._room(key) == 0:
            self.later(key, context)
            return
        await self._run(key, context)

    def later(self, key: int, context: Context) -> None:
        """Give the key a turn (unless it has one coming)."""
        if key not in self._turns:
            self._turns[key] = asyncio.create_task(self._turn(key, context), name=f"{self._name}:{key}")

    async def close(self) -> None:
        tasks = list(self._turns.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._turns.clear()

    def _room(self, key: int) -> int:
        done, now = self._done.setdefault(key, deque()), self._monotonic()
        while done and done[0] <= now - self._window:
            done.popleft()
        return max(0, self._per_window - len(done))

    def _wait(self, key: int) -> float:
        done = self._done.get(key)
        if self._room(key) > 0 or not done:
            return 0.0
        return max(0.0, done[0] + self._window - self._monotonic())

    async def _run(self, key: int, context: Context, *, turn: bool = False) -> int:
        async with self._locks.setdefault(key, asyncio.Lock()):
            room = self._turn_room if turn and self._turn_room is not None else self._room(key)
            if room == 0:
                return -1  # no room after all (another turn took it): try again later
            done = await self._work(key, context, room)
            now = self._monotonic()
            self._done.setdefault(key, deque()).extend([now] * done)
            return done

    async def _turn(self, key: int, context: Context) -> None:
        retry = RETRY_FIRST
        try:
            while True:
                wait = 0.0 if self._turn_room is not None else self._wait(key)
                await asyncio.sleep(max(wait, 0.05))  # what comes in the next instants joins in
                try:
                    done = await self._run(key, context, turn=True)
                except Exception:
                    log.exception("%s %s: its turn failed; retrying in %.0f s", self._name, key, retry)
                    await asyncio.sleep(retry)
                    retry = min(retry * 2, RETRY_MAX)
                    continue
                retry = RETRY_FIRST
                if done == 0:
                    return
        finally:
            self._turns.pop(key, None)
