"""Votifier credentials from the database: a cached :class:`~bot.votifier.VotifierKeys`.

One ``provider_credentials`` row per game server with provider ``votifier``: ``secret`` is the default
v2 token; settings hold ``private_key`` (base64 PKCS#8 DER), ``public_key`` (base64 X.509 DER, shown
to the owner) and optional ``service_tokens`` ``{service name: token}``. The whole set is loaded at
once and kept ``ttl`` seconds, so a vote costs no query; any change made through
:class:`~bot.db.credentials.CredentialRepository` in this process drops the cache at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from bot.db.credentials import CredentialRepository, add_change_listener, remove_change_listener
from bot.votes.votifier.protocol import (
    StaticVotifierKeys,
    VotifierRsaKey,
    VotifierToken,
    generate_keypair,
    load_private_key,
)

log = logging.getLogger(__name__)

PROVIDER = "votifier"


class DatabaseVotifierKeys:
    def __init__(self, pool: asyncpg.Pool, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._repo = CredentialRepository(pool)
        self._ttl = ttl
        self._clock = clock
        self._snapshot: StaticVotifierKeys | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.loads = 0
        add_change_listener(self._on_change)

    def close(self) -> None:
        remove_change_listener(self._on_change)

    def _on_change(self, server_id: int, provider: str) -> None:
        if provider == PROVIDER or server_id == 0:
            self.invalidate()

    def invalidate(self) -> None:
        self._expires = 0.0

    async def _keys(self) -> StaticVotifierKeys:
        if self._snapshot is not None and self._clock() < self._expires:
            return self._snapshot
        async with self._lock:
            if self._snapshot is not None and self._clock() < self._expires:
                return self._snapshot
            snapshot = StaticVotifierKeys()
            for credential in await self._repo.list_for_provider(PROVIDER):
                settings = credential.settings
                try:
                    snapshot.add_server(
                        credential.server_id,
                        default_token=credential.secret,
                        service_tokens=_service_tokens(settings.get("service_tokens")),
                        private_key=settings.get("private_key") or None,
                    )
                except ValueError as exc:  # a broken key must not take the other servers down
                    log.warning("Votifier credential of server %s ignored: %s", credential.server_id, exc)
                    snapshot.add_server(credential.server_id, default_token=credential.secret)
            self._snapshot, self._expires = snapshot, self._clock() + self._ttl
            self.loads += 1
            return snapshot

    async def tokens_for(self, service_name: str) -> Sequence[VotifierToken]:
        return await (await self._keys()).tokens_for(service_name)

    async def rsa_keys(self) -> Sequence[VotifierRsaKey]:
        return await (await self._keys()).rsa_keys()


def _service_tokens(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str) and v}


async def set_votifier_token(repo: CredentialRepository, server_id: int, token: str) -> str:
    """Set or rotate the v2 token; a v1 key pair is generated the first time. Returns the public key."""
    current = await repo.get(server_id, PROVIDER)
    if current is not None and current.settings.get("private_key") and current.settings.get("public_key"):
        await repo.set_secret(server_id, PROVIDER, token)
        return str(current.settings["public_key"])
    private_key, public_key = await asyncio.to_thread(generate_keypair)
    load_private_key(private_key)  # sanity: what we store must load
    await repo.set_secret(server_id, PROVIDER, token, {"private_key": private_key, "public_key": public_key})
    return public_key
