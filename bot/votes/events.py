"""What vote consumers receive (:class:`VoteEvent`) and what a consumer is (:class:`VoteConsumer`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from bot.db.records import Server


@dataclass(frozen=True, slots=True)
class VoteEvent:
    ledger_id: int  # votes.id — the key every consumer's effect is idempotent on
    server: Server
    provider: str
    vote_id: str  # the provider's vote id (or derived key)
    player_name: str | None
    discord_user_id: int | None  # from the provider (Top.gg), else the member who linked the player name
    weight: int
    voted_at: dt.datetime
    next_vote_at: dt.datetime | None  # when the voter may vote again
    attempt: int = 1  # 1 on the first delivery; more when this consumer is retried


class VoteConsumer(Protocol):
    """A feature's reaction to votes, registered in its package's ``setup()``.

    The dispatcher awaits :meth:`handle` for every vote until it returns; an exception means "failed, try
    again later" (with back-off, then dead-lettered). The effect must be idempotent by ``event.ledger_id``:
    after a crash the same vote can be handed over again.
    """

    @property
    def name(self) -> str:
        """Stable and unique: it is stored with each vote's delivery state."""
        ...

    async def handle(self, event: VoteEvent) -> None: ...
