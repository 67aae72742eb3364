"""The vote as every provider hands it to the ledger, and the event the cogs receive."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

PROVIDERS: tuple[str, ...] = ("topserver", "topgg", "gamemonitoring", "votifier")


@dataclass(frozen=True, slots=True)
class Vote:
    """One verified vote, ready to be recorded.

    ``external_id`` is the provider's own vote id, or a deterministic key (see PROTOCOLS.md) for
    providers that send none; ``(provider, external_id)`` is unique in the ledger.
    """

    server_id: int
    provider: str
    external_id: str
    voted_at: dt.datetime
    player_name: str | None = None
    discord_user_id: int | None = None
    weight: int = 1
    expires_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}")
        if not self.external_id:
            raise ValueError("external_id must not be empty")
        if self.voted_at.tzinfo is None:
            raise ValueError("voted_at must be timezone-aware")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        if self.weight < 1:
            raise ValueError("weight must be at least 1")


def derived_key(*parts: object) -> str:
    """Deterministic dedupe key for providers that send no vote id (sha256 of the parts)."""
    joined = "\x1f".join(str(p) for p in parts)
    return "k:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()
