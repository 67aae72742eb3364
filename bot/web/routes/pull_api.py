"""The Top-Server-compatible PULL API served by the bot, for game-server reward plugins.

``GET /api/v1/vote/check?key=&player=`` and ``POST /api/v1/vote/claim`` (JSON, form or query string).
Errors: 400 when key or player is missing, 401 when the key is wrong.

``POST /api/v1/link/confirm`` with ``key``, ``code`` and ``username`` (same encodings): the player typed the
code ``/link`` gave them in game; the name is linked to that member (see :mod:`bot.core.link_proof`).
Answers 200, or 400 (missing/invalid field), 401 (wrong key, always the same answer), 404 (unknown code),
409 (code already used, or issued for another name), 410 (code expired), 429 (too many failed attempts,
with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web

from bot.core.link_proof import LinkProof, Outcome, normalise_code
from bot.core.servers import hash_api_key
from bot.db.claims import ClaimRepository
from bot.db.records import Server
from bot.web.guard import PUBLIC_READS_KEY, client_address
from bot.web.intake import INTAKE_KEY, ClientGone, client_gone, read_body, throttled, unauthorized
from bot.web.providers import ProviderError
from bot.web.providers.common import MAX_PLAYER_NAME, load_json_object

log = logging.getLogger(__name__)

CLAIMS_KEY = web.AppKey("claims", ClaimRepository)
LINK_PROOF_KEY = web.AppKey("link_proof", LinkProof)
MAX_PLAYER = MAX_PLAYER_NAME  # the same limit as the webhooks and /link
MAX_KEY = 200


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
    if len(player) > MAX_PLAYER or len(key) > MAX_KEY:
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


_CONFIRM_STATUS = {
    Outcome.LINKED: 200,
    Outcome.UNKNOWN: 404,
    Outcome.USED: 409,
    Outcome.MISMATCH: 409,
    Outcome.EXPIRED: 410,
    Outcome.THROTTLED: 429,
}


def _valid_username(text: str) -> str | None:
    name = text.strip()
    if not name or len(name) > MAX_PLAYER or not name.isprintable():
        return None
    return name


async def confirm_link(request: web.Request) -> web.Response:
    try:
        params = await _params(request)
    except _Refused as refused:
        return refused.response
    key, code_text, username = (params.get(k, "") for k in ("key", "code", "username"))
    if not key.strip() or not code_text.strip() or not username.strip():
        return _error(400, "missing key, code or username")
    proof, now = request.app[LINK_PROOF_KEY], request.app[INTAKE_KEY].clock()
    address = client_address(request, request.app[INTAKE_KEY].limits.trusted_proxies)
    if wait := await proof.key_throttled(address, now):
        return _throttled(wait)
    server = None
    if len(key) <= MAX_KEY:
        server = await request.app[CLAIMS_KEY].server_for_key_hash(hash_api_key(key.strip()))
    if server is None:
        await proof.bad_key(address, now)
        return _error(401, "invalid key")
    code = normalise_code(code_text.strip())
    if code is None:
        return _error(400, "code must be 8 letters and digits, e.g. ABCD-EFGH")
    name = _valid_username(username)
    if name is None:
        return _error(400, f"username must be 1 to {MAX_PLAYER} printable characters")
    result = await proof.confirm(server.id, code, name, address=address, now=now)
    if result.outcome is Outcome.THROTTLED:
        return _throttled(result.retry_after)
    if result.outcome is not Outcome.LINKED:
        log.info("server %s: link confirm refused (%s)", server.id, result.outcome.value)
        return _error(_CONFIRM_STATUS[result.outcome], result.outcome.value)
    log.info("server %s: player name linked to member %s by a confirmed code", server.id, result.discord_user_id)
    if result.replaced_user_id is not None:
        log.info("server %s: the name was taken from member %s (proof wins)", server.id, result.replaced_user_id)
    return web.json_response(
        {"ok": True, "server": server.name, "player": result.player_name, "discordUserId": str(result.discord_user_id)}
    )


def _throttled(seconds: int) -> web.Response:
    response = _error(429, Outcome.THROTTLED.value)
    response.headers["Retry-After"] = str(seconds)
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/vote/check", check)
    app.router.add_post("/api/v1/vote/claim", claim)
    app.router.add_post("/api/v1/link/confirm", confirm_link)
