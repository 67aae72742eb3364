"""Setting and rotating a server's secrets, shared by ``/setup provider`` and ``votebot server secret``."""

from __future__ import annotations

import secrets
from typing import Any

from bot.core.errors import UserError
from bot.db.credentials import CredentialRepository, fingerprint
from bot.votes.model import PROVIDERS
from bot.votes.votifier.keys import set_votifier_token

CREDENTIAL_KINDS: tuple[str, ...] = (*PROVIDERS, "events")  # "events": the signed event API
MAX_SECRET = 4096


def check_secret(value: str) -> str:
    if not value or value != value.strip() or len(value) > MAX_SECRET or any(ord(ch) < 32 for ch in value):
        raise UserError(f"The secret must be 1 to {MAX_SECRET} visible characters without surrounding spaces.")
    return value


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def store_secret(
    repo: CredentialRepository, server_id: int, kind: str, value: str, settings: dict[str, Any] | None = None
) -> str:
    """Store (or rotate) a secret and return its fingerprint; a Votifier v1 key pair / Top.gg integration
    token is created the first time."""
    if kind not in CREDENTIAL_KINDS:
        raise UserError(f"Unknown provider {kind!r}; choose one of {', '.join(CREDENTIAL_KINDS)}.")
    check_secret(value)
    if kind == "votifier":
        await set_votifier_token(repo, server_id, value)
        return fingerprint(value)
    extra = dict(settings or {})
    if kind == "topgg":
        current = await repo.get(server_id, kind)
        if not (current and current.settings.get("integration_token")):
            extra["integration_token"] = secrets.token_urlsafe(24)
    await repo.set_secret(server_id, kind, value, extra or None)
    return fingerprint(value)
