"""The Votifier listener as the process runs it: keys from the database, votes recorded by the ledger."""

from __future__ import annotations

from typing import Any

import asyncpg

from bot.core.time import Clock, utcnow
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from bot.votes.votifier.keys import DatabaseVotifierKeys
from bot.votes.votifier.listener import VotifierListener


class VotifierService:
    def __init__(self, pool: asyncpg.Pool, host: str, port: int, *, clock: Clock = utcnow, **limits: Any) -> None:
        """``limits`` are the :class:`VotifierListener` keyword options (timeouts, connection limits)."""
        self._host = host
        self._port = port
        self.keys = DatabaseVotifierKeys(pool)
        self._ledger = VoteLedger(pool)
        self.listener = VotifierListener(self.keys, self._record, clock=clock, **limits)

    async def _record(self, vote: Vote) -> None:
        await self._ledger.record(vote)

    async def start(self) -> None:
        await self.listener.start(self._host, self._port)

    async def close(self) -> None:
        await self.listener.close()
        self.keys.close()
