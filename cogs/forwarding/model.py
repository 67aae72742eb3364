"""What forwarding works with: a destination, the vote it hands on, and what a sender says when it could not.

A **sender** (one per kind: ``votifier.py`` for Votifier v2 and v1, ``webhook.py`` for Standard Webhooks)
delivers one vote to one destination and returns once the destination acknowledged it (Votifier v2
``{"status":"ok"}``, a 2xx) — or, for Votifier v1, which never answers, once the vote is written. Before it
writes anything it awaits ``written()``: from then on the vote may have arrived, which decides what a crash or a
failure means (v1: it counts as sent; v2 and webhooks: retried until acknowledged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from bot.core.i18n import _

TEST_PROVIDER = "test"  # the provider of a /forward test vote (never recorded)


class Kind(StrEnum):
    VOTIFIER_V2 = "votifier_v2"
    VOTIFIER_V1 = "votifier_v1"
    WEBHOOK = "webhook"

    @property
    def acknowledged(self) -> bool:
        """Whether the destination confirms a delivery (Votifier v1 does not: it is sent once, never retried
        after it was written)."""
        return self is not Kind.VOTIFIER_V1


@dataclass(frozen=True, slots=True)
class Destination:
    id: int
    server_id: int
    name: str
    kind: Kind
    host: str | None
    port: int | None
    url: str | None
    service_name: str
    secret: str  # v2 token, v1 public key (base64 DER), webhook whsec_ secret: never shown or logged
    providers: tuple[str, ...]  # empty: every listing site
    paused: str | None  # None, "owner" or "failing"
    failing_since: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None  # English
    last_error_text: dict[str, Any] | None  # {"reason": catalog text, "params": {...}}: see last_error_shown
    last_error_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def shown(self) -> str:
        """Where it delivers, as the owner typed it (no secret)."""
        return self.url if self.url is not None else f"{self.host}:{self.port}"

    @property
    def last_error_shown(self) -> str | None:
        """The last error in the language in force (English for an error stored without its catalog text)."""
        if self.last_error_text is not None:
            return _(str(self.last_error_text["reason"]), **dict(self.last_error_text.get("params") or {}))
        return self.last_error

    def takes(self, provider: str) -> bool:
        return not self.providers or provider in self.providers


@dataclass(frozen=True, slots=True)
class ForwardedVote:
    """One vote as it is handed on (the webhook's JSON body; Votifier sends username, address, timestamp)."""

    ledger_id: int  # votes.id
    server_id: int
    server_name: str
    provider: str
    external_id: str  # the listing site's vote id
    username: str  # the player name sent (a Top.gg voter's linked name)
    discord_user_id: int | None
    voted_at: dt.datetime
    weight: int

    def message_id(self, destination_id: int) -> str:
        """The webhook's ``webhook-id``: the same for every attempt of this vote to this destination, so a
        receiver drops a repeat (Standard Webhooks' idempotency key). A test vote (``/forward test``, not in the
        ledger) has an id of its own each time, so a receiver that drops repeats still sees every test."""
        if self.provider == TEST_PROVIDER:
            return f"test_{self.external_id}_{destination_id}"
        return f"vote_{self.ledger_id}_{destination_id}"

    def body(self) -> dict[str, Any]:
        """The webhook's JSON body (README: "Votes out: signed webhooks")."""
        return {
            "type": "vote.created",
            "timestamp": self.voted_at.isoformat(),
            "data": {
                "server": {"id": self.server_id, "name": self.server_name},
                "provider": self.provider,
                "vote_id": str(self.ledger_id),
                "provider_vote_id": self.external_id,
                "player": self.username,
                "discord_user_id": str(self.discord_user_id) if self.discord_user_id is not None else None,
                "voted_at": self.voted_at.isoformat(),
                "weight": self.weight,
            },
        }


@dataclass
class DeliveryFailed(Exception):
    """The destination did not take the vote. ``reason`` is English (logs, stored); :attr:`shown` words it in the
    language in force (``/forward list``, ``/forward test``, the owner's notice)."""

    reason: str  # an N_-marked text with {placeholders} filled from params
    params: dict[str, object] = field(default_factory=dict)
    retry: bool = True  # False: trying again cannot help (wrong token, refused key): still retried, but said plainly

    def __post_init__(self) -> None:
        super().__init__(self.english)

    @property
    def english(self) -> str:
        return self.reason.format(**self.params) if self.params else self.reason

    @property
    def shown(self) -> str:
        return _(self.reason, **self.params)


Written = Callable[[], Awaitable[None]]


class Sender(Protocol):
    async def send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        """Deliver ``vote``; await ``written()`` right before the first byte of the vote goes out. Returns the
        destination's answer worth showing (``/forward test``), or None. Raises :class:`DeliveryFailed`."""
        ...
