"""VoteLedger: records each vote exactly once, durably, together with its outbox row.

A webhook answers 2xx only after :meth:`VoteLedger.record` returned, i.e. after COMMIT. A redelivered
vote hits the unique key ``(server_id, provider, external_id)`` and is reported as a duplicate. Every way
in (webhooks, the group committer, Votifier, the Top.gg backfill) records through the one statement of
:func:`bot.votes.repository.record_votes`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.db.executor import Executor
from bot.votes.model import Vote
from bot.votes.repository import NOTIFY_CHANNEL, RecordResult, record_votes

__all__ = ["NOTIFY_CHANNEL", "RecordResult", "VoteLedger"]


class VoteLedger:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def record(self, vote: Vote) -> RecordResult:
        """Insert the vote and its outbox row; dispatchers are notified on commit."""
        return (await record_votes(self._db, [vote]))[0]

    async def record_many(self, votes: Sequence[Vote]) -> list[RecordResult]:
        """Several votes in one statement (one COMMIT, one fsync, one notification)."""
        return await record_votes(self._db, votes) if votes else []
