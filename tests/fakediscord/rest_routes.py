"""The REST endpoints themselves (registered on ``rest.router``)."""

from __future__ import annotations

import re
from typing import Any

import discord

from . import interactions as ix
from .messages import check_can_read, check_can_send, create_message, delete_message, edit_message
from .payloads import application_json, channel_json, guild_json, member_json, role_json, user_json
from .rest import Ctx, router
from .state import (
    ADD_REACTIONS,
    CREATE_EVENTS,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_SCHEDULED_EVENTS,
    MANAGE_EVENTS,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    FakeError,
    missing_access,
    missing_permissions,
    now_iso,
)

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
LOCALES = frozenset(locale.value for locale in discord.Locale)
"""Discord's locales (https://discord.com/developers/docs/reference#locales), as discord.py lists them."""


# ------------------------------------------------------------------------------------------------ basics
@router.add("GET", "/users/@me")
async def get_me(ctx: Ctx) -> Any:
    return dict(user_json(ctx.state, ctx.state.bot_user_id), verified=True, mfa_enabled=False, email=None)


@router.add("GET", "/users/{user_id}")
async def get_user(ctx: Ctx) -> Any:
    return user_json(ctx.state, ctx.int_param("user_id"))


@router.add("GET", "/gateway/bot")
async def gateway_bot(ctx: Ctx) -> Any:
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return {"url": ctx.fake.gateway_url, "shards": ctx.fake.shard_count, "session_start_limit": limit}


@router.add("GET", "/gateway", auth=False)
async def gateway(ctx: Ctx) -> Any:
    return {"url": ctx.fake.gateway_url}


@router.add("GET", "/oauth2/applications/@me")
@router.add("GET", "/applications/@me")
async def app_info(ctx: Ctx) -> Any:
    return application_json(ctx.state)


# ---------------------------------------------------------------------------------------- app commands
def _check_app(ctx: Ctx) -> None:
    if ctx.params["app_id"] != str(ctx.state.application_id):
        raise FakeError(403, "Missing Access", 50001)


def _form_error(path: str, message: str) -> FakeError:
    return FakeError(400, "Invalid Form Body", 50035, {path: {"_errors": [{"code": "INVALID", "message": message}]}})


def _validate_localizations(spec: dict[str, Any], path: str, *, named: bool, described: bool) -> None:
    """``name_localizations`` / ``description_localizations`` as Discord checks them: known locales, names
    lowercase ``[-_\\w]{1,32}`` (choice names: 1 to 100 characters), descriptions 1 to 100 characters."""
    for key in ("name_localizations", "description_localizations"):
        values = spec.get(key) or {}
        if not isinstance(values, dict):
            raise _form_error(f"{path}.{key}", "Expected a dictionary")
        for locale, text in values.items():
            if locale not in LOCALES:
                raise _form_error(f"{path}.{key}.{locale}", f"Invalid locale {locale!r}")
            text = str(text)
            if key == "name_localizations" and named:
                if not COMMAND_NAME.match(text) or text != text.lower():
                    raise _form_error(f"{path}.{key}.{locale}", f"Invalid localized name {text!r}")
            elif key == "description_localizations" and not described:
                raise _form_error(f"{path}.{key}", "Choices have no description")
            elif not 1 <= len(text) <= 100:
                raise _form_error(f"{path}.{key}.{locale}", "Must be between 1 and 100 in length.")


def _unique_per_locale(items: list[dict[str, Any]], path: str) -> None:
    """Sibling names must stay unique in every language (Discord refuses two options called "serveur")."""
    for locale in LOCALES:
        seen: set[str] = set()
        for item in items:
            shown = (item.get("name_localizations") or {}).get(locale) or item.get("name")
            if shown in seen:
                raise _form_error(f"{path}", f"Duplicate name {shown!r} in locale {locale}")
            seen.add(shown)


def _validate_options(options: list[dict[str, Any]], path: str) -> None:
    if len(options) > 25:
        raise _form_error(f"{path}.options", "Must be 25 or fewer in length.")
    _unique_per_locale(options, f"{path}.options")
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        name = str(opt.get("name", ""))
        if not COMMAND_NAME.match(name) or name != name.lower():
            raise _form_error(f"{path}.options.{i}.name", f"Invalid option name {name!r}")
        if not 1 <= len(str(opt.get("description", ""))) <= 100:
            raise _form_error(f"{path}.options.{i}.description", "Must be between 1 and 100 in length.")
        if name in names:
            raise _form_error(f"{path}.options", f"Duplicate option name {name!r}")
        names.add(name)
        _validate_localizations(opt, f"{path}.options.{i}", named=True, described=True)
        for j, choice in enumerate(opt.get("choices") or []):
            _validate_localizations(choice, f"{path}.options.{i}.choices.{j}", named=False, described=False)
        if int(opt.get("type", 0)) in (1, 2):
            _validate_options(opt.get("options") or [], f"{path}.options.{i}")
            continue
        if opt.get("required"):
            if seen_optional:
                raise _form_error(f"{path}.options.{i}.required", "Required options must be placed before optional")
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            raise _form_error(f"{path}.options.{i}.choices", "Must be 25 or fewer in length.")


def _put_commands(ctx: Ctx, guild_id: int | None) -> list[dict[str, Any]]:
    state = ctx.state
    if not isinstance(ctx.body, list):
        raise _form_error("_", "Expected a list of commands")
    if len(ctx.body) > 100:
        raise _form_error("_", "Must be 100 or fewer in length.")
    _unique_per_locale([spec for spec in ctx.body if int(spec.get("type", 1)) == 1], "_")
    previous = {(c["name"], c["type"]): c for c in state.commands.get(guild_id, [])}
    out = []
    seen: set[tuple[str, int]] = set()
    for i, spec in enumerate(ctx.body):
        ctype = int(spec.get("type", 1))
        name = str(spec.get("name", ""))
        if ctype == 1:
            if not COMMAND_NAME.match(name) or name != name.lower():
                raise _form_error(f"{i}.name", f"Invalid command name {name!r}")
            if not 1 <= len(str(spec.get("description", ""))) <= 100:
                raise _form_error(f"{i}.description", "Must be between 1 and 100 in length.")
            _validate_options(spec.get("options") or [], str(i))
            _validate_localizations(spec, str(i), named=True, described=True)
        if (name, ctype) in seen:
            raise _form_error(f"{i}.name", "Application command names must be unique")
        seen.add((name, ctype))
        old = previous.get((name, ctype))
        cmd = {
            "id": old["id"] if old else str(state.snowflake()),
            "application_id": str(state.application_id),
            "version": str(state.snowflake()),
            "type": ctype,
            "name": name,
            "description": spec.get("description", ""),
            "options": spec.get("options") or [],
            "default_member_permissions": spec.get("default_member_permissions"),
            "dm_permission": spec.get("dm_permission", True),
            "contexts": spec.get("contexts"),
            "integration_types": spec.get("integration_types") or [0],
            "nsfw": bool(spec.get("nsfw", False)),
            "name_localizations": spec.get("name_localizations"),
            "description_localizations": spec.get("description_localizations"),
        }
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        out.append(cmd)
    state.commands[guild_id] = out
    return out


@router.add("GET", "/applications/{app_id}/commands")
async def get_global_commands(ctx: Ctx) -> Any:
    _check_app(ctx)
    return ctx.state.commands.get(None, [])


@router.add("PUT", "/applications/{app_id}/commands")
async def put_global_commands(ctx: Ctx) -> Any:
    _check_app(ctx)
    return _put_commands(ctx, None)


def _joined_guild(ctx: Ctx) -> int:
    """The guild of a guild-command route; Discord answers 403 Missing Access for a guild the app is not in."""
    gid = ctx.int_param("guild_id")
    if gid not in ctx.state.guilds:
        raise missing_access()
    return gid


@router.add("GET", "/applications/{app_id}/guilds/{guild_id}/commands")
async def get_guild_commands(ctx: Ctx) -> Any:
    _check_app(ctx)
    return ctx.state.commands.get(_joined_guild(ctx), [])


@router.add("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
async def put_guild_commands(ctx: Ctx) -> Any:
    _check_app(ctx)
    return _put_commands(ctx, _joined_guild(ctx))


# ---------------------------------------------------------------------------------------- interactions
@router.add("POST", "/interactions/{interaction_id}/{token}/callback", auth=False)
async def interaction_callback(ctx: Ctx) -> Any:
    inter = ctx.state.interactions.get(ctx.int_param("interaction_id"))
    if inter is None or inter.token != ctx.params["token"]:
        raise FakeError(404, "Unknown interaction", 10062)
    result = ix.interaction_callback(ctx.state, inter, ctx.json, ctx.files, ctx.fake.interaction_callback_timeout)
    if ctx.query("with_response", "false").lower() in ("1", "true"):
        return result
    return None


def _webhook_interaction(ctx: Ctx) -> ix.Interaction:
    if ctx.params["app_id"] != str(ctx.state.application_id):
        raise FakeError(404, "Unknown Webhook", 10015)
    return ctx.state.interaction_by_token(ctx.params["token"])


@router.add("POST", "/webhooks/{app_id}/{token}", auth=False)
async def webhook_execute(ctx: Ctx) -> Any:
    inter = _webhook_interaction(ctx)
    msg = ix.followup(ctx.state, inter, ctx.json, ctx.files)
    return msg if ctx.query("wait", "false").lower() in ("1", "true") else None


@router.add("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def webhook_get_message(ctx: Ctx) -> Any:
    return ix.webhook_message(ctx.state, _webhook_interaction(ctx), ctx.params["message_id"])


@router.add("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def webhook_edit_message(ctx: Ctx) -> Any:
    inter = _webhook_interaction(ctx)
    return ix.edit_webhook_message(ctx.state, inter, ctx.params["message_id"], ctx.json, ctx.files)


@router.add("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def webhook_delete_message(ctx: Ctx) -> Any:
    ix.delete_webhook_message(ctx.state, _webhook_interaction(ctx), ctx.params["message_id"])


# -------------------------------------------------------------------------------------------- channels
@router.add("GET", "/channels/{channel_id}")
async def get_channel(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    return channel_json(ctx.state, channel)


@router.add("POST", "/channels/{channel_id}/messages")
async def post_message(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    return create_message(ctx.state, channel, ctx.json, ctx.files)


@router.add("GET", "/channels/{channel_id}/messages")
async def get_messages(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    check_can_read(ctx.state, channel)
    limit = max(1, min(100, int(ctx.query("limit") or 50)))
    msgs = ctx.state.channel_messages(channel["id"])
    if ctx.query("before"):
        msgs = [m for m in msgs if int(m["id"]) < int(ctx.query("before") or 0)]
    if ctx.query("after"):
        after = [m for m in msgs if int(m["id"]) > int(ctx.query("after") or 0)]
        return list(reversed(after[:limit]))
    if ctx.query("around"):
        around = int(ctx.query("around") or 0)
        older = [m for m in msgs if int(m["id"]) <= around][-((limit + 1) // 2) :]
        newer = [m for m in msgs if int(m["id"]) > around][: limit // 2]
        return list(reversed(older + newer))
    return list(reversed(msgs[-limit:]))


@router.add("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    check_can_read(ctx.state, channel)
    msg = ctx.state.get_message(channel["id"], ctx.int_param("message_id"))
    if int(msg["flags"]) & 64:
        raise FakeError(404, "Unknown Message", 10008)
    return msg


@router.add("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def patch_message(ctx: Ctx) -> Any:
    msg = ctx.state.get_message(ctx.int_param("channel_id"), ctx.int_param("message_id"))
    if msg["author"]["id"] != str(ctx.state.bot_user_id) or int(msg["flags"]) & 64:
        raise FakeError(403, "Cannot edit a message authored by another user", 50005)
    return edit_message(ctx.state, msg, ctx.json, ctx.files)


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_channel_message(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    msg = ctx.state.get_message(channel["id"], ctx.int_param("message_id"))
    own = msg["author"]["id"] == str(ctx.state.bot_user_id)
    may_manage = ctx.state.channel_permissions(channel, ctx.state.bot_user_id) & MANAGE_MESSAGES
    if not own and channel["type"] != 1 and not may_manage:
        raise missing_permissions()
    delete_message(ctx.state, msg)


@router.add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_reaction(ctx: Ctx) -> Any:
    channel = ctx.state.get_channel(ctx.int_param("channel_id"))
    check_can_read(ctx.state, channel)
    if not ctx.state.channel_permissions(channel, ctx.state.bot_user_id) & ADD_REACTIONS:
        raise missing_permissions()
    msg = ctx.state.get_message(channel["id"], ctx.int_param("message_id"))
    name = ctx.params["emoji"]
    for reaction in msg["reactions"]:
        if reaction["emoji"]["name"] == name:
            if not reaction["me"]:
                reaction["me"] = True
                reaction["count"] += 1
            return None
    msg["reactions"].append({"emoji": {"id": None, "name": name}, "count": 1, "me": True})
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def remove_reaction(ctx: Ctx) -> Any:
    msg = ctx.state.get_message(ctx.int_param("channel_id"), ctx.int_param("message_id"))
    for reaction in list(msg["reactions"]):
        if reaction["emoji"]["name"] == ctx.params["emoji"] and reaction["me"]:
            reaction["me"] = False
            reaction["count"] -= 1
            if reaction["count"] <= 0:
                msg["reactions"].remove(reaction)
    return None


@router.add("POST", "/channels/{channel_id}/typing")
async def typing(ctx: Ctx) -> Any:
    check_can_send(ctx.state, ctx.state.get_channel(ctx.int_param("channel_id")))


@router.add("POST", "/users/@me/channels")
async def open_dm(ctx: Ctx) -> Any:
    channel = ctx.state.dm_channel_for(int(ctx.json["recipient_id"]))
    return channel_json(ctx.state, channel)


# ---------------------------------------------------------------------------------------------- guilds
@router.add("GET", "/guilds/{guild_id}")
async def get_guild(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    data = guild_json(ctx.state, guild)
    if ctx.query("with_counts", "false").lower() in ("1", "true"):
        data.update(approximate_member_count=len(guild["members"]), approximate_presence_count=0)
    return data


@router.add("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    return [channel_json(ctx.state, ctx.state.channels[c]) for c in guild["channels"]]


@router.add("GET", "/guilds/{guild_id}/roles")
async def get_roles(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    return [role_json(r) for r in guild["roles"].values()]


@router.add("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    ctx.state.get_member(guild, ctx.int_param("user_id"))
    return member_json(ctx.state, guild, ctx.int_param("user_id"))


@router.add("GET", "/guilds/{guild_id}/members")
async def list_members(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    limit = max(1, min(1000, int(ctx.query("limit") or 1)))
    after = int(ctx.query("after") or 0)
    uids = sorted(u for u in guild["members"] if u > after)[:limit]
    return [member_json(ctx.state, guild, u) for u in uids]


def _role_change(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any], int]:
    state = ctx.state
    guild = state.get_guild(ctx.int_param("guild_id"))
    member = state.get_member(guild, ctx.int_param("user_id"))
    rid = ctx.int_param("role_id")
    if rid not in guild["roles"]:
        raise FakeError(404, "Unknown Role", 10011)
    if guild["owner_id"] != state.bot_user_id:
        if not state.base_permissions(guild, state.bot_user_id) & MANAGE_ROLES:
            raise missing_permissions()
        if guild["roles"][rid]["position"] >= state.top_role_position(guild, state.bot_user_id):
            raise missing_permissions()
    return guild, member, rid


def _member_update_event(ctx: Ctx, guild: dict[str, Any], uid: int) -> None:
    data = member_json(ctx.state, guild, uid)
    data["guild_id"] = str(guild["id"])
    ctx.state.emit("GUILD_MEMBER_UPDATE", data, guild["id"], INTENT_GUILD_MEMBERS)


@router.add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_role(ctx: Ctx) -> Any:
    guild, member, rid = _role_change(ctx)
    if rid not in member["roles"]:
        member["roles"].append(rid)
        _member_update_event(ctx, guild, member["user_id"])


@router.add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_role(ctx: Ctx) -> Any:
    guild, member, rid = _role_change(ctx)
    if rid in member["roles"]:
        member["roles"].remove(rid)
        _member_update_event(ctx, guild, member["user_id"])


@router.add("GET", "/guilds/{guild_id}/scheduled-events")
async def list_events(ctx: Ctx) -> Any:
    guild = ctx.state.get_guild(ctx.int_param("guild_id"))
    return list(guild["scheduled_events"].values())


@router.add("POST", "/guilds/{guild_id}/scheduled-events")
async def create_event(ctx: Ctx) -> Any:
    state = ctx.state
    guild = state.get_guild(ctx.int_param("guild_id"))
    if not state.base_permissions(guild, state.bot_user_id) & (MANAGE_EVENTS | CREATE_EVENTS):
        raise missing_permissions()
    body = ctx.json
    entity_type = int(body["entity_type"])
    if not body.get("name") or not body.get("scheduled_start_time"):
        raise FakeError(400, "Invalid Form Body", 50035)
    if entity_type == 3 and (
        not (body.get("entity_metadata") or {}).get("location") or not body.get("scheduled_end_time")
    ):
        raise FakeError(
            400,
            "Invalid Form Body",
            50035,
            {
                "entity_metadata": {
                    "_errors": [
                        {
                            "code": "GUILD_SCHEDULED_EVENT_REQUIRES_LOCATION_AND_END_TIME",
                            "message": "location and end time",
                        }
                    ]
                }
            },
        )
    if entity_type in (1, 2):
        state.get_channel(int(body["channel_id"]))
    eid = state.snowflake()
    event = {
        "id": str(eid),
        "guild_id": str(guild["id"]),
        "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
        "creator_id": str(state.bot_user_id),
        "creator": user_json(state, state.bot_user_id),
        "name": body["name"],
        "description": body.get("description"),
        "scheduled_start_time": body["scheduled_start_time"],
        "scheduled_end_time": body.get("scheduled_end_time"),
        "privacy_level": int(body.get("privacy_level", 2)),
        "status": 1,
        "entity_type": entity_type,
        "entity_id": None,
        "entity_metadata": body.get("entity_metadata"),
        "user_count": 0,
        "image": None,
        "created_at": now_iso(),
    }
    guild["scheduled_events"][eid] = event
    state.emit("GUILD_SCHEDULED_EVENT_CREATE", event, guild["id"], INTENT_GUILD_SCHEDULED_EVENTS)
    return event


def _scheduled_event(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    state = ctx.state
    guild = state.get_guild(ctx.int_param("guild_id"))
    if not state.base_permissions(guild, state.bot_user_id) & (MANAGE_EVENTS | CREATE_EVENTS):
        raise missing_permissions()
    event = guild["scheduled_events"].get(ctx.int_param("event_id"))
    if event is None:
        raise FakeError(404, "Unknown Guild Scheduled Event", 10070)
    return guild, event


@router.add("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def edit_event(ctx: Ctx) -> Any:
    guild, event = _scheduled_event(ctx)
    editable = ("name", "description", "scheduled_start_time", "scheduled_end_time", "entity_metadata", "status")
    event.update({k: v for k, v in ctx.json.items() if k in editable})
    ctx.state.emit("GUILD_SCHEDULED_EVENT_UPDATE", event, guild["id"], INTENT_GUILD_SCHEDULED_EVENTS)
    return event


@router.add("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def delete_event(ctx: Ctx) -> Any:
    guild, event = _scheduled_event(ctx)
    del guild["scheduled_events"][int(event["id"])]
    ctx.state.emit("GUILD_SCHEDULED_EVENT_DELETE", event, guild["id"], INTENT_GUILD_SCHEDULED_EVENTS)
