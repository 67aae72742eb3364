"""Proof that a player name belongs to the member who links it.

``/link`` issues a one-time code (:meth:`LinkProof.issue`); the member types it in game and the game
server's plugin confirms it through the PULL API with the player name the game knows
(:meth:`LinkProof.confirm`). Only then is the name linked, so nobody can take another player's name and
the points and roles its votes earn.

Codes: eight characters from an alphabet without the look-alikes 0/O and 1/I (32 symbols, 40 bits),
drawn with :mod:`secrets`, shown as ``ABCD-EFGH`` and accepted in any case with or without the dash;
valid for :data:`CODE_TTL`, usable once, stored only as a hash.

Guessing is throttled over a rolling :data:`WINDOW`, counted in the database so every webhook replica
sees the same numbers: at most :data:`BAD_KEY_LIMIT` wrong API keys per source address, and per game
server at most :data:`SERVER_LIMIT` wrong answers (unknown code or name mismatch) in all and
:data:`PLAYER_LIMIT` for one player name. Past a limit every confirm call of that scope is refused
(429) until the window has moved on, right code or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from enum import Enum

import asyncpg

from bot.core.text import clean_player_name
from bot.db.link_claims import CodeCollision, FailureCount, LinkClaim, LinkClaimRepository
from bot.db.links import LinkRepository
from bot.db.transaction import transaction

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_TTL = dt.timedelta(minutes=15)

WINDOW = dt.timedelta(minutes=15)
BAD_KEY_LIMIT = 10
SERVER_LIMIT = 30
PLAYER_LIMIT = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The canonical code in ``text`` (``abcd-efgh`` → ``ABCDEFGH``), or None when it cannot be one."""
    if len(text) > 2 * CODE_LENGTH:
        return None
    code = text.replace("-", "").replace(" ", "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    """``ABCD-EFGH``: easier to read and to type."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def hash_code(server_id: int, code: str) -> str:
    """Hex SHA-256 of the canonical code, salted with the server id."""
    return hashlib.sha256(f"{server_id}:{code}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str  # canonical, e.g. ABCDEFGH; show it with display_code
    claim: LinkClaim


class Outcome(Enum):
    LINKED = "linked"
    UNKNOWN = "unknown code"
    EXPIRED = "code expired"
    USED = "code already used"
    MISMATCH = "code was issued for another player name"
    THROTTLED = "too many failed attempts, try again later"


@dataclass(frozen=True, slots=True)
class Confirmation:
    outcome: Outcome
    discord_user_id: int | None = None
    player_name: str | None = None
    replaced_user_id: int | None = None  # the member who held the name before (the proof wins)
    retry_after: int = 0  # seconds, when throttled


def _retry_after(failures: FailureCount, now: dt.datetime) -> int:
    if failures.oldest is None:
        return int(WINDOW.total_seconds())
    return max(1, math.ceil((failures.oldest + WINDOW - now).total_seconds()))


def same_name(a: str, b: str) -> bool:
    return clean_player_name(a).casefold() == clean_player_name(b).casefold()


class LinkProof:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def issue(
        self, server_id: int, user_id: int, player_name: str | None, *, ping: bool, now: dt.datetime
    ) -> IssuedCode:
        """A fresh code for the member, replacing their earlier claim on the server."""
        for _ in range(5):
            code = new_code()
            try:
                claim = await LinkClaimRepository(self._pool).put(
                    server_id,
                    user_id,
                    hash_code(server_id, code),
                    player_name,
                    ping=ping,
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            except CodeCollision:
                continue
            return IssuedCode(code, claim)
        raise RuntimeError("could not draw an unused link code")  # 1 in 2^40 per pending code, five times

    async def pending(self, server_id: int, user_id: int, now: dt.datetime) -> LinkClaim | None:
        """The member's claim if it can still be confirmed."""
        claim = await LinkClaimRepository(self._pool).get(server_id, user_id)
        if claim is None or claim.confirmed_at is not None or claim.expires_at <= now:
            return None
        return claim

    async def cancel(self, server_id: int, user_id: int) -> bool:
        """Forget the member's claim (on unlink: an old code must not link them again)."""
        return await LinkClaimRepository(self._pool).delete(server_id, user_id)

    async def key_throttled(self, address: str, now: dt.datetime) -> int:
        """Seconds to wait when ``address`` sent too many wrong API keys lately, else 0."""
        failures = await LinkClaimRepository(self._pool).bad_key_failures(address, now - WINDOW)
        return _retry_after(failures, now) if failures.count >= BAD_KEY_LIMIT else 0

    async def bad_key(self, address: str, now: dt.datetime) -> None:
        await LinkClaimRepository(self._pool).record_failure(None, address, None, now, now - WINDOW)

    async def confirm(
        self, server_id: int, code: str, username: str, *, address: str, now: dt.datetime
    ) -> Confirmation:
        """Link ``username`` to the member holding ``code`` on the server, if the code is good."""
        name = clean_player_name(username)
        async with transaction(self._pool) as connection:
            claims = LinkClaimRepository(connection)
            await claims.lock_server(server_id)
            for failures, limit in (
                (await claims.server_failures(server_id, now - WINDOW), SERVER_LIMIT),
                (await claims.player_failures(server_id, name, now - WINDOW), PLAYER_LIMIT),
            ):
                if failures.count >= limit:
                    return Confirmation(Outcome.THROTTLED, retry_after=_retry_after(failures, now))
            claim = await claims.by_code_for_update(server_id, hash_code(server_id, code))
            if claim is None:
                await claims.record_failure(server_id, address, name, now, now - WINDOW)
                return Confirmation(Outcome.UNKNOWN)
            if claim.confirmed_at is not None:
                return Confirmation(Outcome.USED)
            if claim.expires_at <= now:
                return Confirmation(Outcome.EXPIRED)
            if claim.player_name is not None and not same_name(claim.player_name, name):
                await claims.record_failure(server_id, address, name, now, now - WINDOW)
                return Confirmation(Outcome.MISMATCH)
            links = LinkRepository(connection)
            previous = await links.by_name(server_id, name)
            await links.link(server_id, claim.discord_user_id, name, ping=claim.ping_opt_in, reassign=True)
            await claims.mark_confirmed(server_id, claim.discord_user_id, name, now)
            replaced = (
                previous.discord_user_id if previous and previous.discord_user_id != claim.discord_user_id else None
            )
            return Confirmation(Outcome.LINKED, claim.discord_user_id, name, replaced)
