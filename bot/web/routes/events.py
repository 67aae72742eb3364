"""``POST /events/{server_id}``: events a listing site pushes (reviews, ranks, giveaway winners, wipes).

Signed like Top-Server PUSH: ``x-votebot-signature: sha256=<hex HMAC-SHA256(event secret, raw body)>``.
The event is validated (:mod:`bot.web.providers.events`) and stored before the answer: 202 for a new
event, 200 for a duplicate ``id``, 400/401/404/413 for bad input and 503 when the database is
unavailable. No Discord work happens here: the events feature delivers stored events to the features.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.db.pushed_events import PushedEventRepository, UnknownServer, UnknownWipe
from bot.web.intake import (
    DATABASE_ERRORS,
    INTAKE_KEY,
    ClientGone,
    client_gone,
    json_error,
    parse_server_id,
    read_body,
    throttled,
    unauthorized,
)
from bot.web.providers import ProviderError, SignatureError
from bot.web.providers.common import load_json_object
from bot.web.providers.events import EventError, parse_event
from bot.web.providers.topserver import verify_topserver

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-votebot-signature"


@dataclass
class StoredEvents:
    """Told when an event was stored, so a bot in this process delivers it at once (else its tick finds it)."""

    listeners: list[Callable[[int], None]] = field(default_factory=list)

    def stored(self, server_id: int) -> None:
        for listener in list(self.listeners):
            listener(server_id)


STORED_KEY = web.AppKey("stored_events", StoredEvents)


async def receive_event(request: web.Request) -> web.Response:
    server_id = parse_server_id(request.match_info["server_id"])
    if server_id is None:
        return json_error(404, "unknown server")
    intake = request.app[INTAKE_KEY]
    refusal = throttled(request)
    if refusal is not None:
        return refusal
    try:
        raw = await read_body(request)
        credentials = await intake.lookup(server_id, "events")
        if not credentials.server_exists:
            return json_error(404, "unknown server")
        if credentials.credential is None:
            return unauthorized(request, f"event for server {server_id}", "no event secret configured")
        try:
            verify_topserver(credentials.credential.secret, raw, request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            reason = exc.reason.replace("x-topserver", "x-votebot")
            return unauthorized(request, f"event for server {server_id}", reason)
        now = intake.clock()
        event = parse_event(load_json_object(raw), now)
        new = await PushedEventRepository(intake.pool).record(server_id, event.id, event.type, event.data, now)
    except ClientGone as exc:
        return client_gone(request, "events", exc)
    except ProviderError as exc:
        return json_error(exc.status, exc.reason)
    except EventError as exc:
        log.info("event for server %s rejected (%s): %s", server_id, exc.status, exc)
        return json_error(exc.status, str(exc))
    except UnknownServer:
        return json_error(404, "unknown server")
    except UnknownWipe as exc:
        return json_error(400, f"unknown wipe {str(exc)!r} for this server")
    except DATABASE_ERRORS as exc:
        log.warning("event for server %s: database unavailable (%s); answering 503", server_id, type(exc).__name__)
        return json_error(503, "temporarily unavailable, retry later")
    if new:
        request.app[STORED_KEY].stored(server_id)
    return web.json_response(
        {"ok": True, "duplicate": not new, "type": event.type, "id": event.id}, status=202 if new else 200
    )


def add_routes(app: web.Application) -> StoredEvents:
    stored = StoredEvents()
    app[STORED_KEY] = stored
    app.router.add_post("/events/{server_id}", receive_event)
    return stored
