"""In-memory model of the Discord objects the fake serves: guilds, channels, roles, members, users, messages."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
)
DEFAULT_BOT_ROLE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | MANAGE_ROLES | ATTACH_FILES
)

# Gateway intents
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16

TEXT_CHANNEL_TYPES = {0, 1, 2, 3, 5, 10, 11, 12, 13, 15, 16}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class SnowflakeGenerator:
    """Realistic, strictly increasing snowflakes derived from the current time."""

    def __init__(self) -> None:
        self._last = 0
        self._increment = 0

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        self._increment = (self._increment + 1) & 0xFFF
        value = (ms << 22) | (1 << 17) | self._increment
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


class FakeError(Exception):
    """A Discord-style error: status + JSON body {"message", "code"}."""

    def __init__(self, status: int, message: str, code: int = 0, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {message} ({code})")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def not_found(what: str, code: int) -> FakeError:
    return FakeError(404, f"Unknown {what}", code)


def missing_permissions() -> FakeError:
    return FakeError(403, "Missing Permissions", 50013)


def missing_access() -> FakeError:
    return FakeError(403, "Missing Access", 50001)


def sf(value: Any) -> int:
    return int(value)


def perm_int(value: Any) -> int:
    return int(value) if value is not None else 0


@dataclass
class Fault:
    method: str
    path_regex: str
    status: int
    count: int = 1
    retry_after: float = 1.0
    code: int | None = None
    message: str | None = None
    is_global: bool = False
    delay: float = 0.0  # with status 0: handle the request normally, then answer only after this many seconds

    def matches(self, method: str, path: str) -> bool:
        if self.count <= 0:
            return False
        if self.method not in ("", "*") and self.method.upper() != method.upper():
            return False
        return re.search(self.path_regex, path) is not None


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    responded: bool = False
    original_message_id: int | None = None
    source_message_id: int | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)


class State:
    """Everything the fake knows. Mutated by REST/control handlers; events go out through ``emit``."""

    def __init__(self, token: str, bot_user_id: int | None = None, owner_id: int | None = None) -> None:
        self.token = token
        self.snowflake = SnowflakeGenerator()
        self.bot_user_id: int = bot_user_id or self.snowflake()
        self.application_id: int = self.bot_user_id
        self.owner_id: int = owner_id or self.snowflake()
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}  # every live message (ephemeral ones too), by id
        self.attachment_data: dict[int, bytes] = {}  # uploaded files by attachment id (GET /_fake/attachments/{id})
        # (author id, nonce) -> (message id, monotonic time): Discord's enforce_nonce returns the message created
        # with the same nonce by the same author in the past few minutes instead of creating another
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.nonce_hits: list[tuple[int, str]] = []  # (author, nonce) of posts answered with an existing message
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.dms_closed: set[int] = set()
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None = global) -> commands
        self.interactions: dict[int, Interaction] = {}
        self.requests: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.faults: list[Fault] = []
        self.emit: Callable[[str, dict[str, Any], int | None, int | None], None] = lambda t, d, g, i: None
        self.add_user({"id": self.bot_user_id, "name": "votebot", "bot": True})
        self.add_user({"id": self.owner_id, "name": "owner"})

    # ------------------------------------------------------------------ users
    def add_user(self, spec: dict[str, Any]) -> dict[str, Any]:
        uid = sf(spec["id"])
        user = self.users.get(uid) or {"id": uid}
        name = spec.get("username") or spec.get("name") or user.get("username") or f"user{uid}"
        user.update(
            {
                "username": name,
                "global_name": spec.get("global_name", user.get("global_name", name)),
                "discriminator": "0",
                "avatar": None,
                "bot": bool(spec.get("bot", user.get("bot", False))),
            }
        )
        self.users[uid] = user
        return user

    def get_user(self, uid: int) -> dict[str, Any]:
        try:
            return self.users[uid]
        except KeyError:
            raise not_found("User", 10013) from None

    # ----------------------------------------------------------------- guilds
    def add_guild(self, spec: dict[str, Any]) -> dict[str, Any]:
        gid = sf(spec["id"])
        guild: dict[str, Any] = {
            "id": gid,
            "name": spec.get("name", f"guild {gid}"),
            "owner_id": sf(spec.get("owner_id", self.owner_id)),
            "roles": {},
            "channels": [],
            "members": {},
            "features": list(spec.get("features", [])),
            "preferred_locale": spec.get("preferred_locale", "en-US"),
            "joined_at": now_iso(),
            "scheduled_events": {},
            "bot_role_id": None,
        }
        self.guilds[gid] = guild
        if guild["owner_id"] not in self.users:
            self.add_user({"id": guild["owner_id"]})
        roles = list(spec.get("roles", []))
        if not any(sf(r["id"]) == gid for r in roles):
            roles.insert(0, {"id": gid, "name": "@everyone", "permissions": str(DEFAULT_EVERYONE_PERMISSIONS)})
        for index, rspec in enumerate(roles):
            self._store_role(guild, rspec, default_position=0 if sf(rspec["id"]) == gid else index)
        bot_role = next((r for r in guild["roles"].values() if r["name"] == "votebot"), None)
        if bot_role is None:
            top = max((r["position"] for r in guild["roles"].values()), default=0)
            bot_role = self._store_role(
                guild,
                {
                    "id": self.snowflake(),
                    "name": "votebot",
                    "permissions": str(DEFAULT_BOT_ROLE_PERMISSIONS),
                    "managed": True,
                    "tags": {"bot_id": str(self.bot_user_id)},
                },
                default_position=spec.get("bot_role_position", top + 1),
            )
        guild["bot_role_id"] = bot_role["id"]
        for index, cspec in enumerate(spec.get("channels", [])):
            self._store_channel(guild, cspec, index)
        for mspec in spec.get("members", []):
            self._store_member(guild, mspec)
        if self.bot_user_id not in guild["members"]:
            self._store_member(guild, {"id": self.bot_user_id, "roles": [bot_role["id"]]})
        if guild["owner_id"] not in guild["members"]:
            self._store_member(guild, {"id": guild["owner_id"], "roles": []})
        return guild

    def get_guild(self, gid: int) -> dict[str, Any]:
        try:
            return self.guilds[gid]
        except KeyError:
            raise not_found("Guild", 10004) from None

    def _store_role(self, guild: dict[str, Any], spec: dict[str, Any], default_position: int) -> dict[str, Any]:
        rid = sf(spec["id"])
        role = {
            "id": rid,
            "name": spec.get("name", f"role {rid}"),
            "permissions": perm_int(spec.get("permissions", 0)),
            "position": int(spec.get("position", default_position)),
            "color": int(spec.get("color", 0)),
            "hoist": bool(spec.get("hoist", False)),
            "managed": bool(spec.get("managed", False)),
            "mentionable": bool(spec.get("mentionable", False)),
        }
        if "tags" in spec:
            role["tags"] = spec["tags"]
        guild["roles"][rid] = role
        return role

    def _store_channel(self, guild: dict[str, Any] | None, spec: dict[str, Any], position: int) -> dict[str, Any]:
        cid = sf(spec["id"])
        channel = self.channels.get(cid) or {"id": cid}
        channel.update(
            {
                "guild_id": guild["id"] if guild else None,
                "name": spec.get("name", channel.get("name", f"channel-{cid}")),
                "type": int(spec.get("type", channel.get("type", 0))),
                "position": int(spec.get("position", channel.get("position", position))),
                "topic": spec.get("topic", channel.get("topic")),
                "nsfw": bool(spec.get("nsfw", channel.get("nsfw", False))),
                "parent_id": spec.get("parent_id", channel.get("parent_id")),
                "rate_limit_per_user": int(spec.get("rate_limit_per_user", channel.get("rate_limit_per_user", 0))),
            }
        )
        if "permission_overwrites" in spec or "permission_overwrites" not in channel:
            channel["permission_overwrites"] = [
                {
                    "id": sf(o["id"]),
                    "type": int(o.get("type", 0)),
                    "allow": perm_int(o.get("allow")),
                    "deny": perm_int(o.get("deny")),
                }
                for o in spec.get("permission_overwrites", [])
            ]
        self.channels[cid] = channel
        if guild is not None and cid not in guild["channels"]:
            guild["channels"].append(cid)
        return channel

    def get_channel(self, cid: int) -> dict[str, Any]:
        try:
            return self.channels[cid]
        except KeyError:
            raise not_found("Channel", 10003) from None

    def _store_member(self, guild: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        uid = sf(spec["id"])
        if uid not in self.users or any(k in spec for k in ("name", "username", "global_name", "bot")):
            self.add_user(spec)
        existing = guild["members"].get(uid)
        member = existing or {"user_id": uid, "roles": [], "nick": None, "joined_at": now_iso(), "permissions": None}
        if "roles" in spec:
            member["roles"] = [sf(r) for r in spec["roles"] if sf(r) != guild["id"]]
        if "nick" in spec:
            member["nick"] = spec["nick"]
        if "permissions" in spec:
            member["permissions"] = None if spec["permissions"] is None else perm_int(spec["permissions"])
        for rid in member["roles"]:
            if rid not in guild["roles"]:
                self._store_role(guild, {"id": rid}, default_position=1)
        guild["members"][uid] = member
        return member, existing is None

    def get_member(self, guild: dict[str, Any], uid: int) -> dict[str, Any]:
        try:
            return guild["members"][uid]
        except KeyError:
            raise not_found("Member", 10007) from None

    def dm_channel_for(self, uid: int) -> dict[str, Any]:
        self.get_user(uid)
        cid = self.dm_channels.get(uid)
        if cid is None:
            cid = self.snowflake()
            self.dm_channels[uid] = cid
            self.channels[cid] = {"id": cid, "guild_id": None, "type": 1, "recipient_id": uid, "name": None}
        return self.channels[cid]

    # ------------------------------------------------------------ permissions
    def base_permissions(self, guild: dict[str, Any], uid: int) -> int:
        if uid == guild["owner_id"]:
            return ALL_PERMISSIONS
        member = guild["members"].get(uid)
        perms = guild["roles"][guild["id"]]["permissions"]
        if member is not None:
            # A member's own "permissions" are a shortcut for a role of its own: added to @everyone's and its
            # roles', never taking them away (only the fake knows them: discord.py's Member.guild_permissions reads
            # roles, interactions carry the sum).
            perms |= member["permissions"] or 0
            for rid in member["roles"]:
                role = guild["roles"].get(rid)
                if role is not None:
                    perms |= role["permissions"]
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions(self, channel: dict[str, Any], uid: int) -> int:
        if channel["guild_id"] is None:  # DM
            return VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
        guild = self.guilds[channel["guild_id"]]
        perms = self.base_permissions(guild, uid)
        if perms == ALL_PERMISSIONS:
            return perms
        overwrites = channel.get("permission_overwrites", [])
        member = guild["members"].get(uid)
        member_roles = set(member["roles"]) if member else set()
        for o in overwrites:
            if o["type"] == 0 and o["id"] == guild["id"]:
                perms = (perms & ~o["deny"]) | o["allow"]
        allow = deny = 0
        for o in overwrites:
            if o["type"] == 0 and o["id"] in member_roles:
                allow |= o["allow"]
                deny |= o["deny"]
        perms = (perms & ~deny) | allow
        for o in overwrites:
            if o["type"] == 1 and o["id"] == uid:
                perms = (perms & ~o["deny"]) | o["allow"]
        if not perms & VIEW_CHANNEL:
            return 0
        if not perms & SEND_MESSAGES:
            perms &= ~(SEND_TTS_MESSAGES | MENTION_EVERYONE | ATTACH_FILES | EMBED_LINKS)
        return perms

    def top_role_position(self, guild: dict[str, Any], uid: int) -> int:
        member = guild["members"].get(uid)
        if member is None:
            return 0
        return max((guild["roles"][r]["position"] for r in member["roles"] if r in guild["roles"]), default=0)

    # --------------------------------------------------------------- messages
    def channel_messages(self, cid: int) -> list[dict[str, Any]]:
        """Visible (non-ephemeral) messages of a channel, oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == str(cid) and not int(m["flags"]) & 64]

    def get_message(self, cid: int, mid: int) -> dict[str, Any]:
        msg = self.messages.get(mid)
        if msg is None or msg["channel_id"] != str(cid):
            raise not_found("Message", 10008)
        return msg

    # ------------------------------------------------------------ interactions
    def new_token(self) -> str:
        return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)

    def interaction_by_token(self, token: str, max_age: float = 15 * 60) -> Interaction:
        for inter in self.interactions.values():
            if secrets.compare_digest(inter.token, token):
                if time.monotonic() - inter.created > max_age:
                    break
                return inter
        raise FakeError(401, "Invalid Webhook Token", 50027)

    # ----------------------------------------------------------------- faults
    def find_fault(self, method: str, path: str) -> Fault | None:
        """The fault the next such request would meet, left in place."""
        return next((fault for fault in self.faults if fault.matches(method, path)), None)

    def take_fault(self, method: str, path: str) -> Fault | None:
        fault = self.find_fault(method, path)
        if fault is not None:
            fault.count -= 1
        return fault

    def record(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)
        self.notify()

    def notify(self) -> None:
        """Wake everyone in ``wait_until``: something changed."""
        self.changed.set()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
