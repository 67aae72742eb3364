"""FakeDiscord: the aiohttp app (REST + gateway + control API) and its Python API for tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import control, oauth, rest
from .gateway import HEARTBEAT_ACK_DELAY, Gateway
from .interactions import build_interaction
from .messages import create_message, delete_message
from .payloads import channel_json, guild_create_json, member_json, role_json
from .ratelimits import RateLimiter
from .state import INTENT_GUILD_MEMBERS, INTENT_GUILDS, FakeError, Fault, State


class FakeDiscord:
    """A wire-level stand-in for Discord's REST API and gateway, on loopback."""

    def __init__(
        self,
        token: str = "test-token",  # noqa: S107
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_user_id: int | None = None,
        owner_id: int | None = None,
        shard_count: int = 1,
        heartbeat_interval_ms: int = 41250,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
        interaction_callback_timeout: float | None = None,
        rate_limits: bool = False,
        rate_limit_clock: Callable[[], float] | None = None,
        oauth_client_secret: str | None = None,
        oauth_redirect_uris: list[str] | None = None,
    ) -> None:
        """``rate_limits=True`` enforces Discord's rate limits (see ``ratelimits.py``; off by default, switchable
        later with ``fake.ratelimits.enabled`` or ``POST /_fake/ratelimits``); ``rate_limit_clock`` (epoch seconds,
        ``time.time`` by default) is the limiter's clock, which ``fake.ratelimits.advance(s)`` also moves (OAuth2 codes
        and tokens expire on it too). ``oauth_client_secret`` (random by default) and ``oauth_redirect_uris`` (none by
        default) register the application as an OAuth2 client (see ``oauth.py``)."""
        self.host = host
        self.port = port
        self.shard_count = shard_count
        self.interaction_callback_timeout = interaction_callback_timeout
        self.state = State(token, bot_user_id=bot_user_id, owner_id=owner_id)
        self.ratelimits = RateLimiter(enabled=rate_limits, clock=rate_limit_clock)
        self.oauth = oauth.OAuth(redirect_uris=list(oauth_redirect_uris or []))
        if oauth_client_secret is not None:
            self.oauth.client_secret = oauth_client_secret
        self.gateway = Gateway(self.state, lambda: self.gateway_url, heartbeat_interval_ms, heartbeat_ack_delay)
        self._runner: web.AppRunner | None = None

    # ---------------------------------------------------------------- server
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handler)
        app.router.add_get("/", self.gateway.handler)
        control.install(app, self)
        oauth.install(app, self)  # before rest: its /api/v10 routes win over the catch-all
        rest.install(app, self)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_user_id(self) -> int:
        return self.state.bot_user_id

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def owner_id(self) -> int:
        return self.state.owner_id

    # ----------------------------------------------------------------- state
    def add_guild(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create (or replace) a guild; sends GUILD_CREATE to the session owning its shard."""
        guild = self.state.add_guild(spec)
        session = self.gateway.session_for(guild["id"])
        if session is not None and session.ready:
            all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
            session.dispatch("GUILD_CREATE", guild_create_json(self.state, guild, all_members=all_members))
        return guild_create_json(self.state, guild, all_members=True)

    def add_guilds_bulk(self, spec: dict[str, Any]) -> dict[str, Any]:
        """``{"count": N, "channels_per_guild": 1, "members_per_guild": 0, "name_prefix": "guild",
        "preferred_locale": "en-US"}``: N small guilds at once (each with text channels, the bot and the owner, and
        ``members_per_guild`` more members). A connected bot gets a GUILD_CREATE per guild, as when it joins them;
        one that connects later gets them at READY. Returns the ids: ``{"count", "guilds": [{"id", "channels"}]}``."""
        count = int(spec["count"])
        per_guild = int(spec.get("channels_per_guild", 1))
        members = int(spec.get("members_per_guild", 0))
        prefix = str(spec.get("name_prefix", "guild"))
        locale = str(spec.get("preferred_locale", "en-US"))
        state = self.state
        created = []
        for n in range(count):
            gid = state.snowflake()
            channels = [{"id": state.snowflake(), "name": f"channel-{c}", "type": 0} for c in range(per_guild)]
            member_specs = []
            for _ in range(members):
                uid = state.snowflake()
                member_specs.append({"id": uid, "name": f"user{uid}"})
            guild = state.add_guild(
                {
                    "id": gid,
                    "name": f"{prefix} {n}",
                    "channels": channels,
                    "members": member_specs,
                    "preferred_locale": locale,
                }
            )
            session = self.gateway.session_for(gid)
            if session is not None and session.ready:
                all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
                session.dispatch("GUILD_CREATE", guild_create_json(state, guild, all_members=all_members))
            created.append({"id": str(gid), "channels": [str(c["id"]) for c in channels]})
        return {"count": count, "guilds": created}

    def add_channel(self, spec: dict[str, Any]) -> dict[str, Any]:
        guild = self.state.get_guild(int(spec["guild_id"]))
        channel = self.state._store_channel(guild, spec, len(guild["channels"]))
        data = channel_json(self.state, channel)
        self.state.emit("CHANNEL_CREATE", data, guild["id"], None)
        return data

    def update_channel(self, channel_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """Change an existing channel (name, topic, permission_overwrites, ...); sends CHANNEL_UPDATE."""
        channel = self.state.get_channel(channel_id)
        if channel["guild_id"] is None:
            raise FakeError(400, "cannot update a DM channel")
        guild = self.state.guilds[channel["guild_id"]]
        channel = self.state._store_channel(guild, dict(spec, id=channel_id), channel["position"])
        data = channel_json(self.state, channel)
        self.state.emit("CHANNEL_UPDATE", data, guild["id"], None)
        return data

    def add_member(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add or update a member ({"guild_id","id","name","roles","permissions"}); "permissions" are added to
        what @everyone and the member's roles grant, like a role of the member's own."""
        guild = self.state.get_guild(int(spec["guild_id"]))
        member, created = self.state._store_member(guild, spec)
        data = member_json(self.state, guild, member["user_id"])
        event = dict(data, guild_id=str(guild["id"]))
        self.state.emit(
            "GUILD_MEMBER_ADD" if created else "GUILD_MEMBER_UPDATE", event, guild["id"], INTENT_GUILD_MEMBERS
        )
        return data

    def add_role(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create or change a role ({"guild_id","id"?,"name","permissions","position","mentionable",...}; fields
        left out keep their value); sends GUILD_ROLE_CREATE or GUILD_ROLE_UPDATE, as Discord does."""
        guild = self.state.get_guild(int(spec["guild_id"]))
        rid = int(spec["id"]) if "id" in spec else self.state.snowflake()
        existing = guild["roles"].get(rid)
        merged = {**(existing or {}), **{k: v for k, v in spec.items() if k != "guild_id"}, "id": rid}
        role = self.state._store_role(guild, merged, default_position=1)
        event = {"guild_id": str(guild["id"]), "role": role_json(role)}
        self.state.emit("GUILD_ROLE_UPDATE" if existing else "GUILD_ROLE_CREATE", event, guild["id"], INTENT_GUILDS)
        return role_json(role)

    def add_user(self, spec: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.add_user(spec))

    def set_dms_open(self, user_id: int, open: bool = True) -> None:
        self.state.get_user(user_id)
        if open:
            self.state.dms_closed.discard(user_id)
        else:
            self.state.dms_closed.add(user_id)

    def post_user_message(self, channel_id: int, user_id: int, content: str) -> dict[str, Any]:
        """A user posts a message (MESSAGE_CREATE to the bot if it has the messages intent)."""
        channel = self.state.get_channel(channel_id)
        return create_message(self.state, channel, {"content": content}, author_id=user_id, check_permissions=False)

    def delete_message(self, channel_id: int, message_id: int) -> None:
        """Delete a message as a user/moderator would (MESSAGE_DELETE)."""
        delete_message(self.state, self.state.get_message(channel_id, message_id))

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        """The channel's current (non-ephemeral, non-deleted) messages, oldest first."""
        return self.state.channel_messages(channel_id)

    def message(self, message_id: int) -> dict[str, Any] | None:
        """Any live message by id, ephemeral ones included."""
        return self.state.messages.get(message_id)

    # ---------------------------------------------------------- interactions
    async def interact(self, spec: dict[str, Any]) -> dict[str, str]:
        """Dispatch INTERACTION_CREATE to the bot session owning the guild's shard."""
        guild_id = int(spec["guild_id"]) if spec.get("guild_id") else None
        session = self.gateway.session_for(guild_id)
        if session is None:
            raise RuntimeError("no bot session is connected to the gateway for this guild's shard")
        inter = build_interaction(self.state, spec)
        session.dispatch("INTERACTION_CREATE", inter.payload)
        return {"interaction_id": str(inter.id), "token": inter.token}

    def interaction_payload(self, interaction_id: int | str) -> dict[str, Any]:
        return self._interaction(interaction_id).payload

    def responses(self, interaction_id: int | str) -> list[dict[str, Any]]:
        """What the bot answered, in order: callback, followups, edits/deletes of the original."""
        return list(self._interaction(interaction_id).responses)

    async def wait_for_response(
        self, interaction_id: int | str, kind: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Until ``count`` responses (of ``kind``, if given) were recorded; returns them."""
        inter = self._interaction(interaction_id)

        def matching() -> list[dict[str, Any]]:
            found = [r for r in inter.responses if kind is None or r["kind"] == kind]
            return found if len(found) >= count else []

        return await self.state.wait_until(matching, timeout, f"{count} {kind or 'any'} response(s)")

    def _interaction(self, interaction_id: int | str) -> Any:
        try:
            return self.state.interactions[int(interaction_id)]
        except KeyError:
            raise FakeError(404, "Unknown interaction", 10062) from None

    # ------------------------------------------------------- requests/faults
    @property
    def requests(self) -> list[dict[str, Any]]:
        return list(self.state.requests)

    def clear_requests(self) -> None:
        self.state.requests.clear()

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 5.0, *, start: int = 0
    ) -> dict[str, Any]:
        """First recorded REST call (index >= ``start``) with this method whose path matches ``path_regex``."""
        pattern = re.compile(path_regex)

        def find() -> dict[str, Any] | None:
            for entry in self.state.requests[start:]:
                if entry["method"] == method.upper() and pattern.search(entry["path"]):
                    return entry
            return None

        return await self.state.wait_until(find, timeout, f"{method} {path_regex}")

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        fault = Fault(
            method=str(spec.get("method", "*")),
            path_regex=str(spec.get("path_regex", ".*")),
            status=int(spec["status"]),
            count=int(spec.get("count", 1)),
            retry_after=float(spec.get("retry_after", 1.0)),
            code=int(spec["code"]) if spec.get("code") is not None else None,
            message=spec.get("message"),
            is_global=bool(spec.get("global", False)),
            delay=float(spec.get("delay", 0.0)),
        )
        self.state.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.state.faults.clear()

    # --------------------------------------------------------------- gateway
    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Until every shard has IDENTIFIED and was sent READY + its GUILD_CREATEs."""
        await self.state.wait_until(self.gateway.all_ready, timeout, "a READY bot session")

    async def disconnect_gateway(self, code: int = 4000) -> int:
        """Close the bot's websocket(s); with a resumable code the bot must RESUME. Returns how many closed."""
        return await self.gateway.disconnect(code)

    async def wait_resumed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until the live sessions have RESUMED ``count`` times in total and are connected again."""

        def resumed() -> bool:
            live = self.gateway.live_sessions()
            return sum(s.resumes for s in live) >= count and all(s.conn is not None for s in live)

        await self.state.wait_until(resumed, timeout, "a RESUME")

    async def dispatch_event(self, t: str, d: dict[str, Any]) -> int:
        """Send a raw dispatch: to the shard owning ``d["guild_id"]`` if present, else to every live session."""
        if d.get("guild_id"):
            session = self.gateway.session_for(int(d["guild_id"]))
            sessions = [session] if session is not None else []
        else:
            sessions = self.gateway.live_sessions()
        for session in sessions:
            session.dispatch(t, d)
        return len(sessions)

    def summary(self) -> dict[str, Any]:
        return {
            "api_base_url": self.api_base_url,
            "gateway_url": self.gateway_url,
            "bot_user_id": str(self.bot_user_id),
            "application_id": str(self.application_id),
            "oauth2": self.oauth.summary(self.application_id),
            "guilds": [{"id": str(g["id"]), "name": g["name"]} for g in self.state.guilds.values()],
            "sessions": [
                {
                    "id": s.id,
                    "shard": [s.shard_id, s.shard_count],
                    "intents": s.intents,
                    "seq": s.seq,
                    "connected": s.conn is not None,
                    "alive": s.alive,
                    "resumes": s.resumes,
                }
                for s in self.gateway.sessions.values()
            ],
        }
