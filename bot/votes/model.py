"""The vote as every provider hands it to the ledger, and when its voter may vote again."""

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


def next_vote_at(voted_at: dt.datetime, expires_at: dt.datetime | None, cooldown: dt.timedelta) -> dt.datetime:
    """When the voter may vote again: the provider's expiry when it sent one, else the server's cooldown.

    The one place this is decided (/vote, reminders, voter-role expiry and the vote events all ask here).
    """
    return expires_at or voted_at + cooldown


def topgg_vote_key(server_id: int, discord_user_id: int, created_at: dt.datetime) -> str:
    """The ledger key of a Top.gg vote, identical for webhook (v1) and backfill copies.

    Equal to ``derived_key("topgg", server_id, discord_user_id, <created_at in UTC, whole seconds>.isoformat())``,
    spelled out here because it runs on every delivery.
    """
    if created_at.tzinfo is not dt.UTC:
        created_at = created_at.astimezone(dt.UTC)
    second = created_at.replace(microsecond=0).isoformat()
    joined = f"topgg\x1f{int(server_id)}\x1f{int(discord_user_id)}\x1f{second}"
    return "k:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()
