"""Frozen dataclasses that repositories return, each built from an asyncpg record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class Server:
    id: int
    guild_id: int
    name: str
    vote_url: str
    game: str | None
    address: str | None
    category: str | None
    timezone: str
    enabled: bool
    is_default: bool
    vote_cooldown: dt.timedelta
    created_at: dt.datetime
    language: str | None = None  # bot/core/i18n.py code; None follows the guild's preferred locale

    @classmethod
    def from_record(cls, record: asyncpg.Record, prefix: str = "") -> Server:
        """From a row of ``server_columns(...)`` (``prefix`` as given there for joined rows)."""
        return cls(**{name: record[prefix + name] for name in SERVER_FIELDS})


SERVER_FIELDS: tuple[str, ...] = tuple(Server.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class FeatureSetting:
    server_id: int
    feature: str
    enabled: bool
    channel_id: int | None
    role_id: int | None
    message_id: int | None
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> FeatureSetting:
        return cls(
            server_id=record["server_id"],
            feature=record["feature"],
            enabled=record["enabled"],
            channel_id=record["channel_id"],
            role_id=record["role_id"],
            message_id=record["message_id"],
            settings=dict(record["settings"]),
        )


@dataclass(frozen=True, slots=True)
class VoteRecord:
    id: int
    server_id: int
    provider: str
    external_id: str
    player_name: str | None
    discord_user_id: int | None
    weight: int
    voted_at: dt.datetime
    expires_at: dt.datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> VoteRecord:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class PushedEvent:
    server_id: int
    event_id: str  # the listing site's id, unique per server
    type: str
    data: dict[str, Any]  # validated by bot.web.providers.events
    received_at: dt.datetime
    attempts: int = 0
