"""The Top-Server-compatible PULL API served by the bot, for game-server reward plugins.

``GET /api/v1/vote/check?key=&player=`` and ``POST /api/v1/vote/claim`` (JSON, form or query string).
Errors: 400 when key or player is missing, 401 when the key is wrong.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web

from bot.core.servers import hash_api_key
from bot.db.claims import ClaimRepository
from bot.db.records import Server
from bot.web.guard import PUBLIC_READS_KEY
from bot.web.intake import INTAKE_KEY, ClientGone, client_gone, read_body, throttled, unauthorized
from bot.web.providers import ProviderError
from bot.web.providers.common import load_json_object

log = logging.getLogger(__name__)

CLAIMS_KEY = web.AppKey("claims", ClaimRepository)
MAX_PLAYER = 64


def iso_millis(value: dt.datetime) -> str:
    """``2026-06-22T03:00:00.000Z`` as Top-Server writes timestamps."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _params(request: web.Request) -> dict[str, str]:
    params = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        try:
            if request.content_type == "application/json":
                body = load_json_object(await read_body(request))  # not JSON, not an object, too deep: 400
                params |= {k: v for k, v in body.items() if isinstance(v, str)}
            elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
                form = await asyncio.wait_for(request.post(), request.app[INTAKE_KEY].limits.body_timeout)
                params |= {k: v for k, v in form.items() if isinstance(v, str)}
        except ProviderError as exc:
            raise _Refused(_error(exc.status, exc.reason)) from None
        except web.HTTPRequestEntityTooLarge:
            raise _Refused(_error(413, "body too large")) from None
        except ClientGone as exc:
            raise _Refused(client_gone(request, "pull_api", exc)) from None
        except (TimeoutError, ConnectionError):
            raise _Refused(client_gone(request, "pull_api", ClientGone("form body not received"))) from None
    return params


async def _authenticate(request: web.Request) -> tuple[Server, str] | web.Response:
    refusal = throttled(request)
    if refusal is not None:
        return refusal
    try:
        params = await _params(request)
    except _Refused as refused:
        return refused.response
    key, player = params.get("key", "").strip(), params.get("player", "").strip()
    if not key or not player:
        return _error(400, "missing key or player")
    if len(player) > MAX_PLAYER or len(key) > 200:
        return _error(400, "key or player too long")
    async with request.app[PUBLIC_READS_KEY].slot():
        server = await request.app[CLAIMS_KEY].server_for_key_hash(hash_api_key(key))
    if server is None:
        unauthorized(request, "PULL API request", "unknown API key")
        return _error(401, "invalid key")
    return server, player


async def check(request: web.Request) -> web.Response:
    auth = await _authenticate(request)
    if isinstance(auth, web.Response):
        return auth
    server, player = auth
    async with request.app[PUBLIC_READS_KEY].slot():
        rows = await request.app[CLAIMS_KEY].pending(server.id, player, request.app[INTAKE_KEY].clock())
    return web.json_response(
        {
            "ok": True,
            "server": server.name,
            "player": player,
            "hasPendingVote": bool(rows),
            "pending": len(rows),
            "votes": [{"id": r["external_id"], "votedAt": iso_millis(r["voted_at"])} for r in rows],
        }
    )


async def claim(request: web.Request) -> web.Response:
    auth = await _authenticate(request)
    if isinstance(auth, web.Response):
        return auth
    server, player = auth
    async with request.app[PUBLIC_READS_KEY].slot():
        claimed = await request.app[CLAIMS_KEY].claim(server.id, player, request.app[INTAKE_KEY].clock())
    log.info("server %s: %d vote(s) claimed", server.id, claimed)
    return web.json_response({"ok": True, "claimed": claimed})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/vote/check", check)
    app.router.add_post("/api/v1/vote/claim", claim)
