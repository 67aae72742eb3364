"""Milestone rules: monthly thresholds (once per threshold per month) and an optional "every N votes" total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_THRESHOLDS: tuple[int, ...] = (50, 100, 250, 500, 1000)
MAX_THRESHOLDS = 20


def thresholds_from(settings: dict[str, Any]) -> tuple[int, ...]:
    raw = settings.get("thresholds")
    if not isinstance(raw, list):
        return DEFAULT_THRESHOLDS
    values = sorted({int(v) for v in raw if isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 10**9})
    return tuple(values[:MAX_THRESHOLDS]) or DEFAULT_THRESHOLDS


def every_from(settings: dict[str, Any]) -> int | None:
    value = settings.get("every")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_thresholds(text: str) -> list[int]:
    """'50, 100, 250' → [50, 100, 250]; ValueError with a readable message otherwise."""
    try:
        values = sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()})
    except ValueError:
        raise ValueError("Thresholds are whole numbers separated by commas, e.g. 50, 100, 250.") from None
    if not values or values[0] <= 0 or values[-1] > 10**9 or len(values) > MAX_THRESHOLDS:
        raise ValueError(f"Give 1 to {MAX_THRESHOLDS} positive thresholds, e.g. 50, 100, 250.")
    return values


def reached(count: int, thresholds: Sequence[int]) -> list[int]:
    return [t for t in thresholds if count >= t]


def every_mark(total: int, every: int | None) -> int | None:
    """The latest multiple of ``every`` the all-time total has reached."""
    if every is None or total < every:
        return None
    return total // every * every
