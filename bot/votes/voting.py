"""When a member may vote again: the provider's expiry when known, else the server's cooldown."""

from __future__ import annotations

import datetime as dt

from bot.db.records import Server, VoteRecord


def next_vote_at(server: Server, last_vote: VoteRecord | None) -> dt.datetime | None:
    if last_vote is None:
        return None
    return last_vote.expires_at or last_vote.voted_at + server.vote_cooldown


def cooldown_remaining(server: Server, last_vote: VoteRecord | None, now: dt.datetime) -> dt.timedelta | None:
    """Time until the member may vote again, or None when they may vote now (or never voted)."""
    next_at = next_vote_at(server, last_vote)
    if next_at is None or next_at <= now:
        return None
    return next_at - now
