"""Prometheus text exposition for the intake, written by hand (no client library needed)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.votes.repository import OutboxStats

BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    text = ",".join(f'{name}="{_escape(value)}"' for name, value in pairs)
    return "{" + text + "}" if text else ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class IntakeMetrics:
    """Counters per provider, rejections per (provider, reason), and one request-duration histogram."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.recorded: Counter[str] = Counter()
        self.duplicate: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()
        self._bucket_counts = [0] * (len(BUCKETS) + 1)  # last one is +Inf
        self._duration_sum = 0.0
        self._duration_count = 0

    def observe(self, seconds: float) -> None:
        self._bucket_counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self._duration_sum += seconds
        self._duration_count += 1

    def render(self, stats: OutboxStats | None) -> str:
        lines: list[str] = []

        def counter(name: str, help_text: str, values: Iterable[tuple[tuple[tuple[str, str], ...], int]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            lines.extend(f"{name}{_labels(labels)} {count}" for labels, count in values)

        counter(
            "votebot_votes_received_total",
            "Vote deliveries received, per provider.",
            [((("provider", p),), n) for p, n in sorted(self.received.items())],
        )
        counter(
            "votebot_votes_recorded_total",
            "Votes newly committed to the ledger, per provider.",
            [((("provider", p),), n) for p, n in sorted(self.recorded.items())],
        )
        counter(
            "votebot_votes_duplicate_total",
            "Deliveries of votes already in the ledger, per provider.",
            [((("provider", p),), n) for p, n in sorted(self.duplicate.items())],
        )
        counter(
            "votebot_votes_rejected_total",
            "Deliveries refused, per provider and reason.",
            [((("provider", p), ("reason", r)), n) for (p, r), n in sorted(self.rejected.items())],
        )
        name = "votebot_request_duration_seconds"
        lines.append(f"# HELP {name} Time to answer a vote delivery.")
        lines.append(f"# TYPE {name} histogram")
        cumulative = 0
        for bound, count in zip((*BUCKETS, float("inf")), self._bucket_counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else _number(bound)
            lines.append(f'{name}_bucket{{le="{le}"}} {cumulative}')
        lines.append(f"{name}_sum {_number(round(self._duration_sum, 6))}")
        lines.append(f"{name}_count {self._duration_count}")
        if stats is not None:
            gauges = (
                ("votebot_outbox_backlog", "Recorded votes with a consumer not done yet.", stats.backlog),
                ("votebot_outbox_retrying", "Of those, votes waiting for a consumer's retry.", stats.retrying),
                ("votebot_dead_letters", "Vote consumers that gave up on a vote (votebot outbox).", stats.dead_letters),
                ("votebot_dispatch_lag_seconds", "Age of the oldest undelivered vote.", round(stats.lag_seconds, 3)),
            )
            for gauge, help_text, value in gauges:
                lines.append(f"# HELP {gauge} {help_text}")
                lines.append(f"# TYPE {gauge} gauge")
                lines.append(f"{gauge} {_number(value)}")
        return "\n".join(lines) + "\n"
