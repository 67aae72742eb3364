"""``POST /events/{server_id}``: events a listing site pushes (reviews, ranks, giveaway winners, wipes).

Signed like Top-Server PUSH: ``x-votebot-signature: sha256=<hex HMAC-SHA256(event secret, raw body)>``.
Body ``{"type": …, "id": …, "data": {…}}``; deduplicated by ``id`` per server. Answers 202 for a new
event, 200 for a duplicate, 400/401/404/413 for bad input and 503 when the database is unavailable.
Validation, storage and the contract of every type live in :mod:`bot.community.events`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from aiohttp import web

from bot.web.intake import DATABASE_ERRORS, INTAKE_KEY, json_error, parse_server_id, read_body
from bot.web.providers import ProviderError, SignatureError
from bot.web.providers.common import load_json_object
from bot.web.providers.topserver import verify_topserver
from cogs.events.service import EventError, handle_pushed_event

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-votebot-signature"


@dataclass
class EventTarget:
    """Where stored events go: the pool, and the bot's ``dispatch`` when the bot runs in this process."""

    pool: asyncpg.Pool
    dispatch: Any = field(default=None)


EVENTS_KEY = web.AppKey("events", EventTarget)


async def receive_event(request: web.Request) -> web.Response:
    server_id = parse_server_id(request.match_info["server_id"])
    if server_id is None:
        return json_error(404, "unknown server")
    intake = request.app[INTAKE_KEY]
    try:
        raw = await read_body(request)
        credentials = await intake.lookup(server_id, "events")
        if not credentials.server_exists:
            return json_error(404, "unknown server")
        if credentials.credential is None:
            log.warning("event for server %s refused: no event secret configured", server_id)
            return json_error(404, "no event secret configured for this server")
        try:
            verify_topserver(credentials.credential.secret, raw, request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            log.warning("event for server %s refused: %s", server_id, str(exc).replace("x-topserver", "x-votebot"))
            return json_error(401, f"missing or invalid {SIGNATURE_HEADER}")
        body = load_json_object(raw)
        # handle_pushed_event validates the envelope itself (type, id, data) and raises EventError(400)
        event_type, event_id, data = (cast(Any, body.get(key)) for key in ("type", "id", "data"))
        result = await handle_pushed_event(request.app[EVENTS_KEY], server_id, event_type, event_id, data)
    except ProviderError as exc:
        return json_error(exc.status, exc.reason)
    except EventError as exc:
        log.info("event for server %s rejected (%s): %s", server_id, exc.status, exc)
        return json_error(exc.status, str(exc))
    except DATABASE_ERRORS as exc:
        log.warning("event for server %s: database unavailable (%s); answering 503", server_id, type(exc).__name__)
        return json_error(503, "temporarily unavailable, retry later")
    return web.json_response(
        {"ok": True, "duplicate": result.duplicate, "type": result.type, "id": result.event_id},
        status=result.http_status,
    )


def add_routes(app: web.Application, pool: asyncpg.Pool) -> EventTarget:
    target = EventTarget(pool)
    app[EVENTS_KEY] = target
    app.router.add_post("/events/{server_id}", receive_event)
    return target
