"""The shard-ownership rule of :mod:`bot.core.shards` in SQL, for queries that claim only our guilds' rows."""

from __future__ import annotations


def shard_filter(column: str, count_param: str, ids_param: str) -> str:
    """SQL for "``column`` (a guild id) belongs to one of our shards"; true when ``count_param`` is NULL."""
    return f"({count_param}::int IS NULL OR ({column} >> 22) % {count_param}::int = ANY({ids_param}::int[]))"
