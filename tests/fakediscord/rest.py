"""Discord REST v10 routes under /api/v10: a tiny router with auth, fault injection and request recording."""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from .httputil import json_response, read_body
from .state import FakeError, Fault, State

if TYPE_CHECKING:
    from .server import FakeDiscord


@dataclass
class Ctx:
    fake: FakeDiscord
    request: web.Request
    params: dict[str, str]
    body: Any
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> State:
        return self.fake.state

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query.get(name, default)

    def int_param(self, name: str) -> int:
        return int(self.params[name])


Handler = Callable[[Ctx], Awaitable[Any]]


@dataclass
class Route:
    method: str
    path: str  # the template, e.g. "/channels/{channel_id}/messages" (the rate limits key on it)
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        pattern = re.compile(f"^{regex}$")

        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(method, path, pattern, fn, auth))
            return fn

        return deco

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_exists)."""
        exists = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            exists = True
            if route.method == method:
                return route, m.groupdict(), True
        return None, {}, exists


router = Router()


def fault_kind(fault: Fault) -> str:
    return "global" if fault.is_global else "shared"


def fault_response(fault: Fault) -> web.Response:
    if fault.status == 429:
        retry = fault.retry_after
        body = {
            "message": fault.message or "You are being rate limited.",
            "retry_after": retry,
            "global": fault.is_global,
        }
        if fault.code is not None:
            body["code"] = fault.code
        headers = {
            "Retry-After": str(max(1, math.ceil(retry))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
            "X-RateLimit-Reset-After": f"{retry:.3f}",
            "X-RateLimit-Bucket": "fakediscord" + secrets.token_hex(8),
            "X-RateLimit-Scope": "shared" if not fault.is_global else "global",
            "Via": "1.1 google",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        return json_response(body, 429, headers)
    defaults = {
        400: ("400: Bad Request", 0),
        401: ("401: Unauthorized", 0),
        403: ("Missing Permissions", 50013),
        404: ("Unknown Message", 10008),
    }
    message, code = defaults.get(fault.status, (f"{fault.status}: Server Error", 0))
    body = {"message": fault.message or message, "code": fault.code if fault.code is not None else code}
    return json_response(body, fault.status)


def _auth_ok(fake: FakeDiscord, request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    return header.startswith("Bot ") and secrets.compare_digest(header[4:], fake.state.token)


async def dispatch(fake: FakeDiscord, request: web.Request) -> web.StreamResponse:
    if "tail" in request.match_info:
        path = "/" + request.match_info["tail"]
    else:  # a route of its own that hands the bot token's requests over (oauth.py's /users/@me)
        path = re.sub(r"^/api(/v\d+)?", "", request.path)
    method = request.method
    try:
        body, files = await read_body(request)
    except ValueError:
        body, files = None, []
    entry: dict[str, Any] = {
        "method": method,
        "path": path,
        "query": dict(request.query),
        "json": body,
        "status": 0,
        "time": time.time(),
    }
    if files:
        entry["files"] = [{k: v for k, v in f.items() if k != "data"} for f in files]
    if "X-Audit-Log-Reason" in request.headers:  # what the server's audit log shows (URL-quoted, as Discord takes it)
        entry["audit_log_reason"] = unquote(request.headers["X-Audit-Log-Reason"])
    response, kind = await _respond(fake, request, method, path, body, files)
    entry["status"] = response.status
    if kind is not None:
        entry["rate_limited"] = kind  # a 429: "global", "route", "old_message" or "shared"
    fake.ratelimits.note_answer(response.status, kind)
    fake.state.record(entry)
    return response


async def _respond(
    fake: FakeDiscord, request: web.Request, method: str, path: str, body: Any, files: list[dict[str, Any]]
) -> tuple[web.Response, str | None]:
    """The answer and, for a 429, its kind (``global``, ``route``, ``old_message`` or ``shared``)."""
    route, params, exists = router.match(method, path)
    if (route is None or route.auth) and not _auth_ok(fake, request):
        return json_response({"message": "401: Unauthorized", "code": 0}, 401), None
    limits: dict[str, str] = {}
    upstream = fake.state.find_fault(method, path)
    if upstream is not None and (upstream.status == 429 or upstream.status >= 500):
        # An outage or an injected 429 answers before Discord's rate limiter: no token spent, no bucket headers.
        fake.state.take_fault(method, path)
        return fault_response(upstream), fault_kind(upstream) if upstream.status == 429 else None
    if fake.ratelimits.enabled:
        admitted = fake.ratelimits.admit(
            method,
            route.path if route is not None else None,
            params,
            bot=route is None or route.auth,
            message_id=_int_or_none(params.get("message_id")),
        )
        if not isinstance(admitted, dict):
            return admitted.response, admitted.kind
        limits = admitted
    fault = fake.state.take_fault(method, path)
    if fault is not None and fault.status:  # a 4xx from the API itself: after the limiter, with the headers
        response = fault_response(fault)
        response.headers.update(limits)
        return response, None
    response = await _handle(fake, request, route, params, exists, body, files, fault)
    response.headers.update(limits)
    return response, None


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


async def _handle(
    fake: FakeDiscord,
    request: web.Request,
    route: Route | None,
    params: dict[str, str],
    exists: bool,
    body: Any,
    files: list[dict[str, Any]],
    fault: Fault | None,
) -> web.Response:
    delay = fault.delay if fault is not None else 0.0  # a slow answer: the work is done, the reply comes late
    if route is None:
        if exists:
            return json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
        return json_response({"message": "404: Not Found", "code": 0}, 404)
    try:
        result = await route.handler(Ctx(fake, request, params, body, files))
    except FakeError as exc:
        return json_response(exc.body, exc.status)
    except (KeyError, ValueError, TypeError) as exc:
        return json_response(
            {"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": [{"message": repr(exc)}]}}, 400
        )
    if delay > 0:
        await asyncio.sleep(delay)
    if result is None:
        return web.Response(status=204)
    return json_response(result)


def install(app: web.Application, fake: FakeDiscord) -> None:
    from . import rest_routes  # noqa: F401  (registers the routes on ``router``)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await dispatch(fake, request)

    app.router.add_route("*", "/api/v10/{tail:.*}", handle)
    app.router.add_route("*", "/api/v9/{tail:.*}", handle)
