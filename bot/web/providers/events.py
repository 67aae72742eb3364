"""The event API's contract (``POST /events/{server_id}``), pure: the envelope and the data of each type.

Body: JSON ``{"type": …, "id": …, "data": {…}}``, deduplicated by ``id`` per server. :func:`parse_event`
returns the cleaned data that is stored and handed to the feature later; anything else raises
:class:`EventError` with the HTTP status to answer (400 naming the field, 413 for oversize data).

``review.create``  ``{"author": str 1-100, "rating": int 1-5, "text"?: str ≤4000, "review_id"?: str}``
``rank.update``    ``{"rank": int ≥1, "previous_rank"?: int ≥1, "category"?: str ≤100}``
``giveaway.winner`` ``{"prize": str 1-200, "winners": [{"name": str 1-100, "discord_id"?: snowflake}] (1-20)}``
``wipe.scheduled`` ``{"wipe_id": str, "title": str 1-100, "starts_at": ISO 8601 with offset, "description"?: str,
                   "repeat"?: none|weekly|biweekly|monthly, "duration_minutes"?: 1-10080}``
``wipe.cancelled`` ``{"wipe_id": str}`` (400 when this server never scheduled that wipe)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core.pushed_events import EVENT_TYPES

MAX_DATA_BYTES = 16 * 1024
MAX_AHEAD = dt.timedelta(days=366)
WIPE_REPEATS = ("none", "weekly", "biweekly", "monthly")
_ID = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces


class EventError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    type: str
    id: str
    data: dict[str, Any]


def parse_event(body: dict[str, Any], now: dt.datetime) -> ParsedEvent:
    """Validate the envelope and the data of its type; the cleaned data is what gets stored."""
    event_type, event_id, data = body.get("type"), body.get("id"), body.get("data")
    _check_envelope(event_type, event_id, data)
    assert isinstance(event_type, str) and isinstance(event_id, str) and isinstance(data, dict)  # noqa: S101
    return ParsedEvent(event_type, event_id, _validate(event_type, data, now))


def _clean_name(value: str, where: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise EventError(f"{where} must not be blank")
    return cleaned


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
    if event_type == "review.create":
        _fields(data, {"author", "rating"}, {"text", "review_id"})
        return {
            "author": _clean_name(_text(data, "author", limit=100), "data.author"),
            "rating": _int(data, "rating", 1, 5),
            "text": _text(data, "text", limit=4000, required=False).strip(),
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
            cleaned.append({"name": _clean_name(_text(winner, "name", limit=100), "name"), "discord_id": discord_id})
        return {"prize": " ".join(_text(data, "prize", limit=200).split()), "winners": cleaned}
    if event_type == "wipe.scheduled":
        _fields(data, {"wipe_id", "title", "starts_at"}, {"description", "repeat", "duration_minutes"})
        title = _clean_name(_text(data, "title", limit=100), "data.title")
        description = _text(data, "description", limit=1000, required=False).strip()
        starts_at = _timestamp(_text(data, "starts_at", limit=40))
        if starts_at <= now:
            raise EventError("data.starts_at is in the past")
        if starts_at > now + MAX_AHEAD:
            raise EventError("data.starts_at is more than a year ahead")
        repeat = data.get("repeat", "none")
        if repeat not in WIPE_REPEATS:
            raise EventError(f"data.repeat must be one of {', '.join(WIPE_REPEATS)}")
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


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError("data.starts_at must be an ISO 8601 date-time such as 2026-12-01T18:00:00+01:00") from None
    if value.tzinfo is None:
        raise EventError("data.starts_at needs a UTC offset (e.g. Z or +01:00)")
    return value.astimezone(dt.UTC)
