"""The Votifier protocols, pure: v2 frames (token HMAC) and v1 blocks (RSA), keys, and a test-vote client.

One listener (:mod:`bot.votes.votifier.listener`) serves every game server of the bot. The server a vote
belongs to is found from the credential that authenticates it: v2 tries the HMAC against each candidate
token for the frame's ``serviceName`` (service-specific tokens first, then every server's default token);
v1 tries each server's RSA private key until one decrypts to a ``VOTE`` plaintext. Credentials come from a
:class:`VotifierKeys` (in memory: :class:`StaticVotifierKeys`; from the database:
:class:`bot.votes.votifier.keys.DatabaseVotifierKeys`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
import unicodedata
import uuid as uuid_mod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.votes.model import Vote, derived_key

log = logging.getLogger(__name__)

PROVIDER = "votifier"
V2_MAGIC = b"\x73\x3a"
MAX_FRAME = 1024
"""Largest v2 frame, header (magic + length) included."""
V1_BLOCK = 256
MAX_USERNAME = 16
DEFAULT_PORT = 8192
CHALLENGE_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
CLOCK_SKEW = dt.timedelta(days=1)
"""A vote timestamp further than this from our clock is replaced by the time we received it."""

__all__ = [
    "DEFAULT_PORT",
    "StaticVotifierKeys",
    "VotifierKeys",
    "VotifierRejected",
    "VotifierRsaKey",
    "VotifierToken",
    "VotifierVote",
    "build_v2_frame",
    "encrypt_v1_vote",
    "generate_keypair",
    "load_private_key",
    "load_public_key",
    "new_challenge",
    "parse_v1_plaintext",
    "public_key_b64",
    "send_test_vote",
    "sign_v2_payload",
]


# --------------------------------------------------------------------------- keys


def generate_keypair(bits: int = 2048) -> tuple[str, str]:
    """New RSA key pair as ``(private PKCS#8 DER base64, public SubjectPublicKeyInfo DER base64)``.

    No PEM headers: this is the ``private.key`` / ``public.key`` format listing sites expect.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(private_der).decode("ascii"), public_key_b64(key)


def public_key_b64(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _der_from_text(text: str) -> bytes:
    body = "".join(line for line in text.strip().splitlines() if not line.startswith("-----"))
    return base64.b64decode("".join(body.split()), validate=True)


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """Load a base64 DER private key (PKCS#8 or PKCS#1; PEM armour and line breaks tolerated).

    Raises ``ValueError`` (without key material in the message) when it is not an RSA private key.
    """
    try:
        der = _der_from_text(text)
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, binascii.Error):
        raise ValueError("not a base64 DER RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Load a base64 DER SubjectPublicKeyInfo (``public.key``); PEM armour tolerated."""
    try:
        key = serialization.load_der_public_key(_der_from_text(text))
    except (ValueError, TypeError, binascii.Error):
        raise ValueError("not a base64 DER RSA public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


@dataclass(frozen=True, slots=True)
class VotifierToken:
    server_id: int
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class VotifierRsaKey:
    server_id: int
    private_key: rsa.RSAPrivateKey = field(repr=False)


class VotifierKeys(Protocol):
    """Where the listener finds credentials. Async so a DB-backed (cached) implementation fits."""

    async def tokens_for(self, service_name: str) -> Sequence[VotifierToken]:
        """Candidate v2 tokens for a service: service-specific ones first, then default tokens."""
        ...

    async def rsa_keys(self) -> Sequence[VotifierRsaKey]:
        """Every v1 private key (one per game server that uses v1)."""
        ...


class StaticVotifierKeys:
    """In-memory :class:`VotifierKeys`, e.g. from the config file or for tests."""

    def __init__(self) -> None:
        self._service_tokens: dict[str, list[VotifierToken]] = {}
        self._default_tokens: list[VotifierToken] = []
        self._rsa: list[VotifierRsaKey] = []

    def add_server(
        self,
        server_id: int,
        *,
        default_token: str | None = None,
        service_tokens: Mapping[str, str] | None = None,
        private_key: rsa.RSAPrivateKey | str | None = None,
    ) -> None:
        if default_token:
            self._default_tokens.append(VotifierToken(server_id, default_token))
        for service, token in (service_tokens or {}).items():
            self._service_tokens.setdefault(service.lower(), []).append(VotifierToken(server_id, token))
        if private_key is not None:
            key = load_private_key(private_key) if isinstance(private_key, str) else private_key
            self._rsa.append(VotifierRsaKey(server_id, key))

    async def tokens_for(self, service_name: str) -> Sequence[VotifierToken]:
        return [*self._service_tokens.get(service_name.lower(), ()), *self._default_tokens]

    async def rsa_keys(self) -> Sequence[VotifierRsaKey]:
        return list(self._rsa)


# --------------------------------------------------------------------------- votes and validation


class VotifierRejected(Exception):
    """A vote refused with a NuVotifier-style ``cause`` (``frame``, ``json``, ``payload``, ``signature``,
    ``challenge``, ``storage``) and a message safe to send back to the list."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message


@dataclass(frozen=True, slots=True)
class VotifierVote:
    protocol: Literal[1, 2]
    service_name: str
    username: str
    address: str
    timestamp: str
    uuid: str | None = None

    def voted_at(self, received_at: dt.datetime) -> dt.datetime:
        """The list's timestamp (ms, or s when small) unless missing or absurd, else ``received_at``."""
        if not (self.timestamp.isascii() and self.timestamp.isdigit()) or len(self.timestamp) > 16:
            return received_at
        value = int(self.timestamp)
        seconds = value / 1000 if value >= 10**11 else value
        try:
            stamp = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return received_at
        return stamp if abs(stamp - received_at) <= CLOCK_SKEW else received_at

    def to_vote(self, server_id: int, received_at: dt.datetime) -> Vote:
        """``external_id = derived_key("votifier", server_id, service, username, timestamp)``.

        The voter's IP address is deliberately left out of ``raw`` (personal data we do not need).
        """
        return Vote(
            server_id=server_id,
            provider=PROVIDER,
            external_id=derived_key(PROVIDER, server_id, self.service_name, self.username, self.timestamp),
            voted_at=self.voted_at(received_at),
            player_name=self.username,
            raw={"protocol": self.protocol, "service": self.service_name, "timestamp": self.timestamp}
            | ({"uuid": self.uuid} if self.uuid else {}),
        )


_USERNAME = re.compile(r"[A-Za-z0-9_.*\-](?:[A-Za-z0-9_.*\- ]*[A-Za-z0-9_.*\-])?", re.ASCII)


def _printable(value: str) -> bool:
    return all(unicodedata.category(char)[0] != "C" for char in value)


def _check_text(value: object, name: str, *, min_len: int, max_len: int) -> str:
    if not isinstance(value, str) or not min_len <= len(value) <= max_len or not _printable(value):
        raise VotifierRejected("payload", f"{name} must be {min_len}..{max_len} printable characters")
    return value


def _check_username(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_USERNAME or not _USERNAME.fullmatch(value):
        raise VotifierRejected("payload", f"username must be 1..{MAX_USERNAME} characters of [A-Za-z0-9_.*- ]")
    return value


def _check_timestamp(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**16:
        return str(value)
    if isinstance(value, str) and 1 <= len(value) <= 16 and value.isascii() and value.isdigit():
        return str(int(value))
    raise VotifierRejected("payload", "timestamp must be a non-negative integer (ms), as a number or a string")


def _check_uuid(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 36:
        with contextlib.suppress(ValueError):
            return str(uuid_mod.UUID(value))
    raise VotifierRejected("payload", "uuid must be a UUID")


def validate_v2_payload(payload: Mapping[str, Any], challenge: str) -> VotifierVote:
    """Check the fields of an authenticated v2 payload against the greeting's challenge."""
    sent = payload.get("challenge")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode("utf-8", "replace"), challenge.encode()):
        raise VotifierRejected("challenge", "challenge is not valid")
    return VotifierVote(
        protocol=2,
        service_name=_check_text(payload.get("serviceName"), "serviceName", min_len=1, max_len=64),
        username=_check_username(payload.get("username")),
        address=_check_text(payload.get("address", ""), "address", min_len=0, max_len=255),
        timestamp=_check_timestamp(payload.get("timestamp")),
        uuid=_check_uuid(payload.get("uuid")),
    )


def parse_v1_plaintext(plaintext: bytes) -> VotifierVote | None:
    """``VOTE\\n<service>\\n<username>\\n<address>\\n<timestamp>[\\n]`` → vote.

    Returns ``None`` when this is not a vote plaintext (e.g. decrypted with another server's key) and
    raises :class:`VotifierRejected` when it is one but its fields are invalid.
    """
    if not plaintext.startswith(b"VOTE\n"):
        return None
    try:
        fields = plaintext.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise VotifierRejected("payload", "v1 vote is not UTF-8") from None
    if fields[-1] == "":
        fields.pop()
    if len(fields) != 5:
        raise VotifierRejected("payload", "v1 vote must have service, username, address and timestamp")
    _, service, username, address, timestamp = fields
    stamp = _check_text(timestamp.strip(), "timestamp", min_len=1, max_len=64)
    return VotifierVote(
        protocol=1,
        service_name=_check_text(service, "serviceName", min_len=1, max_len=64),
        username=_check_username(username),
        address=_check_text(address, "address", min_len=0, max_len=255),
        timestamp=str(int(stamp)) if stamp.isascii() and stamp.isdigit() and len(stamp) <= 16 else stamp,
    )


def decrypt_v1(block: bytes, keys: Sequence[VotifierRsaKey]) -> tuple[int, VotifierVote] | None:
    """Try every key on a 256-byte v1 block (CPU bound: call it in a thread).

    OpenSSL's implicit rejection returns random bytes for a wrong key, so the ``VOTE\\n`` prefix is
    what tells the right key apart.
    """
    for key in keys:
        if key.private_key.key_size // 8 != len(block):
            continue
        try:
            plaintext = key.private_key.decrypt(block, padding.PKCS1v15())
        except ValueError:
            continue
        vote = parse_v1_plaintext(plaintext)
        if vote is not None:
            return key.server_id, vote
    return None


def _hmac(token: str, payload: bytes) -> bytes:
    return hmac.new(token.encode("utf-8"), payload, hashlib.sha256).digest()


def v2_signature_ok(token: str, payload_text: str, signature: bytes) -> bool:
    """Whether ``signature`` is the HMAC of the payload with ``token`` (constant time)."""
    return hmac.compare_digest(_hmac(token, payload_text.encode("utf-8")), signature)


def sign_v2_payload(token: str, payload_text: str) -> str:
    """base64 HMAC-SHA256(token, payload text), the v2 ``signature``."""
    return base64.b64encode(_hmac(token, payload_text.encode("utf-8"))).decode("ascii")


def split_v2_message(data: bytes) -> tuple[str, bytes, dict[str, Any]]:
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise VotifierRejected("json", "frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise VotifierRejected("json", "frame must be a JSON object")
    payload_text, signature = message.get("payload"), message.get("signature")
    if not isinstance(payload_text, str) or not isinstance(signature, str):
        raise VotifierRejected("json", "frame needs string 'payload' and 'signature'")
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
        payload = json.loads(payload_text)
        payload_text.encode("utf-8")
    except binascii.Error:
        raise VotifierRejected("signature", "signature is not base64") from None
    except (UnicodeEncodeError, ValueError, RecursionError):
        raise VotifierRejected("json", "payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise VotifierRejected("json", "payload must be a JSON object")
    return payload_text, signature_bytes, payload


def new_challenge() -> str:
    """Random challenge like NuVotifier's ``BigInteger(130, random).toString(32)``: ≤ 26 chars of [0-9a-v]."""
    number, digits = secrets.randbits(130), []
    while number:
        number, digit = divmod(number, 32)
        digits.append(CHALLENGE_ALPHABET[digit])
    return "".join(reversed(digits)) or "0"


# --------------------------------------------------------------------------- client side helpers


def build_v2_frame(
    token: str,
    *,
    service_name: str,
    username: str,
    address: str,
    timestamp_ms: int | str,
    challenge: str,
    uuid: str | None = None,
) -> bytes:
    """A complete v2 frame ``0x733A | uint16 BE length | JSON`` as a list would send it."""
    payload: dict[str, Any] = {
        "serviceName": service_name,
        "username": username,
        "address": address,
        "timestamp": timestamp_ms,
        "challenge": challenge,
    }
    if uuid is not None:
        payload["uuid"] = uuid
    payload_text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    message = json.dumps(
        {"payload": payload_text, "signature": sign_v2_payload(token, payload_text)},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    if len(message) + 4 > MAX_FRAME:
        raise ValueError("vote does not fit in a v2 frame")
    return V2_MAGIC + len(message).to_bytes(2, "big") + message


def encrypt_v1_vote(
    public_key: rsa.RSAPublicKey | str, *, service_name: str, username: str, address: str, timestamp: int | str
) -> bytes:
    """The 256-byte v1 block: RSA PKCS#1 v1.5 of ``VOTE\\n<service>\\n<user>\\n<address>\\n<timestamp>\\n``."""
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    plaintext = f"VOTE\n{service_name}\n{username}\n{address}\n{timestamp}\n".encode()
    return key.encrypt(plaintext, padding.PKCS1v15())


async def send_test_vote(
    host: str,
    port: int,
    *,
    username: str,
    service_name: str = "votebot-test",
    address: str = "127.0.0.1",
    token: str | None = None,
    public_key: rsa.RSAPublicKey | str | None = None,
    timeout: float = 5.0,  # noqa: ASYNC109 - one deadline for the whole exchange
) -> dict[str, Any] | None:
    """Send one vote (v2 with ``token``, else v1 with ``public_key``) and return the v2 reply (v1: ``None``)."""
    if (token is None) == (public_key is None):
        raise ValueError("give exactly one of token (v2) or public_key (v1)")
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            greeting = (await reader.readline()).decode("ascii", "replace").split()
            now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
            if public_key is not None:
                writer.write(
                    encrypt_v1_vote(
                        public_key,
                        service_name=service_name,
                        username=username,
                        address=address,
                        timestamp=now_ms // 1000,
                    )
                )
                await writer.drain()
                return None
            if len(greeting) != 3 or greeting[:2] != ["VOTIFIER", "2"]:
                raise ValueError(f"server does not speak Votifier v2: {' '.join(greeting)[:64]!r}")
            assert token is not None  # noqa: S101 - narrowed by the check above
            frame = build_v2_frame(
                token,
                service_name=service_name,
                username=username,
                address=address,
                timestamp_ms=now_ms,
                challenge=greeting[2],
            )
            writer.write(frame)
            await writer.drain()
            reply = json.loads(await reader.readline())
            if not isinstance(reply, dict):
                raise ValueError("unexpected reply from the Votifier server")
            return reply
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
