"""Top.gg webhooks: v1 (``x-topgg-signature: t=<unix>,v1=<hex>``), legacy v0 (``Authorization``), integrations."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec

from bot.votes.model import Vote, derived_key

from .common import (
    MAX_ID_LENGTH,
    BadPayload,
    NotAVote,
    SignatureError,
    WrongServer,
    check_body_size,
    get_header,
    hex_digest_matches,
    load_json_object,
    parse_iso8601,
    parse_snowflake,
    player_name_problem,
    require_dict,
    require_id,
    require_str,
)

log = logging.getLogger(__name__)

PROVIDER = "topgg"
SIGNATURE_HEADER = "x-topgg-signature"
TRACE_HEADER = "x-topgg-trace"
DEFAULT_WINDOW = 300
MAX_WEIGHT = 100
V0_WINDOW = dt.timedelta(hours=12)

TopggEvent = Vote | NotAVote
"""What :func:`parse_topgg_v1` and :func:`parse_topgg_v0` return."""

__all__ = [
    "DEFAULT_WINDOW",
    "SIGNATURE_HEADER",
    "TRACE_HEADER",
    "IntegrationCreate",
    "IntegrationDelete",
    "TopggEvent",
    "detect_topgg_version",
    "integration_response",
    "parse_integration_event",
    "parse_topgg_signature_header",
    "parse_topgg_v0",
    "parse_topgg_v1",
    "sign_topgg_v1",
    "v0_window_start",
    "verify_topgg_v0",
    "verify_topgg_v1",
]


# --------------------------------------------------------------------------- v1 signature


def _v1_digest(secret: str, raw_body: bytes, t: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), t.encode("ascii") + b"." + raw_body, hashlib.sha256).digest()


def sign_topgg_v1(secret: str, raw_body: bytes, t: int) -> str:
    """The ``x-topgg-signature`` header Top.gg would send for ``raw_body`` at unix time ``t``."""
    return f"t={t},v1={_v1_digest(secret, raw_body, str(t)).hex()}"


_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)


def parse_topgg_signature_header(header: str) -> tuple[str, list[str]]:
    """Split ``t=<unix>,v1=<hex>`` tolerantly → ``(t digits, [v1 values])``.

    Parts are split on ``,``, then on the first ``=``, keys and values trimmed, keys lower-cased;
    unknown keys are ignored and several ``v1`` entries are allowed (secret rotation).
    Raises :class:`SignatureError` when ``t`` or ``v1`` is missing or ``t`` is not a plain integer.
    """
    t: str | None = None
    v1: list[str] = []
    for part in header.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "t":
            t = value
        elif key == "v1":
            v1.append(value)
    if t is None or not v1:
        raise SignatureError("malformed x-topgg-signature header (need t=<unix>,v1=<hex>)")
    if not _DIGITS.fullmatch(t):
        raise SignatureError("malformed x-topgg-signature timestamp")
    return t, v1


def verify_topgg_v1(secret: str, raw_body: bytes, header: str | None, now: float, window: int = DEFAULT_WINDOW) -> None:
    """Verify a v1 webhook: ``v1 == hex(HMAC-SHA256(secret, b"<t>." + raw_body))`` and ``|now - t| <= window``.

    Raises :class:`SignatureError` (401) for a missing/malformed header, a timestamp outside the
    window (stale *or* in the future — replay protection) or a wrong digest; 413 when oversize.
    """
    check_body_size(raw_body)
    if not secret:
        raise SignatureError("no Top.gg webhook secret configured")
    if header is None or not header.strip():
        raise SignatureError("missing x-topgg-signature header")
    t, candidates = parse_topgg_signature_header(header)
    if abs(now - int(t)) > window:
        raise SignatureError(f"x-topgg-signature timestamp is outside the {window}s window")
    expected = _v1_digest(secret, raw_body, t)
    # Evaluate every candidate so timing does not depend on which one matched.
    matches = [hex_digest_matches(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise SignatureError("invalid x-topgg-signature")


# --------------------------------------------------------------------------- v1 payloads
# The v1 body, declared: msgspec decodes and checks it in one pass (types, lengths, bounds), instead of
# ``json.loads`` and a check per field. Unknown fields are ignored, as Top.gg adds fields over time. Times stay
# text here and go through :func:`parse_iso8601`, which truncates Top.gg's 7 fractional digits exactly as the
# backfill's parser does (rounding could move a vote to the next second, and so change its ledger key).

VoteId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Snowflake = str | int


class _V1User(msgspec.Struct):
    platform_id: Snowflake
    name: Any = None  # decoration only: an unusable name is dropped, not the vote


class _V1Project(msgspec.Struct):
    id: Snowflake | None = None
    platform_id: Snowflake | None = None


class _V1Vote(msgspec.Struct):
    id: VoteId
    created_at: Annotated[str, msgspec.Meta(max_length=40)]
    user: _V1User
    project: _V1Project
    weight: Annotated[int, msgspec.Meta(ge=1, le=MAX_WEIGHT)] = 1
    expires_at: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class _V1Event(msgspec.Struct):
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    data: msgspec.Raw = msgspec.Raw(b"null")


_EVENT = msgspec.json.Decoder(_V1Event)
_VOTE = msgspec.json.Decoder(_V1Vote)


def _decode(decoder: msgspec.json.Decoder[Any], raw: bytes, where: str) -> Any:
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:  # "Expected `int`, got `bool` - at `$.weight`": names the field
        raise BadPayload(f"{where}: {exc}".replace("$", where)) from None
    except msgspec.DecodeError as exc:
        raise BadPayload(f"{where} is not valid JSON: {exc}") from None


def _display_name(name: Any) -> str | None:
    """Top.gg user names are decoration (the Discord id identifies the voter): drop unusable ones."""
    if name is None:
        return None
    if not isinstance(name, str) or player_name_problem(name) is not None:
        log.debug("Top.gg vote carries an unusable user name; storing none")
        return None
    return name


def _check_project(project: _V1Project, expected_project_id: str | None) -> None:
    if expected_project_id is None:
        return
    if expected_project_id not in {str(project.id), str(project.platform_id)}:
        raise WrongServer("vote is for another Top.gg project")


VoteKey = Callable[[int, int, dt.datetime], str]
"""``(server_id, voter's Discord id, created_at) -> ledger key``, for callers that key votes their own way."""


def parse_topgg_v1(
    server_id: int, raw_body: bytes, *, expected_project_id: str | None = None, key: VoteKey | None = None
) -> TopggEvent:
    """Parse a verified v1 event.

    ``vote.create`` → :class:`Vote` (``external_id = data.id``, ``discord_user_id = user.platform_id``,
    ``player_name = user.name``, ``weight``, ``voted_at = created_at``, ``expires_at``);
    ``webhook.test`` → ``NotAVote(kind="test")``; any other type → ``NotAVote(kind="ignored")``.
    Raises :class:`BadPayload` (400) for a malformed vote and :class:`WrongServer` (403) when
    ``expected_project_id`` (Top.gg project id or its Discord id) does not match. With ``key`` the vote's
    ``external_id`` is ``key(server_id, voter id, created_at)`` and Top.gg's id is kept in
    ``raw["topgg_vote_id"]``.
    """
    check_body_size(raw_body)
    event = _decode(_EVENT, raw_body, "body")
    if event.type == "webhook.test":
        return NotAVote(PROVIDER, "test", "webhook.test")
    if event.type != "vote.create":
        log.info("Top.gg %s event for server %s ignored", event.type, server_id)
        return NotAVote(PROVIDER, "ignored", f"event type {event.type!r}")
    data: _V1Vote = _decode(_VOTE, event.data, "data")
    _check_project(data.project, expected_project_id)
    voted_at = parse_iso8601(data.created_at, "data.created_at")
    voter = parse_snowflake(data.user.platform_id, "data.user.platform_id")
    vote_id = data.id
    raw: dict[str, Any] = {"topgg_vote_id": vote_id}
    if key is not None:
        vote_id = key(server_id, voter, voted_at)
    try:
        return Vote(
            server_id=server_id,
            provider=PROVIDER,
            external_id=vote_id,
            voted_at=voted_at,
            player_name=_display_name(data.user.name),
            discord_user_id=voter,
            weight=data.weight,
            expires_at=None if data.expires_at is None else parse_iso8601(data.expires_at, "data.expires_at"),
            raw=raw,
        )
    except ValueError as exc:
        raise BadPayload(str(exc)) from exc


# --------------------------------------------------------------------------- legacy v0


def verify_topgg_v0(secret: str, authorization_header: str | None) -> None:
    """Legacy v0: the ``Authorization`` header must equal the shared secret (constant time) → else 401."""
    if not secret:
        raise SignatureError("no Top.gg v0 secret configured")
    if authorization_header is None or not authorization_header:
        raise SignatureError("missing Authorization header")
    if not hmac.compare_digest(secret.encode("utf-8"), authorization_header.encode("utf-8", "surrogateescape")):
        raise SignatureError("invalid Authorization header")


def v0_window_start(received_at: dt.datetime) -> dt.datetime:
    """Start of the fixed 12-hour UTC bucket holding ``received_at`` (00:00 or 12:00 UTC)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    utc = received_at.astimezone(dt.UTC)
    return utc.replace(hour=0 if utc.hour < 12 else 12, minute=0, second=0, microsecond=0)


def parse_topgg_v0(server_id: int, raw_body: bytes, received_at: dt.datetime) -> TopggEvent:
    """Parse a verified v0 body (bot ``{"bot",...}`` or server ``{"guild",...}`` vote).

    v0 sends no vote id, so ``external_id = derived_key("topgg-v0", project, user, window start)``
    with fixed 12-hour UTC buckets — Top.gg allows one vote per 12 h, so two votes can never share
    a bucket, while retries of the same vote (minutes apart) almost always do. ``voted_at`` is
    ``received_at``; ``expires_at`` is ``received_at + 12 h``; ``isWeekend`` → weight 2.
    ``type == "test"`` → ``NotAVote(kind="test")``; unknown types → ``NotAVote(kind="ignored")``.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    body = load_json_object(raw_body)
    vote_type = require_str(body, "type", "body", max_len=32)
    if vote_type == "test":
        return NotAVote(PROVIDER, "test", "v0 test")
    if vote_type != "upvote":
        return NotAVote(PROVIDER, "ignored", f"v0 type {vote_type!r}")
    key = "bot" if "bot" in body else "guild"
    project = str(parse_snowflake(body.get(key), f"body.{key}"))
    user_id = parse_snowflake(body.get("user"), "body.user")
    is_weekend = body.get("isWeekend", False)
    if not isinstance(is_weekend, bool):
        raise BadPayload("body.isWeekend must be a boolean")
    query = body.get("query")
    if query is not None and not isinstance(query, str | dict):
        raise BadPayload("body.query must be a string or an object")
    window = v0_window_start(received_at)
    return Vote(
        server_id=server_id,
        provider=PROVIDER,
        external_id=derived_key("topgg-v0", project, user_id, window.isoformat()),
        voted_at=received_at,
        discord_user_id=user_id,
        weight=2 if is_weekend else 1,
        expires_at=received_at + V0_WINDOW,
        raw=body,
    )


def detect_topgg_version(headers: Mapping[str, str]) -> Literal["v1", "v0"]:
    """``x-topgg-signature`` present → ``"v1"``; else ``Authorization`` → ``"v0"``; else 401."""
    if get_header(headers, SIGNATURE_HEADER) is not None:
        return "v1"
    if get_header(headers, "Authorization") is not None:
        return "v0"
    raise SignatureError("missing signature")


# --------------------------------------------------------------------------- integrations

_WEBHOOK_SECRET = re.compile(r"whs_[A-Za-z0-9_\-]{8,200}", re.ASCII)


@dataclass(frozen=True, slots=True)
class IntegrationCreate:
    connection_id: str
    webhook_secret: str = field(repr=False)
    project_id: str
    user_id: str
    project_platform_id: str | None = None
    user_platform_id: int | None = None


@dataclass(frozen=True, slots=True)
class IntegrationDelete:
    connection_id: str


def parse_integration_event(raw_body: bytes) -> IntegrationCreate | IntegrationDelete:
    """Parse ``integration.create`` / ``integration.delete``; anything else raises :class:`BadPayload`."""
    body = load_json_object(raw_body)
    event_type = require_str(body, "type", "body", max_len=64)
    data = require_dict(body, "data", "body")
    connection_id = require_id(data, "connection_id", "data")
    if event_type == "integration.delete":
        return IntegrationDelete(connection_id)
    if event_type != "integration.create":
        raise BadPayload(f"unsupported integration event type {event_type!r}")
    secret = data.get("webhook_secret")
    if not isinstance(secret, str) or not _WEBHOOK_SECRET.fullmatch(secret):
        raise BadPayload("data.webhook_secret must look like 'whs_…'")
    project = require_dict(data, "project", "data")
    user = require_dict(data, "user", "data")
    project_platform = project.get("platform_id")
    user_platform = user.get("platform_id")
    return IntegrationCreate(
        connection_id=connection_id,
        webhook_secret=secret,
        project_id=require_id(project, "id", "data.project", allow_int=True),
        user_id=require_id(user, "id", "data.user", allow_int=True),
        project_platform_id=None if project_platform is None else str(parse_snowflake(project_platform, "project")),
        user_platform_id=None if user_platform is None else parse_snowflake(user_platform, "data.user.platform_id"),
    )


def integration_response(webhook_url: str, routes: tuple[str, ...] = ("vote.create",)) -> dict[str, Any]:
    """Body to answer ``integration.create`` with."""
    return {"webhook_url": webhook_url, "routes": list(routes)}
