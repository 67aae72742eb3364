"""Token buckets per key (a source address, a guild, a user): how often something may happen, in one place.

The clock is a monotonic ``() -> float`` in seconds, injected so tests never wait for real time. The table
of keys is bounded: when it is full, keys whose bucket has refilled are forgotten first, then the oldest.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

Monotonic = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class KeyedRateLimit:
    """At most ``burst`` events at once per key, refilled at ``burst`` per ``per_seconds``."""

    def __init__(
        self, *, burst: int, per_seconds: float, clock: Monotonic = time.monotonic, max_keys: int = 10_000
    ) -> None:
        if burst < 1 or per_seconds <= 0:
            raise ValueError("burst must be at least 1 and per_seconds positive")
        self.burst = burst
        self.per_seconds = per_seconds
        self._rate = burst / per_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def _refilled(self, key: Hashable, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            self._buckets.move_to_end(key)
        return bucket

    def _forget(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self._rate >= self.burst]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            self._buckets.popitem(last=False)

    def hit(self, key: Hashable) -> bool:
        """Spend one token for ``key``; ``False`` (nothing spent) when the bucket is empty."""
        bucket = self._refilled(key, self._clock())
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def allows(self, key: Hashable) -> bool:
        """Whether :meth:`hit` would succeed now, without spending."""
        return self._refilled(key, self._clock()).tokens >= 1

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` has a token again (0 when it has one now)."""
        bucket = self._refilled(key, self._clock())
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self._rate
