"""Discord's REST rate limits, enforced by the fake when switched on (off by default).

What Discord does (https://discord.com/developers/docs/topics/rate-limits) and the fake copies:

* per-route buckets: a bucket per route template and major parameter (``channel_id``, ``guild_id``, or a webhook's
  id + token), announced on every answer of the route with ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``,
  ``-Reset-After``, ``-Bucket`` (one stable hash per bucket *group*: discord.py keys its buckets by
  ``hash + major parameters``) and ``-Scope: user``; a request beyond the limit is answered 429 with the same
  headers and ``{"message", "retry_after", "global": false}``;
* the global limit: requests made with the bot token (not interaction callbacks nor interaction webhooks) over
  any second → 429 ``{"global": true}`` with ``X-RateLimit-Global: true`` and ``X-RateLimit-Scope: global``;
* a tighter limit on edits of messages older than an hour, a sub-limit Discord does not announce: successful
  edits carry the channel's edit bucket; only its 429 carries its own bucket (with Remaining 0 while the main
  bucket may still have requests left, which discord.py logs as "a sub-ratelimit");
* invalid requests (401, 403, 429 except ``shared``-scope 429s, as on Discord) counted over a sliding 10 minutes.

Besides, it counts *predictable* 429s: a request that arrived while the last answer of its bucket (or the last
global 429) said that nothing was left until a time not yet reached. A client that honours the headers (as
discord.py does) never makes one.

Time comes from ``clock`` (epoch seconds; ``time.time`` by default) plus ``offset``, which :meth:`advance` moves:
tests slide the 10-minute window or age messages without waiting on the wall clock.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .httputil import json_response
from .state import DISCORD_EPOCH_MS


@dataclass(frozen=True)
class Limit:
    """``limit`` requests per ``per`` seconds; routes with the same ``bucket`` share one bucket (and hash)."""

    bucket: str
    limit: int
    per: float


ROUTE_LIMITS: dict[tuple[str, str], Limit] = {
    ("POST", "/channels/{channel_id}/messages"): Limit("messages.create", 5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): Limit("messages.edit", 5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): Limit("messages.delete", 5, 1.0),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"): Limit("reactions", 1, 0.25),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"): Limit("reactions", 1, 0.25),
    ("POST", "/channels/{channel_id}/typing"): Limit("typing", 5, 5.0),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): Limit("member.roles", 10, 10.0),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): Limit("member.roles", 10, 10.0),
    ("POST", "/users/@me/channels"): Limit("dm.open", 5, 5.0),
    ("POST", "/interactions/{interaction_id}/{token}/callback"): Limit("interaction.callback", 5, 1.0),
    ("POST", "/webhooks/{app_id}/{token}"): Limit("webhook.execute", 5, 2.0),
    ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}"): Limit("webhook.message", 5, 2.0),
    ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}"): Limit("webhook.message", 5, 2.0),
    ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}"): Limit("webhook.message", 5, 2.0),
}
"""Discord-like limits per route template (what Discord announced for bots in 2024-2025; it may change them)."""

DEFAULT_LIMIT = (50, 1.0)
"""Any other route: 50 per second per route and major parameter (its own bucket)."""

GLOBAL_LIMIT = (50, 1.0)
"""50 requests per second in all for the bot token (a sliding second: never more than 50 in any second)."""

OLD_MESSAGE_AGE = 3600.0
OLD_MESSAGE_EDIT = (1, 5.0)
"""Edits of messages older than an hour: at most 1 per 5 s per channel, on top of the channel's edit bucket."""

OLD_EDIT_ROUTE = ("PATCH", "/channels/{channel_id}/messages/{message_id}")
INVALID_WINDOW = 600.0
INVALID_STATUSES = (401, 403, 429)
KINDS = ("global", "route", "old_message", "shared")
VIA = "1.1 google"  # discord.py treats a 429 without Via as a Cloudflare ban


def bucket_hash(name: str) -> str:
    return hashlib.sha256(f"fakediscord:{name}".encode()).hexdigest()[:32]


def major_parameter(template: str, params: dict[str, str]) -> str:
    """The parameter Discord splits a route's bucket by (the first of them in the path)."""
    if "{channel_id}" in template:
        return params["channel_id"]
    if "{guild_id}" in template:
        return params["guild_id"]
    if template.startswith("/webhooks/{app_id}/{token}"):
        return f"{params['app_id']}+{params['token']}"
    if template.startswith("/interactions/{interaction_id}/{token}"):
        return f"{params['interaction_id']}+{params['token']}"
    return ""


class Bucket:
    __slots__ = (
        "announced_until",
        "hash",
        "limit",
        "major",
        "name",
        "per",
        "predictable",
        "rejected",
        "remaining",
        "requests",
        "reset_at",
    )

    def __init__(self, name: str, major: str, limit: int, per: float) -> None:
        self.name = name
        self.major = major
        self.hash = bucket_hash(name)
        self.limit = limit
        self.per = per
        self.remaining = limit
        self.reset_at = 0.0
        self.announced_until = 0.0  # the last answer said "nothing left until then"
        self.requests = 0
        self.rejected = 0
        self.predictable = 0

    def refresh(self, now: float) -> None:
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + self.per

    def headers(self, now: float, scope: str = "user") -> dict[str, str]:
        reset_after = max(0.0, self.reset_at - now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": f"{math.ceil(self.reset_at * 1000) / 1000:.3f}",
            "X-RateLimit-Reset-After": f"{math.ceil(reset_after * 1000) / 1000:.3f}",
            "X-RateLimit-Bucket": self.hash,
            "X-RateLimit-Scope": scope,
        }

    def stats(self, now: float) -> dict[str, Any]:
        fresh = now >= self.reset_at
        return {
            "bucket": self.name,
            "hash": self.hash,
            "major": self.major,
            "limit": self.limit,
            "per": self.per,
            "remaining": self.limit if fresh else self.remaining,
            "reset_after": 0.0 if fresh else round(self.reset_at - now, 3),
            "requests": self.requests,
            "429": self.rejected,
            "predictable_429s": self.predictable,
        }


@dataclass
class Rejection:
    response: web.Response
    kind: str


def _too_many(retry_after: float, headers: dict[str, str], *, is_global: bool) -> web.Response:
    retry_after = math.ceil(max(retry_after, 0.001) * 1000) / 1000
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
    all_headers = dict(headers, **{"Retry-After": str(max(1, math.ceil(retry_after))), "Via": VIA})
    if is_global:
        all_headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
    return json_response(body, 429, all_headers)


class RateLimiter:
    def __init__(self, *, enabled: bool = False, clock: Callable[[], float] | None = None) -> None:
        self.enabled = enabled
        self.clock: Callable[[], float] = clock or time.time
        self.offset = 0.0
        self.routes: dict[tuple[str, str], Limit] = dict(ROUTE_LIMITS)
        self.default = DEFAULT_LIMIT
        self.global_limit = GLOBAL_LIMIT
        self.old_message_age = OLD_MESSAGE_AGE
        self.old_message_edit = OLD_MESSAGE_EDIT
        self.aged: dict[int, float] = {}  # message id -> seconds added to its age (POST /_fake/messages/{id}/age)
        self.reset()

    # ---------------------------------------------------------------- config
    def now(self) -> float:
        return self.clock() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the limiter's clock (bucket windows, the 10-minute window, message ages) forward."""
        self.offset += float(seconds)
        return self.now()

    def age_message(self, message_id: int, seconds: float) -> None:
        """Make a message ``seconds`` older than its snowflake says (for the old-message edit limit)."""
        self.aged[int(message_id)] = self.aged.get(int(message_id), 0.0) + float(seconds)

    def message_age(self, message_id: int) -> float:
        created = ((int(message_id) >> 22) + DISCORD_EPOCH_MS) / 1000
        return self.now() - created + self.aged.get(int(message_id), 0.0)

    def configure(self, spec: dict[str, Any]) -> None:
        """``{"enabled", "global": [n, s], "default": [n, s], "old_message_age": s, "old_message_edit": [n, s],
        "routes": {"POST /channels/{channel_id}/messages": [n, s] or {"limit", "per", "bucket"}}}``; changed
        limits start from fresh buckets."""
        if "enabled" in spec:
            self.enabled = bool(spec["enabled"])
        if "global" in spec:
            self.global_limit = _pair(spec["global"])
        if "default" in spec:
            self.default = _pair(spec["default"])
        if "old_message_age" in spec:
            self.old_message_age = float(spec["old_message_age"])
        if "old_message_edit" in spec:
            self.old_message_edit = _pair(spec["old_message_edit"])
        for key, value in (spec.get("routes") or {}).items():
            method, template = str(key).split(" ", 1)
            old = self.routes.get((method.upper(), template))
            if isinstance(value, dict):
                limit, per = int(value["limit"]), float(value["per"])
                name = str(value.get("bucket") or (old.bucket if old else f"{method.upper()} {template}"))
            else:
                limit, per = _pair(value)
                name = old.bucket if old else f"{method.upper()} {template}"
            self.routes[(method.upper(), template)] = Limit(name, limit, per)
        if any(k in spec for k in ("global", "default", "old_message_edit", "routes")):
            self.buckets.clear()
            self.old_buckets.clear()
            self.global_log.clear()

    def reset(self) -> None:
        """Fresh buckets and zeroed counters (the configuration stays)."""
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.old_buckets: dict[str, Bucket] = {}
        self.global_log: deque[float] = deque()
        self.global_announced_until = 0.0
        self.invalid: deque[tuple[float, int]] = deque()
        self.invalid_total = 0
        self.rejected = dict.fromkeys(KINDS, 0)
        self.predictable = dict.fromkeys(("global", "route", "old_message"), 0)
        self.global_requests = 0

    # -------------------------------------------------------------- limiting
    def limit_for(self, method: str, template: str) -> Limit:
        found = self.routes.get((method, template))
        if found is not None:
            return found
        return Limit(f"{method} {template}", *self.default)

    def _bucket(self, limit: Limit, major: str) -> Bucket:
        key = (limit.bucket, major)
        bucket = self.buckets.get(key)
        if bucket is None or bucket.limit != limit.limit or bucket.per != limit.per:
            bucket = self.buckets[key] = Bucket(limit.bucket, major, limit.limit, limit.per)
        return bucket

    def admit(
        self, method: str, template: str | None, params: dict[str, str], *, bot: bool, message_id: int | None = None
    ) -> Rejection | dict[str, str]:
        """A 429 to answer, or the rate-limit headers to put on the answer (the request's tokens are spent)."""
        now = self.now()
        if bot:
            rejection = self._check_global(now)
            if rejection is not None:
                return rejection
        headers: dict[str, str] = {}
        if template is not None:
            major = major_parameter(template, params)
            bucket = self._bucket(self.limit_for(method, template), major)
            rejection = self._check(bucket, now, "route")
            if rejection is not None:
                return rejection
            old = None
            if (method, template) == OLD_EDIT_ROUTE and message_id is not None and self._is_old(message_id):
                old = self._old_bucket(major)
                rejection = self._check(old, now, "old_message")
                if rejection is not None:
                    return rejection
            if old is not None:
                old.remaining -= 1  # unannounced: the answer shows the channel's bucket, as Discord's does
            bucket.remaining -= 1
            if bucket.remaining <= 0:
                bucket.announced_until = bucket.reset_at  # this answer says "nothing left until then"
            headers = bucket.headers(now)
        if bot:
            self.global_log.append(now)
            self.global_requests += 1
        return headers

    def _check_global(self, now: float) -> Rejection | None:
        limit, per = self.global_limit
        while self.global_log and self.global_log[0] <= now - per:
            self.global_log.popleft()
        if len(self.global_log) < limit:
            return None
        retry = self.global_log[0] + per - now
        if now < self.global_announced_until:
            self.predictable["global"] += 1  # a global 429 said "wait until then" and the client did not
        self.global_announced_until = max(self.global_announced_until, now + retry)
        return Rejection(_too_many(retry, {}, is_global=True), "global")

    def _check(self, bucket: Bucket, now: float, kind: str) -> Rejection | None:
        """Counts the request on ``bucket`` (without spending it); a 429 if nothing is left."""
        bucket.refresh(now)
        bucket.requests += 1
        if bucket.remaining > 0:
            return None
        bucket.rejected += 1
        if now < bucket.announced_until:
            bucket.predictable += 1
            self.predictable[kind] += 1
        bucket.announced_until = bucket.reset_at
        return Rejection(_too_many(bucket.reset_at - now, bucket.headers(now), is_global=False), kind)

    def _is_old(self, message_id: int) -> bool:
        return self.message_age(message_id) > self.old_message_age

    def _old_bucket(self, major: str) -> Bucket:
        limit, per = self.old_message_edit
        old = self.old_buckets.get(major)
        if old is None or old.limit != limit or old.per != per:
            old = self.old_buckets[major] = Bucket("messages.edit.old", major, limit, per)
        return old

    # -------------------------------------------------------------- counting
    def note_answer(self, status: int, kind: str | None = None) -> None:
        """Every REST answer goes through here (limits on or off): 401, 403 and 429 are invalid requests, except
        a ``shared``-scope 429, which Discord does not count."""
        if status == 429:
            kind = kind if kind in KINDS else "shared"
            self.rejected[kind] += 1
            if kind == "shared":
                return
        if status not in INVALID_STATUSES:
            return
        now = self.now()
        self.invalid.append((now, status))
        self.invalid_total += 1
        self._prune(now)

    def _prune(self, now: float) -> None:
        while self.invalid and self.invalid[0][0] <= now - INVALID_WINDOW:
            self.invalid.popleft()

    def stats(self, *, all_buckets: bool = False) -> dict[str, Any]:
        now = self.now()
        self._prune(now)
        by_status = {str(s): 0 for s in INVALID_STATUSES}
        for _, status in self.invalid:
            by_status[str(status)] += 1
        buckets = [*self.buckets.values(), *self.old_buckets.values()]
        shown = [b.stats(now) for b in buckets if all_buckets or b.rejected]
        return {
            "enabled": self.enabled,
            "invalid_requests_10min": len(self.invalid),
            "by_status": by_status,
            "invalid_requests_total": self.invalid_total,
            "429": dict(self.rejected),
            "predictable_429s": sum(self.predictable.values()),
            "predictable_by_kind": dict(self.predictable),
            "global": {"limit": self.global_limit[0], "per": self.global_limit[1], "requests": self.global_requests},
            "old_message": {
                "age": self.old_message_age,
                "limit": self.old_message_edit[0],
                "per": self.old_message_edit[1],
            },
            "buckets": shown,
            "clock": now,
        }


def _pair(value: Any) -> tuple[int, float]:
    if isinstance(value, dict):
        return int(value["limit"]), float(value["per"])
    limit, per = value
    return int(limit), float(per)
