"""The bot's budget of REST requests: paced below Discord's global limit, the most urgent first.

Discord allows a bot about 50 requests per second in all (a 429 with ``"global": true`` beyond) and bans it
for a day after 10,000 invalid requests in ten minutes. discord.py paces each route's bucket from the
headers, but nothing paces the routes together, so a flood of board edits could take the whole second and a
member's ``/vote`` would wait behind it.

Every request goes through :class:`RequestBudget` (installed around ``HTTPClient.request`` by
:func:`install`): a token bucket of ``per_second`` tokens refilled continuously, holding at most ``burst``,
so no second ever sees more than ``burst + per_second`` requests (40 + 10 by default: at Discord's 50). When
requests wait, the most urgent :class:`Priority` goes first, in arrival order within a priority. The
priority in force is a context variable: interactions run in :attr:`Priority.INTERACTION` (set around
discord.py's INTERACTION_CREATE parser, like the member's language), the vote dispatcher's consumers in
:attr:`Priority.VOTE_EFFECT`, board refreshes in :attr:`Priority.BOARD`, status alerts in
:attr:`Priority.ALERT`, everything else in :attr:`Priority.ROUTINE`.

Interaction callbacks and follow-ups (their webhook token) are outside Discord's global limit: they are
never held back.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import discord

DEFAULT_PER_SECOND = 40.0
DEFAULT_BURST = 10
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/{webhook_id}/{webhook_token}")
"""Routes outside Discord's global limit: interaction callbacks and their follow-ups (webhook-token calls)."""


class Priority(IntEnum):
    """Lower goes first."""

    INTERACTION = 0  # a member is waiting: what their command, button or form asks of Discord
    ALERT = 1  # a game server went down or came back
    VOTE_EFFECT = 2  # thank-you posts, roles, announcements of a vote
    ROUTINE = 3  # reminders, giveaways, notices, …
    BOARD = 4  # board edits: the first to wait, the next refresh shows the same


_priority: ContextVar[Priority] = ContextVar("votebot_request_priority", default=Priority.ROUTINE)


def current_priority() -> Priority:
    return _priority.get()


@contextlib.contextmanager
def prioritized(priority: Priority) -> Iterator[Priority]:
    """Run a block's Discord requests at ``priority`` (tasks started inside inherit it)."""
    token = _priority.set(priority)
    try:
        yield priority
    finally:
        _priority.reset(token)


def is_exempt(route: discord.http.Route) -> bool:
    return route.path.startswith(EXEMPT_PREFIXES)


@dataclass
class PriorityStats:
    granted: int = 0
    waited: int = 0  # requests that had to queue
    longest_wait: float = 0.0  # seconds


@dataclass
class RequestBudget:
    per_second: float = DEFAULT_PER_SECOND
    burst: int = DEFAULT_BURST
    monotonic: Callable[[], float] = time.monotonic
    stats: dict[Priority, PriorityStats] = field(default_factory=lambda: {p: PriorityStats() for p in Priority})
    _tokens: float = field(default=-1.0, repr=False)
    _updated: float = field(default=0.0, repr=False)
    _waiters: list[tuple[int, int, asyncio.Future[None]]] = field(default_factory=list, repr=False)
    _order: Iterator[int] = field(default_factory=itertools.count, repr=False)
    _pacer: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a request budget needs a positive rate and a burst of at least 1")
        self._tokens = float(self.burst)
        self._updated = self.monotonic()

    @property
    def waiting(self) -> dict[Priority, int]:
        counts = dict.fromkeys(Priority, 0)
        for priority, _order, future in self._waiters:
            if not future.done():
                counts[Priority(priority)] += 1
        return counts

    async def acquire(self, priority: Priority | None = None) -> None:
        """Wait for this request's turn (at once when a token is there and nobody waits)."""
        priority = current_priority() if priority is None else priority
        stats = self.stats[priority]
        self._refill()
        if not self._waiters and self._tokens >= 1:
            self._tokens -= 1
            stats.granted += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._order), future))
        started = self.monotonic()
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.create_task(self._pace(), name="request-budget")
        await future  # cancelled while waiting: the pacer skips it, no token is spent
        stats.granted += 1
        stats.waited += 1
        stats.longest_wait = max(stats.longest_wait, self.monotonic() - started)

    def _refill(self) -> None:
        now = self.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.per_second)
        self._updated = now

    async def _pace(self) -> None:
        while self._waiters:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.per_second)
                continue
            _priority_value, _order, future = heapq.heappop(self._waiters)
            if future.done():  # its request was cancelled while it waited
                continue
            self._tokens -= 1
            future.set_result(None)
            await asyncio.sleep(0)  # let the granted request run before the next is chosen

    async def close(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
            self._pacer = None
        for _priority_value, _order, future in self._waiters:
            future.cancel()
        self._waiters.clear()


def install(http: discord.http.HTTPClient, budget: RequestBudget) -> None:
    """Route every REST request of ``http`` through ``budget`` (interaction replies excepted); installing again
    replaces the budget."""
    request = getattr(http.request, "_votebot_unbudgeted", http.request)

    async def budgeted(route: discord.http.Route, **kwargs: Any) -> Any:
        if not is_exempt(route):
            await budget.acquire()
        return await request(route, **kwargs)

    budgeted._votebot_unbudgeted = request  # type: ignore[attr-defined]
    http.request = budgeted  # type: ignore[method-assign]


def install_interaction_priority(parsers: dict[str, Any]) -> None:
    """Run every interaction's handlers at :attr:`Priority.INTERACTION` (tasks copy the parser's context)."""
    parse = parsers["INTERACTION_CREATE"]
    if getattr(parse, "_votebot_priority", False):
        return

    def parse_first(data: dict[str, Any]) -> None:
        with prioritized(Priority.INTERACTION):
            parse(data)

    parse_first._votebot_priority = True  # type: ignore[attr-defined]
    parsers["INTERACTION_CREATE"] = parse_first
