"""Shared helpers for vote-provider protocols: errors, outcomes, JSON and timestamp parsing, digests.

Nothing here touches the network, the database or Discord. The web layer maps a raised
:class:`ProviderError` to ``error.status`` and a returned :class:`NotAVote` to ``outcome.status``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.votes import parsing

MAX_BODY = 64 * 1024
"""Largest request body any provider may send (bytes). Bigger bodies are refused before hashing."""

MAX_ID_LENGTH = 128
MAX_PLAYER_NAME = 64

__all__ = [
    "MAX_BODY",
    "MAX_PLAYER_NAME",
    "BadPayload",
    "NotAVote",
    "PayloadTooLarge",
    "ProviderError",
    "SignatureError",
    "UpstreamError",
    "WrongServer",
    "check_body_size",
    "get_header",
    "hex_digest_matches",
    "load_json_object",
    "parse_iso8601",
    "parse_snowflake",
    "require_dict",
    "require_id",
    "require_str",
    "validate_player_name",
]


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """A delivery that must not be recorded. ``status`` is the HTTP status to answer."""

    status: int = 400

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, reason={self.reason!r})"


class SignatureError(ProviderError):
    """Missing, malformed, stale or wrong signature / shared secret → 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(401, reason)


class BadPayload(ProviderError):
    """Authenticated but malformed or invalid body → 400 (senders do not retry 4xx)."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


class PayloadTooLarge(BadPayload):
    """Body over :data:`MAX_BODY` → 413."""

    def __init__(self, size: int) -> None:
        super().__init__(f"body of {size} bytes exceeds the {MAX_BODY} byte limit")
        self.status = 413


class WrongServer(ProviderError):
    """The vote belongs to another server than the one this endpoint is configured for → 403."""

    def __init__(self, reason: str) -> None:
        super().__init__(403, reason)


class UpstreamError(ProviderError):
    """A provider API we depend on failed or answered nonsense → 503 so the sender retries."""

    def __init__(self, reason: str) -> None:
        super().__init__(503, reason)


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class NotAVote:
    """An authenticated, well-formed delivery that carries nothing to record.

    ``kind`` is ``"test"`` for a provider's test ping and ``"ignored"`` for event types we do not
    handle. Answer ``status`` (2xx) and record nothing.
    """

    provider: str
    kind: Literal["test", "ignored"]
    detail: str
    status: int = 204


# --------------------------------------------------------------------------- bodies and headers


def check_body_size(raw_body: bytes) -> None:
    if len(raw_body) > MAX_BODY:
        raise PayloadTooLarge(len(raw_body))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # built once: json.loads with options builds one per call


def load_json_object(raw_body: bytes, *, what: str = "body") -> dict[str, Any]:
    """Decode a UTF-8 JSON object; anything else raises :class:`BadPayload` (or 413 when oversize)."""
    check_body_size(raw_body)
    try:
        text = raw_body.decode("utf-8")
        value = _DECODER.decode(text)
    except UnicodeDecodeError as exc:
        raise BadPayload(f"{what} is not valid UTF-8") from exc
    except RecursionError as exc:
        raise BadPayload(f"{what} is nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise BadPayload(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadPayload(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts and aiohttp's CIMultiDict."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


# --------------------------------------------------------------------------- digests

_HEX = re.compile(r"[0-9a-fA-F]+")


def hex_digest_matches(expected: bytes, received_hex: str | None) -> bool:
    """Constant-time check that ``received_hex`` encodes ``expected``.

    Hex is decoded case-insensitively (an upper-case rendering of the right digest encodes the same
    bytes, so refusing it would buy no security), but only exact ``[0-9a-fA-F]`` of the right length
    is accepted: no whitespace, prefixes, separators or non-ASCII digits. Comparison happens on bytes,
    so non-ASCII input can never make :func:`hmac.compare_digest` raise.
    """
    if received_hex is None or len(received_hex) != 2 * len(expected) or not _HEX.fullmatch(received_hex):
        return False
    return hmac.compare_digest(expected, bytes.fromhex(received_hex))


# --------------------------------------------------------------------------- field validation


def require_dict(obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise BadPayload(f"{where}.{key} must be an object")
    return value


def require_str(obj: Mapping[str, Any], key: str, where: str, *, max_len: int = 256) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}"
        raise BadPayload(f"{where}.{key} must be a string, got {kind}")
    if not value or len(value) > max_len:
        raise BadPayload(f"{where}.{key} must be 1..{max_len} characters")
    return value


_ID = re.compile(r"[A-Za-z0-9_.:\-]+")


def require_id(obj: Mapping[str, Any], key: str, where: str, *, allow_int: bool = False) -> str:
    """A provider id: string (or int when ``allow_int``) of ``[A-Za-z0-9_.:-]``, at most 128 chars."""
    value = obj.get(key)
    if allow_int and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH or not _ID.fullmatch(value):
        raise BadPayload(f"{where}.{key} must be an id of 1..{MAX_ID_LENGTH} characters [A-Za-z0-9_.:-]")
    return value


def parse_snowflake(value: object, where: str) -> int:
    """:func:`bot.votes.parsing.parse_snowflake`, refused with a 400."""
    try:
        return parsing.parse_snowflake(value, where)
    except parsing.InvalidValue as exc:
        raise BadPayload(str(exc)) from None


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def player_name_problem(name: str, *, max_len: int = MAX_PLAYER_NAME) -> str | None:
    """Why ``name`` is unusable as a player name, or ``None`` when it is fine."""
    if not name.strip():
        return "is empty"
    if len(name) > max_len:
        return f"is longer than {max_len} characters"
    if name.isprintable():  # no Cc/Cs/Cf (bidi controls are Cf) characters: the usual case, in C
        return None
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            return "contains control characters"
    return None


def validate_player_name(value: object, where: str, *, max_len: int = MAX_PLAYER_NAME) -> str:
    if not isinstance(value, str):
        raise BadPayload(f"{where} must be a string")
    problem = player_name_problem(value, max_len=max_len)
    if problem is not None:
        raise BadPayload(f"{where} {problem}")
    return value


# --------------------------------------------------------------------------- time


def parse_iso8601(value: object, where: str, *, assume_utc: bool = False) -> dt.datetime:
    """:func:`bot.votes.parsing.parse_iso8601`, refused with a 400."""
    try:
        return parsing.parse_iso8601(value, where, assume_utc=assume_utc)
    except parsing.InvalidValue as exc:
        raise BadPayload(str(exc)) from None
