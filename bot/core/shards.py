"""The one shard-ownership rule: which guilds this process handles.

Discord assigns guild ``g`` to shard ``(g >> 22) % shard_count``. A process started with ``--shards
0,1 --shard-count 4`` owns the guilds of shards 0 and 1 and does their timed work, vote effects and
status probes; a process without ``--shards`` (one process for every shard) owns every guild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShardOwnership:
    ids: tuple[int, ...] | None = None  # None: every shard
    count: int | None = None

    @classmethod
    def of(cls, ids: Sequence[int] | None, count: int | None) -> ShardOwnership:
        if ids is None or not count:
            return cls()
        return cls(tuple(sorted(set(ids))), count)

    @property
    def everything(self) -> bool:
        return self.ids is None or self.count is None

    def owns(self, guild_id: int) -> bool:
        if self.ids is None or self.count is None:
            return True
        return (guild_id >> 22) % self.count in self.ids

    def sql_args(self) -> tuple[int | None, list[int] | None]:
        """``(count, ids)`` for :func:`bot.db.shards.shard_filter`: both None when this process owns every guild."""
        if self.ids is None or self.count is None:
            return None, None
        return self.count, list(self.ids)
