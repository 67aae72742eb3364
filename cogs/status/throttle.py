"""How often admins may make the bot probe on demand (/status-admin check and configure): a few a minute per
member and per Discord server, so the commands cannot be driven as a port scanner. Counted in memory, on the
injected clock; a refused attempt does not count."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable

from bot.core.errors import UserError
from bot.core.i18n import n_, number

PER_MEMBER = 3
PER_GUILD = 6
WINDOW = dt.timedelta(minutes=1)
_SWEEP_ABOVE = 10_000  # keys kept before the stale ones are dropped


class ProbeThrottle:
    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        *,
        per_member: int = PER_MEMBER,
        per_guild: int = PER_GUILD,
        window: dt.timedelta = WINDOW,
    ) -> None:
        self._clock = clock
        self._limits = {"member": per_member, "guild": per_guild}
        self._window = window
        self._hits: dict[tuple[str, int], deque[dt.datetime]] = {}

    def acquire(self, guild_id: int, user_id: int) -> None:
        """Count one on-demand probe, or raise a UserError saying when the next one is allowed."""
        now = self._clock()
        keys = (("member", user_id), ("guild", guild_id))
        retry_at: dt.datetime | None = None
        for key in keys:
            hits = self._recent(key, now)
            if len(hits) >= self._limits[key[0]]:
                free_at = hits[0] + self._window
                retry_at = free_at if retry_at is None else max(retry_at, free_at)
        if retry_at is not None:
            retry = f"<t:{int(retry_at.timestamp()) + 1}:R>"
            # Translators: {retry} is a Discord timestamp every reader sees as e.g. "in 40 seconds"; {count} is the
            # limit per member, {per_guild} the limit per Discord server.
            raise UserError(
                n_(
                    "Too many on-demand checks: at most {count} a minute per member and {per_guild} per Discord "
                    "server. Try again {retry}.",
                    "Too many on-demand checks: at most {count} a minute per member and {per_guild} per Discord "
                    "server. Try again {retry}.",
                    self._limits["member"],
                    per_guild=number(self._limits["guild"]),
                    retry=retry,
                )
            )
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > _SWEEP_ABOVE:
            self._sweep(now)

    def _recent(self, key: tuple[str, int], now: dt.datetime) -> deque[dt.datetime]:
        hits = self._hits.get(key, deque())
        while hits and now - hits[0] >= self._window:
            hits.popleft()
        return hits

    def _sweep(self, now: dt.datetime) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self._window]:
            del self._hits[key]
