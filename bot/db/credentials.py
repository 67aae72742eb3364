"""SQL for per-server provider credentials (webhook secrets, Votifier tokens and keys) and Top.gg connections.

Secrets are returned to the code that verifies requests and never to anything that displays them;
use :func:`fingerprint` to show that a secret is set.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bot.db.executor import Executor

log = logging.getLogger(__name__)

ChangeListener = Callable[[int, str], None]
"""Called with ``(server_id, provider)`` after a credential or Top.gg connection changed in this process."""

_COLUMNS = "server_id, provider, secret, settings"
_listeners: list[ChangeListener] = []


def add_change_listener(listener: ChangeListener) -> None:
    """Let a cache drop its entries when credentials change in this process (see :func:`remove_change_listener`)."""
    _listeners.append(listener)


def remove_change_listener(listener: ChangeListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _changed(server_id: int, provider: str) -> None:
    for listener in list(_listeners):
        try:
            listener(server_id, provider)
        except Exception:  # a broken cache must not fail the write that already happened
            log.exception("credential change listener failed")


def fingerprint(secret: str) -> str:
    """A short, non-reversible tag that lets an owner tell two secrets apart (``sha256:1a2b3c4d``)."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class ProviderCredential:
    server_id: int
    provider: str
    secret: str = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> ProviderCredential:
        return cls(record["server_id"], record["provider"], record["secret"], dict(record["settings"]))


@dataclass(frozen=True, slots=True)
class TopggConnection:
    connection_id: str
    server_id: int
    webhook_secret: str = field(repr=False)


class CredentialRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def get(self, server_id: int, provider: str) -> ProviderCredential | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM provider_credentials WHERE server_id = $1 AND provider = $2",
            server_id,
            provider,
        )
        return ProviderCredential.from_record(record) if record else None

    async def list_for_provider(self, provider: str) -> list[ProviderCredential]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM provider_credentials WHERE provider = $1 ORDER BY server_id",
            provider,
        )
        return [ProviderCredential.from_record(r) for r in records]

    async def list_for_server(self, server_id: int) -> list[ProviderCredential]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM provider_credentials WHERE server_id = $1 ORDER BY provider",
            server_id,
        )
        return [ProviderCredential.from_record(r) for r in records]

    async def set_secret(
        self, server_id: int, provider: str, secret: str, settings: dict[str, Any] | None = None
    ) -> None:
        """Set or rotate a provider's secret; ``settings`` keys are merged into the stored ones."""
        await self._db.execute(
            """
            INSERT INTO provider_credentials (server_id, provider, secret, settings)
            VALUES ($1, $2, $3, COALESCE($4::jsonb, '{}'::jsonb))
            ON CONFLICT (server_id, provider) DO UPDATE SET
                secret = EXCLUDED.secret,
                settings = provider_credentials.settings || COALESCE($4::jsonb, '{}'::jsonb),
                updated_at = now()
            """,
            server_id,
            provider,
            secret,
            settings,
        )
        _changed(server_id, provider)

    async def update_settings(self, server_id: int, provider: str, settings: dict[str, Any]) -> bool:
        """Merge ``settings`` into an existing credential; ``False`` when there is none."""
        status = await self._db.execute(
            """
            UPDATE provider_credentials SET settings = settings || $3::jsonb, updated_at = now()
            WHERE server_id = $1 AND provider = $2
            """,
            server_id,
            provider,
            settings,
        )
        _changed(server_id, provider)
        return status.endswith(" 1")

    async def delete(self, server_id: int, provider: str) -> bool:
        status = await self._db.execute(
            "DELETE FROM provider_credentials WHERE server_id = $1 AND provider = $2", server_id, provider
        )
        _changed(server_id, provider)
        return status.endswith(" 1")

    async def lookup(self, server_id: int, provider: str) -> tuple[bool, ProviderCredential | None]:
        """``(server exists, its credential for provider or None)`` in one round trip."""
        record = await self._db.fetchrow(
            """
            SELECT s.id AS sid, c.server_id, c.provider, c.secret, c.settings
            FROM servers s
            LEFT JOIN provider_credentials c ON c.server_id = s.id AND c.provider = $2
            WHERE s.id = $1
            """,
            server_id,
            provider,
        )
        if record is None:
            return False, None
        return True, ProviderCredential.from_record(record) if record["provider"] is not None else None

    async def save_topgg_connection(
        self, connection_id: str, server_id: int, webhook_secret: str, project_id: str | None, user_id: str | None
    ) -> bool:
        """Store (or re-key) a connection; ``False`` when the id already belongs to another server."""
        owner = await self._db.fetchval(
            """
            INSERT INTO topgg_integrations (connection_id, server_id, webhook_secret, project_id, user_id)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (connection_id) DO UPDATE SET
                webhook_secret = EXCLUDED.webhook_secret,
                project_id = EXCLUDED.project_id, user_id = EXCLUDED.user_id
            WHERE topgg_integrations.server_id = EXCLUDED.server_id
            RETURNING server_id
            """,
            connection_id,
            server_id,
            webhook_secret,
            project_id,
            user_id,
        )
        _changed(server_id, "topgg")
        # A connection id already owned by another server is left alone (no row comes back).
        return owner == server_id

    async def delete_topgg_connection(self, connection_id: str, server_id: int | None = None) -> bool:
        """Remove a connection (only if it belongs to ``server_id`` when given)."""
        if server_id is None:
            status = await self._db.execute("DELETE FROM topgg_integrations WHERE connection_id = $1", connection_id)
        else:
            status = await self._db.execute(
                "DELETE FROM topgg_integrations WHERE connection_id = $1 AND server_id = $2", connection_id, server_id
            )
        _changed(server_id or 0, "topgg")
        return status.endswith(" 1")

    async def topgg_connections(self, server_id: int) -> list[TopggConnection]:
        records = await self._db.fetch(
            "SELECT connection_id, server_id, webhook_secret FROM topgg_integrations WHERE server_id = $1",
            server_id,
        )
        return [TopggConnection(r["connection_id"], r["server_id"], r["webhook_secret"]) for r in records]
