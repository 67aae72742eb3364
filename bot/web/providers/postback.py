"""Postback signatures of the "hash of name + secret" family used by several smaller vote lists.

These are plain (unkeyed) hashes, not HMACs: weaker than the big providers' schemes, and the
``md5(name+secret)`` variant has no timestamp, hence no replay protection — rely on the ledger's
dedupe key for it. Pass ``now``/``max_age`` to bound the age of timestamped variants.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from .common import SignatureError, hex_digest_matches

__all__ = ["PostbackScheme", "postback_signature", "verify_postback"]


class PostbackScheme(StrEnum):
    """Formula names as written in ``vectors.json``."""

    MD5_NAME_SECRET = "md5(name+secret)"  # noqa: S105 - a formula name
    SHA1_NAME_TIME_SECRET = "sha1(name+timestamp+secret)"  # noqa: S105
    SHA256_DOTTED = "sha256(project.secret.timestamp.name)"


def _digest(scheme: PostbackScheme, *, secret: str, name: str, timestamp: str | None, project: str | None) -> bytes:
    if scheme is PostbackScheme.MD5_NAME_SECRET:
        return hashlib.md5((name + secret).encode("utf-8"), usedforsecurity=False).digest()
    if timestamp is None:
        raise ValueError(f"{scheme.value} needs a timestamp")
    if scheme is PostbackScheme.SHA1_NAME_TIME_SECRET:
        return hashlib.sha1((name + timestamp + secret).encode("utf-8"), usedforsecurity=False).digest()
    if project is None:
        raise ValueError(f"{scheme.value} needs a project")
    return hashlib.sha256(f"{project}.{secret}.{timestamp}.{name}".encode()).digest()


def postback_signature(
    scheme: PostbackScheme, *, secret: str, name: str, timestamp: str | None = None, project: str | None = None
) -> str:
    """Lower-case hex digest the list would send."""
    return _digest(scheme, secret=secret, name=name, timestamp=timestamp, project=project).hex()


def verify_postback(
    scheme: PostbackScheme,
    received_hex: str | None,
    *,
    secret: str,
    name: str,
    timestamp: str | None = None,
    project: str | None = None,
    now: float | None = None,
    max_age: int | None = None,
) -> None:
    """Raise :class:`SignatureError` (401) unless ``received_hex`` matches (constant time).

    With ``now`` and ``max_age`` the (unix seconds) ``timestamp`` must be within ``max_age`` of ``now``.
    """
    if not secret:
        raise SignatureError("no postback secret configured")
    if received_hex is None:
        raise SignatureError("missing signature")
    try:
        expected = _digest(scheme, secret=secret, name=name, timestamp=timestamp, project=project)
    except ValueError as exc:
        raise SignatureError(str(exc)) from exc
    if not hex_digest_matches(expected, received_hex.strip()):
        raise SignatureError("invalid signature")
    if now is not None and max_age is not None:
        if timestamp is None or not timestamp.isascii() or not timestamp.isdigit():
            raise SignatureError("timestamp must be unix seconds")
        if abs(now - int(timestamp)) > max_age:
            raise SignatureError(f"timestamp is outside the {max_age}s window")
