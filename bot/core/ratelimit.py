"""Token buckets per key (a source address, a guild, a user): how often something may happen, in one place.

Time comes from an injected :data:`~bot.core.time.Clock`, so tests never wait for real time. The table of keys
is bounded: when it is full, keys whose bucket has refilled are forgotten first, then the oldest.
"""

from __future__ import annotations

from collections.abc import Hashable

from bot.core.time import Clock


class SourceBudget:
    """A token bucket per key: ``per_minute`` tokens a minute, holding at most ``per_minute``.

    A key may spend while its balance is positive, even more than it holds: one spend may cost more
    than the bucket (a v1 block tried against every server's key), and that debt is paid back before
    the key may spend again. At most ``max_sources`` keys are remembered.
    """

    def __init__(self, per_minute: float, clock: Clock, *, max_sources: int = 10_000) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_sources = max_sources
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (balance, at)

    def balance(self, source: Hashable) -> float:
        now = self._clock().timestamp()
        balance, at = self._buckets.get(source, (self._capacity, now))
        return min(self._capacity, balance + max(0.0, now - at) * self._rate)

    def allows(self, source: Hashable) -> bool:
        return self.balance(source) > 0

    def retry_after(self, source: Hashable) -> float:
        """Seconds until ``source`` may spend again (0 when it may now)."""
        balance = self.balance(source)
        return 0.0 if balance > 0 else (-balance) / self._rate + 1 / self._rate / 1000

    def charge(self, source: Hashable, amount: float = 1.0) -> None:
        if amount <= 0:
            return
        balance = self.balance(source) - amount
        self._buckets.pop(source, None)
        if len(self._buckets) >= self._max_sources:
            self._forget()
        self._buckets[source] = (balance, self._clock().timestamp())

    def _forget(self) -> None:
        for source in [s for s in self._buckets if self.balance(s) >= self._capacity]:
            del self._buckets[source]
        while len(self._buckets) >= self._max_sources:
            del self._buckets[next(iter(self._buckets))]
