"""Vote consumers for dispatcher tests: one that records what it got, one that fails on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.votes.events import VoteEvent


@dataclass
class Recorder:
    name: str = "recorder"
    events: list[VoteEvent] = field(default_factory=list)
    failing: int = 0  # fail this many more calls (then succeed); -1: fail for good

    async def handle(self, event: VoteEvent) -> None:
        if self.failing:
            self.failing -= 1 if self.failing > 0 else 0
            raise RuntimeError(f"{self.name} is down")
        self.events.append(event)

    @property
    def ids(self) -> list[int]:
        return [e.ledger_id for e in self.events]
