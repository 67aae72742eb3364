"""Top-Server PUSH webhook: ``x-topserver-signature: sha256=<hex HMAC-SHA256(secret, raw body)>``."""

from __future__ import annotations

import hashlib
import hmac
import logging

from bot.votes.model import Vote

from .common import (
    BadPayload,
    NotAVote,
    SignatureError,
    WrongServer,
    check_body_size,
    hex_digest_matches,
    load_json_object,
    parse_iso8601,
    require_id,
    require_str,
    validate_player_name,
)

log = logging.getLogger(__name__)

PROVIDER = "topserver"
SIGNATURE_HEADER = "x-topserver-signature"
EVENT_HEADER = "x-topserver-event"
_SCHEME = "sha256="

__all__ = ["EVENT_HEADER", "SIGNATURE_HEADER", "parse_topserver", "sign_topserver", "verify_topserver"]


def _digest(secret: str, raw_body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()


def sign_topserver(secret: str, raw_body: bytes) -> str:
    """The ``x-topserver-signature`` value Top-Server would send for ``raw_body``."""
    return _SCHEME + _digest(secret, raw_body).hex()


def verify_topserver(secret: str, raw_body: bytes, signature_header: str | None) -> None:
    """Check the PUSH signature over the exact request bytes.

    Raises :class:`SignatureError` (401) when the header is missing, not ``sha256=<64 hex>`` or wrong,
    and :class:`PayloadTooLarge` (413) for an oversize body. The ``sha256=`` scheme is matched
    case-insensitively and the hex digest is compared as bytes (see ``hex_digest_matches``).
    """
    check_body_size(raw_body)
    if not secret:
        raise SignatureError("no push secret configured")
    if signature_header is None or not signature_header.strip():
        raise SignatureError("missing x-topserver-signature header")
    header = signature_header.strip()
    if header[: len(_SCHEME)].lower() != _SCHEME:
        raise SignatureError("x-topserver-signature must be 'sha256=<hex>'")
    if not hex_digest_matches(_digest(secret, raw_body), header[len(_SCHEME) :]):
        raise SignatureError("invalid x-topserver-signature")


def parse_topserver(server_id: int, raw_body: bytes, *, expected_topserver_id: str | None = None) -> Vote | NotAVote:
    """Turn a verified PUSH body into a :class:`Vote` (dedupe key ``voteId``).

    ``event`` other than ``"vote"`` yields :class:`NotAVote` (``"test"`` for ``event == "test"``).
    Missing or wrong-typed fields raise :class:`BadPayload` (400); a ``serverId`` different from
    ``expected_topserver_id`` (when given) raises :class:`WrongServer` (403).
    """
    body = load_json_object(raw_body)
    event = require_str(body, "event", "body", max_len=64)
    if event != "vote":
        log.info("Top-Server %s event for server %s not recorded", event, server_id)
        return NotAVote(PROVIDER, "test" if event == "test" else "ignored", f"event {event!r}")
    topserver_id = require_id(body, "serverId", "body")
    if expected_topserver_id is not None and topserver_id != expected_topserver_id:
        raise WrongServer(f"vote is for Top-Server server {topserver_id!r}, not the configured one")
    vote_id = require_id(body, "voteId", "body")
    player = validate_player_name(body.get("player"), "body.player")
    voted_at = parse_iso8601(body.get("votedAt"), "body.votedAt")
    try:
        return Vote(
            server_id=server_id,
            provider=PROVIDER,
            external_id=vote_id,
            voted_at=voted_at,
            player_name=player,
            raw=body,
        )
    except ValueError as exc:  # defensive: Vote's own invariants
        raise BadPayload(str(exc)) from exc
