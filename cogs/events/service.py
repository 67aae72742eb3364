"""Events pushed by a listing site: validate, deduplicate by (server, event id), store — no Discord work here.

Contract for the route ``POST /events/{server_id}`` (signature checked by the route, like Top-Server PUSH:
``x-votebot-signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the server's event secret). The body is
JSON ``{"type": ..., "id": ..., "data": {...}}``; the route calls::

    result = await handle_pushed_event(bot_or_deps, server_id, body["type"], body["id"], body["data"])

``bot_or_deps`` is anything with a ``pool`` (asyncpg pool); when it also has ``dispatch`` (the bot), the bot is
woken with ``dispatch("community_event", server_id, event_id)`` so alerts go out at once. Otherwise (a separate
``votebot webhooks`` process) the bot's delivery job finds the stored event within ~30 s.

* Returns :class:`EventResult`: ``duplicate=False`` → answer 202 (stored, delivery pending or done);
  ``duplicate=True`` → answer 200 (the id was seen before; nothing changed).
* Raises :class:`EventError` (a ``UserError``) with ``.status``: 400 bad type/id/data (message says which
  field), 404 unknown server, 413 data over ``MAX_DATA_BYTES``. Nothing is stored then.
* Only commit-then-answer: the event row and its effect are written in one transaction.

Types and their ``data`` (unknown keys are refused):

``review.create``  ``{"author": str 1-100, "rating": int 1-5, "text"?: str ≤4000, "review_id"?: str}``
                   → stored review (keyed by ``review_id`` or the event id) and an alert in the reviews channel.
``rank.update``    ``{"rank": int ≥1, "previous_rank"?: int ≥1, "category"?: str ≤100}`` → a ``rank_updates``
                   row (announcing belongs to the milestones feature: :func:`pending_rank_updates`).
``giveaway.winner`` ``{"prize": str 1-200, "winners": [{"name": str 1-100, "discord_id"?: snowflake}] (1-20)}``
                   → an announcement in the giveaways channel that pings only the listed Discord ids.
``wipe.scheduled`` ``{"wipe_id": str, "title": str 1-100, "starts_at": ISO 8601 with offset, "description"?: str,
                   "repeat"?: none|weekly|biweekly|monthly, "duration_minutes"?: 1-10080}`` → the wipe calendar
                   (created, or updated when ``wipe_id`` is known); announced like ``/wipe add`` wipes.
``wipe.cancelled`` ``{"wipe_id": str}`` → that pushed wipe is cancelled (404-like 400 when unknown).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from bot.core.errors import UserError
from cogs.events.repository import EventRepository, RankUpdate
from cogs.reviews.repository import ReviewRepository
from cogs.reviews.service import clean_author, clean_body
from cogs.wipes.repository import WipeRepository
from cogs.wipes.service import REPEATS, check_start, clean_text

EVENT_TYPES = ("review.create", "rank.update", "giveaway.winner", "wipe.scheduled", "wipe.cancelled")
MAX_DATA_BYTES = 16 * 1024
_ID = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
_NEEDS_ALERT = {"review.create", "giveaway.winner"}


class EventError(UserError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Deps(Protocol):
    pool: asyncpg.Pool


@dataclass(frozen=True, slots=True)
class EventResult:
    server_id: int
    event_id: str
    type: str
    duplicate: bool

    @property
    def http_status(self) -> int:
        return 200 if self.duplicate else 202


def _fields(data: dict[str, Any], required: set[str], optional: set[str]) -> None:
    unknown = sorted(set(data) - required - optional)
    if unknown:
        raise EventError(f"unknown field(s) in data: {', '.join(unknown)}")
    missing = sorted(required - set(data))
    if missing:
        raise EventError(f"missing field(s) in data: {', '.join(missing)}")


def _text(data: dict[str, Any], key: str, *, limit: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise EventError(f"data.{key} must be a{'' if required else 'n optional'} string of at most {limit} characters")
    return value


def _int(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EventError(f"data.{key} must be a whole number from {low} to {high}")
    return value


def _ident(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise EventError(f"{what} must be 1-200 printable characters without spaces")
    return value


def _check_envelope(event_type: Any, event_id: Any, data: Any) -> None:
    if event_type not in EVENT_TYPES:
        raise EventError(f"unknown event type {str(event_type)[:40]!r}; expected one of {', '.join(EVENT_TYPES)}")
    _ident(event_id, "id")
    if not isinstance(data, dict):
        raise EventError("data must be a JSON object")
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DATA_BYTES:
        raise EventError(f"data is larger than {MAX_DATA_BYTES} bytes", status=413)


def _validate(event_type: str, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The cleaned data (what is stored with the event)."""
    try:
        if event_type == "review.create":
            _fields(data, {"author", "rating"}, {"text", "review_id"})
            return {
                "author": clean_author(_text(data, "author", limit=100)),
                "rating": _int(data, "rating", 1, 5),
                "text": clean_body(_text(data, "text", limit=4000, required=False)),
                "review_id": _ident(data["review_id"], "data.review_id") if "review_id" in data else None,
            }
        if event_type == "rank.update":
            _fields(data, {"rank"}, {"previous_rank", "category"})
            return {
                "rank": _int(data, "rank", 1, 10_000_000),
                "previous_rank": _int(data, "previous_rank", 1, 10_000_000) if "previous_rank" in data else None,
                "category": _text(data, "category", limit=100, required=False) or None,
            }
        if event_type == "giveaway.winner":
            _fields(data, {"prize", "winners"}, set())
            winners = data["winners"]
            if not isinstance(winners, list) or not 1 <= len(winners) <= 20:
                raise EventError("data.winners must be a list of 1 to 20 winners")
            cleaned = []
            for winner in winners:
                if not isinstance(winner, dict):
                    raise EventError("each winner must be an object with name and optional discord_id")
                _fields(winner, {"name"}, {"discord_id"})
                discord_id = winner.get("discord_id")
                if discord_id is not None:
                    if not isinstance(discord_id, str | int) or not re.fullmatch(r"[1-9][0-9]{15,19}", str(discord_id)):
                        raise EventError("a winner's discord_id must be a Discord user id (snowflake)")
                    discord_id = int(discord_id)
                cleaned.append({"name": clean_author(_text(winner, "name", limit=100)), "discord_id": discord_id})
            return {"prize": " ".join(_text(data, "prize", limit=200).split()), "winners": cleaned}
        if event_type == "wipe.scheduled":
            _fields(data, {"wipe_id", "title", "starts_at"}, {"description", "repeat", "duration_minutes"})
            title, description = clean_text(
                _text(data, "title", limit=100), _text(data, "description", limit=1000, required=False)
            )
            starts_at = _timestamp(_text(data, "starts_at", limit=40))
            check_start(starts_at, now)
            repeat = data.get("repeat", "none")
            if repeat not in REPEATS:
                raise EventError(f"data.repeat must be one of {', '.join(REPEATS)}")
            minutes = _int(data, "duration_minutes", 1, 10080) if "duration_minutes" in data else 60
            return {
                "wipe_id": _ident(data["wipe_id"], "data.wipe_id"),
                "title": title,
                "description": description,
                "starts_at": starts_at.isoformat(),
                "repeat": repeat,
                "duration_minutes": minutes,
            }
        _fields(data, {"wipe_id"}, set())
        return {"wipe_id": _ident(data["wipe_id"], "data.wipe_id")}
    except EventError:
        raise
    except UserError as exc:  # the shared validators' messages, as a 400
        raise EventError(str(exc)) from None


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError("data.starts_at must be an ISO 8601 date-time such as 2026-12-01T18:00:00+01:00") from None
    if value.tzinfo is None:
        raise EventError("data.starts_at needs a UTC offset (e.g. Z or +01:00)")
    return value.astimezone(dt.UTC)


async def handle_pushed_event(
    bot_or_deps: Deps,
    server_id: int,
    event_type: str,
    event_id: str,
    data: dict[str, Any],
    *,
    now: dt.datetime | None = None,
) -> EventResult:
    now = now or dt.datetime.now(dt.UTC)
    _check_envelope(event_type, event_id, data)
    cleaned = _validate(event_type, data, now)
    pool = bot_or_deps.pool
    async with pool.acquire() as connection, connection.transaction():
        if not await connection.fetchval("SELECT EXISTS (SELECT 1 FROM servers WHERE id = $1)", server_id):
            raise EventError(f"unknown server {server_id}", status=404)
        events = EventRepository(connection)
        delivered = None if event_type in _NEEDS_ALERT else now
        if not await events.insert(server_id, event_id, event_type, cleaned, delivered):
            return EventResult(server_id, event_id, event_type, duplicate=True)
        await _apply(connection, server_id, event_id, event_type, cleaned, now)
    dispatch = getattr(bot_or_deps, "dispatch", None)
    if callable(dispatch) and event_type in _NEEDS_ALERT:
        dispatch("community_event", server_id, event_id)
    elif callable(dispatch) and event_type == "rank.update":
        dispatch("rank_pushed", server_id)
    return EventResult(server_id, event_id, event_type, duplicate=False)


async def _apply(
    connection: asyncpg.Connection,
    server_id: int,
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    now: dt.datetime,
) -> None:
    if event_type == "review.create":
        await ReviewRepository(connection).save_external(
            connection, server_id, data["review_id"] or event_id, data["author"], data["rating"], data["text"]
        )
    elif event_type == "rank.update":
        await EventRepository(connection).add_rank(
            server_id, event_id, data["rank"], data["previous_rank"], data["category"]
        )
    elif event_type == "wipe.scheduled":
        await WipeRepository(connection).upsert_external(
            connection,
            server_id=server_id,
            external_id=data["wipe_id"],
            title=data["title"],
            description=data["description"],
            starts_at=dt.datetime.fromisoformat(data["starts_at"]),
            duration=dt.timedelta(minutes=data["duration_minutes"]),
            repeat=data["repeat"],
        )
    elif event_type == "wipe.cancelled":
        wipes = WipeRepository(connection)
        wipe = await wipes.get_external(server_id, data["wipe_id"])
        if wipe is None:
            raise EventError(f"unknown wipe {data['wipe_id']!r} for this server")
        await wipes.cancel(wipe.id, now, connection)


async def pending_rank_updates(pool: asyncpg.Pool, server_id: int) -> list[RankUpdate]:
    """Pushed rank changes not yet announced, oldest first (for the milestones feature)."""
    return await EventRepository(pool).unannounced_ranks(server_id)


async def servers_with_pending_ranks(pool: asyncpg.Pool) -> list[int]:
    return await EventRepository(pool).servers_with_unannounced_ranks()


async def mark_rank_announced(pool: asyncpg.Pool, rank_update_id: int) -> None:
    await EventRepository(pool).mark_rank_announced(rank_update_id)
