"""GAMEMONITORING ``server.vote`` deliveries: verify the [inferred] signature, then fetch the vote.

The delivery body only names the event; the vote itself (nickname, server, user) is fetched from
the GAMEMONITORING API. Because that fetch is checked against the configured server id, a forged
delivery can at worst make us record a genuine vote of our own server; the signature is a second wall.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.votes.model import Vote

from .common import (
    MAX_BODY,
    BadPayload,
    NotAVote,
    SignatureError,
    UpstreamError,
    WrongServer,
    hex_digest_matches,
    load_json_object,
    parse_iso8601,
    player_name_problem,
    require_str,
)

log = logging.getLogger(__name__)

PROVIDER = "gamemonitoring"
VOTE_EVENT = "server.vote"
DEFAULT_API_BASE = "https://api.gamemonitoring.net"
MAX_LOGGED = 300  # characters of the canonical string a mismatch logs (bodies may be 64 KiB)
_EVENT_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}", re.ASCII)

__all__ = [
    "DEFAULT_API_BASE",
    "VOTE_EVENT",
    "Delivery",
    "canonical_string",
    "fetch_gamemonitoring_vote",
    "parse_gamemonitoring_delivery",
    "parse_gamemonitoring_vote",
    "sign_gamemonitoring",
    "verify_gamemonitoring",
]


@dataclass(frozen=True, slots=True)
class Delivery:
    event_type: str
    event_id: str
    is_test: bool
    payload: dict[str, Any] = field(compare=False)

    @property
    def external_id(self) -> str:
        """Dedupe key: ``event_type + event_id``."""
        return f"{self.event_type}:{self.event_id}"

    def not_a_vote(self) -> NotAVote | None:
        """What to answer without fetching (test ping or other event type), or ``None`` to fetch."""
        if self.is_test:
            return NotAVote(PROVIDER, "test", "is_test delivery")
        if self.event_type != VOTE_EVENT:
            return NotAVote(PROVIDER, "ignored", f"event type {self.event_type!r}")
        return None


# --------------------------------------------------------------------------- signature [inferred]


def _format_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    raise BadPayload(f"body.{key} must be a scalar")


def canonical_string(payload: Mapping[str, Any]) -> str:
    """``k=v`` pairs joined by ``&`` for every key except ``signature``, keys sorted; booleans ``true``/``false``."""
    return "&".join(f"{key}={_format_value(key, payload[key])}" for key in sorted(payload) if key != "signature")


def _digest(token: str, payload: Mapping[str, Any]) -> bytes:
    return hmac.new(token.encode("utf-8"), canonical_string(payload).encode("utf-8"), hashlib.sha256).digest()


def sign_gamemonitoring(token: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` with the ``signature`` GAMEMONITORING would add."""
    signed = {key: value for key, value in payload.items() if key != "signature"}
    signed["signature"] = _digest(token, signed).hex()
    return signed


def verify_gamemonitoring(token: str, payload: Mapping[str, Any]) -> None:
    """Raise :class:`SignatureError` (401) unless ``payload["signature"]`` matches (constant time).

    The scheme is inferred, not documented, so a mismatch logs the canonical string (never the token)
    to let an operator compare it with what GAMEMONITORING actually signs.
    """
    if not token:
        raise SignatureError("no GAMEMONITORING token configured")
    signature = payload.get("signature")
    if not isinstance(signature, str) or not signature:
        raise SignatureError("missing signature")
    if not hex_digest_matches(_digest(token, payload), signature):
        shown = canonical_string(payload)
        if len(shown) > MAX_LOGGED:
            shown = f"{shown[:MAX_LOGGED]}… ({len(shown)} characters)"
        log.warning("GAMEMONITORING signature mismatch; canonical string was %r", shown)
        raise SignatureError("invalid signature")


# --------------------------------------------------------------------------- delivery


def _event_id(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not _EVENT_ID.fullmatch(value):
        raise BadPayload("body.event_id must be 1..64 characters of [A-Za-z0-9_-]")
    return value


def parse_gamemonitoring_delivery(raw_body: bytes) -> Delivery:
    """Parse the webhook body (before verification — the signature is inside it)."""
    body = load_json_object(raw_body)
    event_type = require_str(body, "event_type", "body", max_len=64)
    is_test = body.get("is_test", False)
    if not isinstance(is_test, bool):
        raise BadPayload("body.is_test must be a boolean")
    return Delivery(event_type=event_type, event_id=_event_id(body.get("event_id")), is_test=is_test, payload=body)


# --------------------------------------------------------------------------- vote fetch


async def fetch_gamemonitoring_vote(
    session: aiohttp.ClientSession,
    base_url: str,
    event_id: str,
    timeout: float = 5.0,  # noqa: ASYNC109 - HTTP timeout handed to aiohttp, per the provider API
    *,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``GET {base_url}/votes/{event_id}`` → the decoded JSON object.

    Network errors, timeouts, non-200 answers, bodies over ``MAX_BODY`` and non-JSON bodies raise
    :class:`UpstreamError` (503, so GAMEMONITORING retries the delivery).
    """
    event_id = _event_id(event_id)
    url = f"{base_url.rstrip('/')}/votes/{quote(event_id, safe='')}"
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout), headers=headers, allow_redirects=False
        ) as response:
            if response.status != 200:
                raise UpstreamError(f"GAMEMONITORING API answered HTTP {response.status}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(16384):
                size += len(chunk)
                if size > MAX_BODY:
                    raise UpstreamError("GAMEMONITORING API answer is too large")
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UpstreamError(f"GAMEMONITORING API unreachable: {type(exc).__name__}") from exc
    try:
        return load_json_object(b"".join(chunks), what="GAMEMONITORING API answer")
    except BadPayload as exc:
        raise UpstreamError(exc.reason) from exc


def _id_text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    return None


def _created_at(value: object, fallback: dt.datetime) -> dt.datetime:
    if value is None:
        return fallback
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise UpstreamError("GAMEMONITORING vote has an invalid created_at") from exc
    try:
        return parse_iso8601(value, "response.created_at", assume_utc=True)
    except BadPayload as exc:
        raise UpstreamError(exc.reason) from exc


def parse_gamemonitoring_vote(
    server_id: int,
    expected_gm_server_id: str | None,
    response_json: Mapping[str, Any],
    delivery: Delivery,
    *,
    received_at: dt.datetime,
) -> Vote:
    """Build the :class:`Vote` from the API answer, in either known shape.

    ``{"response":{"nickname","server":{"id"},"user":{"id"}}}`` or
    ``{"response":{"id","nickname","entity_type","entity_id","created_at"}}``.
    An unexpected answer raises :class:`UpstreamError` (503, retried); a vote for another
    GAMEMONITORING server than ``expected_gm_server_id`` raises :class:`WrongServer` (403).
    ``external_id`` is ``"<event_type>:<event_id>"``; ``voted_at`` is ``created_at`` when present,
    else ``received_at`` (the intake's clock).
    """
    response = response_json.get("response")
    if not isinstance(response, dict):
        raise UpstreamError("GAMEMONITORING API answer has no 'response' object")
    server = response.get("server")
    if isinstance(server, dict):
        gm_server_id = _id_text(server.get("id"))
    else:
        entity_type = response.get("entity_type")
        if entity_type is not None and entity_type != "server":
            raise UpstreamError(f"GAMEMONITORING vote is for a {entity_type!r}, not a server")
        gm_server_id = _id_text(response.get("entity_id"))
    if gm_server_id is None:
        raise UpstreamError("GAMEMONITORING vote names no server")
    if expected_gm_server_id is not None and gm_server_id != str(expected_gm_server_id):
        raise WrongServer(f"GAMEMONITORING vote is for server {gm_server_id}, not the configured one")
    vote_id = _id_text(response.get("id"))
    if vote_id is not None and vote_id != delivery.event_id:
        raise UpstreamError("GAMEMONITORING API returned another vote than the one delivered")
    nickname = response.get("nickname")
    if not isinstance(nickname, str) or player_name_problem(nickname) is not None:
        raise UpstreamError("GAMEMONITORING vote has no usable nickname")
    user = response.get("user")
    return Vote(
        server_id=server_id,
        provider=PROVIDER,
        external_id=delivery.external_id,
        voted_at=_created_at(response.get("created_at"), received_at),
        player_name=nickname,
        raw={"delivery": delivery.payload, "response": response, "gm_user_id": _id_text(user.get("id"))}
        if isinstance(user, dict)
        else {"delivery": delivery.payload, "response": response},
    )
