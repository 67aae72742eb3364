"""The ``/_fake/...`` control API: set up state, inject interactions/events/faults, inspect what the bot did."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .httputil import json_response, read_body
from .state import FakeError

if TYPE_CHECKING:
    from .server import FakeDiscord

ControlHandler = Callable[[web.Request, Any], Awaitable[Any]]


def install(app: web.Application, fake: FakeDiscord) -> None:
    def route(method: str, path: str) -> Callable[[ControlHandler], ControlHandler]:
        def deco(fn: ControlHandler) -> ControlHandler:
            async def handle(request: web.Request) -> web.StreamResponse:
                try:
                    body, _files = await read_body(request)
                    result = await fn(request, body if body is not None else {})
                except FakeError as exc:
                    return json_response(exc.body, exc.status)
                except RuntimeError as exc:
                    return json_response({"message": str(exc), "code": 0}, 409)
                except (KeyError, ValueError, TypeError) as exc:
                    return json_response({"message": f"bad request: {exc!r}", "code": 0}, 400)
                if result is None:
                    return web.Response(status=204)
                return json_response(result)

            app.router.add_route(method, "/_fake" + path, handle)
            return fn

        return deco

    def mi(request: web.Request, name: str) -> int:
        return int(request.match_info[name])

    @route("GET", "/state")
    async def summary(request: web.Request, body: Any) -> Any:
        return fake.summary()

    @route("POST", "/guilds")
    async def add_guild(request: web.Request, body: Any) -> Any:
        return fake.add_guild(body)

    @route("POST", "/guilds/bulk")
    async def add_guilds_bulk(request: web.Request, body: Any) -> Any:
        return fake.add_guilds_bulk(body)

    @route("POST", "/channels")
    async def add_channel(request: web.Request, body: Any) -> Any:
        return fake.add_channel(body)

    @route("PATCH", "/channels/{channel_id}")
    async def patch_channel(request: web.Request, body: Any) -> Any:
        return fake.update_channel(mi(request, "channel_id"), body)

    @route("GET", "/channels/{channel_id}/messages")
    async def channel_messages(request: web.Request, body: Any) -> Any:
        return fake.messages(mi(request, "channel_id"))

    async def attachment(request: web.Request) -> web.StreamResponse:
        """The bytes of an uploaded file (what Discord's CDN serves at the attachment's URL)."""
        data = fake.state.attachment_data.get(int(request.match_info["attachment_id"]))
        if data is None:
            return json_response({"message": "Unknown Attachment", "code": 0}, 404)
        return web.Response(body=data)

    app.router.add_get("/_fake/attachments/{attachment_id:[0-9]+}", attachment)

    @route("POST", "/channels/{channel_id}/messages")
    async def user_message(request: web.Request, body: Any) -> Any:
        return fake.post_user_message(mi(request, "channel_id"), int(body["user_id"]), body.get("content", ""))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(request: web.Request, body: Any) -> Any:
        fake.delete_message(mi(request, "channel_id"), mi(request, "message_id"))

    @route("POST", "/members")
    async def add_member(request: web.Request, body: Any) -> Any:
        return fake.add_member(body)

    @route("POST", "/roles")
    async def add_role(request: web.Request, body: Any) -> Any:
        return fake.add_role(body)

    @route("POST", "/users/{user_id}/dms")
    async def set_dms(request: web.Request, body: Any) -> Any:
        fake.set_dms_open(mi(request, "user_id"), bool(body.get("open", True)))
        return {"user_id": request.match_info["user_id"], "open": bool(body.get("open", True))}

    @route("POST", "/interactions")
    async def interact(request: web.Request, body: Any) -> Any:
        return await fake.interact(body)

    @route("GET", "/interactions/{interaction_id}")
    async def get_interaction(request: web.Request, body: Any) -> Any:
        return fake.interaction_payload(mi(request, "interaction_id"))

    @route("GET", "/interactions/{interaction_id}/responses")
    async def responses(request: web.Request, body: Any) -> Any:
        return fake.responses(mi(request, "interaction_id"))

    @route("GET", "/commands")
    async def commands(request: web.Request, body: Any) -> Any:
        return {str(k) if k is not None else "global": v for k, v in fake.state.commands.items()}

    @route("GET", "/requests")
    async def get_requests(request: web.Request, body: Any) -> Any:
        return fake.requests

    @route("DELETE", "/requests")
    async def clear_requests(request: web.Request, body: Any) -> Any:
        fake.clear_requests()

    @route("GET", "/faults")
    async def get_faults(request: web.Request, body: Any) -> Any:
        return [vars(f) for f in fake.state.faults]

    @route("POST", "/faults")
    async def add_fault(request: web.Request, body: Any) -> Any:
        return vars(fake.add_fault(body))

    @route("DELETE", "/faults")
    async def clear_faults(request: web.Request, body: Any) -> Any:
        fake.clear_faults()

    @route("GET", "/ratelimits")
    async def get_ratelimits(request: web.Request, body: Any) -> Any:
        all_buckets = request.query.get("buckets", "") in ("all", "1", "true")
        return fake.ratelimits.stats(all_buckets=all_buckets)

    @route("POST", "/ratelimits")
    async def set_ratelimits(request: web.Request, body: Any) -> Any:
        fake.ratelimits.configure(body)
        return fake.ratelimits.stats()

    @route("DELETE", "/ratelimits")
    async def reset_ratelimits(request: web.Request, body: Any) -> Any:
        fake.ratelimits.reset()

    @route("POST", "/ratelimits/clock")
    async def advance_clock(request: web.Request, body: Any) -> Any:
        return {"clock": fake.ratelimits.advance(float(body.get("advance", 0)))}

    @route("POST", "/messages/{message_id}/age")
    async def age_message(request: web.Request, body: Any) -> Any:
        mid = mi(request, "message_id")
        if fake.message(mid) is None:
            raise FakeError(404, "Unknown Message", 10008)
        fake.ratelimits.age_message(mid, float(body["seconds"]))
        return {"message_id": str(mid), "age": fake.ratelimits.message_age(mid)}

    @route("POST", "/gateway/disconnect")
    async def disconnect(request: web.Request, body: Any) -> Any:
        return {"closed": await fake.disconnect_gateway(int(body.get("code", 4000)))}

    @route("POST", "/events")
    async def events(request: web.Request, body: Any) -> Any:
        return {"sessions": await fake.dispatch_event(str(body["t"]), body.get("d") or {})}

    @route("GET", "/oauth2/app")
    async def get_oauth_app(request: web.Request, body: Any) -> Any:
        return fake.oauth.summary(fake.application_id)

    @route("POST", "/oauth2/app")
    async def set_oauth_app(request: web.Request, body: Any) -> Any:
        fake.oauth.configure(body)
        return fake.oauth.summary(fake.application_id)

    @route("POST", "/oauth2/login")
    async def oauth_login(request: web.Request, body: Any) -> Any:
        """Who the browser is "logged in to Discord" as: /oauth2/authorize then approves at once for that user."""
        if body.get("user_id") is None:
            fake.oauth.logged_in = None
        else:
            uid = int(body["user_id"])
            fake.state.get_user(uid)
            fake.oauth.logged_in = uid
        return fake.oauth.summary(fake.application_id)
