"""Building INTERACTION_CREATE payloads and handling what the bot answers to them."""

from __future__ import annotations

import time
from typing import Any

from .messages import EPHEMERAL, LOADING, create_message, delete_message, edit_message
from .payloads import member_json, partial_channel_json, role_json, user_json
from .state import FakeError, Interaction, State, now_iso

OPTION_SUBCOMMAND = 1
OPTION_GROUP = 2
REF_TYPES = {6, 7, 8, 9}


def find_command(state: State, name: str, guild_id: int | None, cmd_type: int = 1) -> dict[str, Any] | None:
    scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
    for scope in scopes:
        for cmd in state.commands.get(scope, []):
            if cmd["name"] == name and int(cmd.get("type", 1)) == cmd_type:
                return cmd
    return None


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


class _Builder:
    def __init__(self, state: State, guild: dict[str, Any] | None, channel: dict[str, Any], user_id: int) -> None:
        self.state = state
        self.guild = guild
        self.channel = channel
        self.user_id = user_id
        self.resolved: dict[str, dict[str, Any]] = {}

    def _resolve_user(self, uid: int) -> None:
        self.resolved.setdefault("users", {})[str(uid)] = user_json(self.state, uid)
        if self.guild and uid in self.guild["members"]:
            perms = self.state.channel_permissions(self.channel, uid)
            data = member_json(self.state, self.guild, uid, with_user=False, permissions=perms)
            for key in ("deaf", "mute"):
                data.pop(key)
            self.resolved.setdefault("members", {})[str(uid)] = data

    def _resolve_role(self, rid: int) -> None:
        if not self.guild or rid not in self.guild["roles"]:
            raise FakeError(400, f"unknown role {rid} in interaction options")
        self.resolved.setdefault("roles", {})[str(rid)] = role_json(self.guild["roles"][rid])

    def _resolve_channel(self, cid: int) -> None:
        channel = self.state.get_channel(cid)
        # Discord: "computed permissions for the invoking user in the channel, including overwrites"
        perms = self.state.channel_permissions(channel, self.user_id)
        data = partial_channel_json(self.state, channel, perms)
        self.resolved.setdefault("channels", {})[str(cid)] = data

    def option(self, spec: dict[str, Any], definition: dict[str, Any] | None) -> dict[str, Any]:
        value = spec.get("value")
        opt_type = spec.get("type") or (definition or {}).get("type") or _infer_type(value)
        opt_type = int(opt_type)
        out: dict[str, Any] = {"name": spec["name"], "type": opt_type}
        if opt_type in REF_TYPES:
            ref = int(value)
            if opt_type == 6:
                self._resolve_user(ref)
            elif opt_type == 7:
                self._resolve_channel(ref)
            elif opt_type == 8:
                self._resolve_role(ref)
            elif ref in self.state.users:
                self._resolve_user(ref)
            else:
                self._resolve_role(ref)
            out["value"] = str(ref)
        elif spec.get("focused"):
            out["value"] = value
        elif opt_type == 4:
            out["value"] = int(value)
        elif opt_type == 10:
            out["value"] = float(value)
        elif opt_type == 5:
            out["value"] = bool(value)
        else:
            out["value"] = str(value)
        if spec.get("focused"):
            out["focused"] = True
        return out

    def options(self, specs: list[dict[str, Any]], defs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs}
        return [self.option(s, by_name.get(s["name"])) for s in specs]


def _command_data(b: _Builder, spec: dict[str, Any]) -> dict[str, Any]:
    parts = str(spec["name"]).split()
    cmd_type = int(spec.get("command_type", 1))
    guild_id = b.guild["id"] if b.guild else None
    cmd = find_command(b.state, parts[0], guild_id, cmd_type)
    data: dict[str, Any] = {
        "id": cmd["id"] if cmd else str(b.state.snowflake()),
        "name": parts[0],
        "type": cmd_type,
    }
    if cmd and cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    if cmd_type != 1:
        target = int(spec["target_id"])
        data["target_id"] = str(target)
        if cmd_type == 2:
            b._resolve_user(target)
        else:
            msg = b.state.get_message(int(spec.get("target_channel_id", b.channel["id"])), target)
            b.resolved.setdefault("messages", {})[str(target)] = msg
    defs = (cmd or {}).get("options", [])
    nested: list[dict[str, Any]] = []
    container = nested
    for depth, sub in enumerate(parts[1:]):
        sub_def = next((d for d in defs if d["name"] == sub), None)
        if sub_def is not None:
            sub_type = int(sub_def["type"])
        else:
            sub_type = OPTION_GROUP if depth == 0 and len(parts) == 3 else OPTION_SUBCOMMAND
        node: dict[str, Any] = {"name": sub, "type": sub_type, "options": []}
        container.append(node)
        container = node["options"]
        defs = (sub_def or {}).get("options", [])
    container.extend(b.options(list(spec.get("options", [])), defs))
    if nested or container:
        data["options"] = nested if len(parts) > 1 else container
    if b.resolved:
        data["resolved"] = b.resolved
    return data


def _modal_components(spec: dict[str, Any]) -> list[dict[str, Any]]:
    if "components" in spec:
        return list(spec["components"])
    return [
        {"type": 1, "components": [{"type": 4, "custom_id": str(k), "value": str(v)}]}
        for k, v in dict(spec.get("fields", {})).items()
    ]


def build_interaction(state: State, spec: dict[str, Any]) -> Interaction:
    """Create an interaction from the control API's convenient description."""
    itype = int(spec.get("type", 2))
    uid = int(spec["user_id"])
    guild = state.get_guild(int(spec["guild_id"])) if spec.get("guild_id") else None
    if guild is None:
        channel = state.channels.get(int(spec["channel_id"])) if spec.get("channel_id") else None
        channel = channel or state.dm_channel_for(uid)
    else:
        channel = state.get_channel(int(spec["channel_id"]))
        if channel["guild_id"] != guild["id"]:
            raise FakeError(400, f"channel {channel['id']} is not in guild {guild['id']}")
        state.get_member(guild, uid)
    b = _Builder(state, guild, channel, uid)
    iid = state.snowflake()
    token = state.new_token()
    payload: dict[str, Any] = {
        "id": str(iid),
        "application_id": str(state.application_id),
        "type": itype,
        "token": token,
        "version": 1,
        "locale": spec.get("locale", "en-US"),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "channel_id": str(channel["id"]),
    }
    user_perms = state.channel_permissions(channel, uid)
    app_perms = state.channel_permissions(channel, state.bot_user_id)
    payload["channel"] = partial_channel_json(state, channel, user_perms)
    payload["app_permissions"] = str(app_perms)
    if guild is not None:
        payload.update(
            guild_id=str(guild["id"]),
            guild={"id": str(guild["id"]), "locale": guild["preferred_locale"], "features": guild["features"]},
            guild_locale=guild["preferred_locale"],
            member=member_json(state, guild, uid, permissions=user_perms),
            authorizing_integration_owners={"0": str(guild["id"])},
            context=0,
        )
    else:
        payload.update(user=user_json(state, uid), authorizing_integration_owners={"0": "0"}, context=1)
    source_mid = None
    if itype in (2, 4):
        payload["data"] = _command_data(b, spec)
    elif itype == 3:
        source_mid = int(spec["message_id"])
        message = state.get_message(channel["id"], source_mid)
        payload["message"] = message
        data: dict[str, Any] = {"custom_id": spec["custom_id"], "component_type": int(spec.get("component_type", 2))}
        if "values" in spec:
            data["values"] = [str(v) for v in spec["values"]]
            if data["component_type"] in (5, 6, 7, 8):
                for v in spec["values"]:
                    b.option({"name": "_", "value": v, "type": {5: 6, 6: 8, 7: 9, 8: 7}[data["component_type"]]}, None)
                data["resolved"] = b.resolved
        payload["data"] = data
    elif itype == 5:
        payload["data"] = {"custom_id": spec["custom_id"], "components": _modal_components(spec)}
        if spec.get("message_id"):
            source_mid = int(spec["message_id"])
            payload["message"] = state.get_message(channel["id"], source_mid)
    elif itype != 1:
        raise FakeError(400, f"unsupported interaction type {itype}")
    inter = Interaction(
        id=iid,
        token=token,
        type=itype,
        guild_id=guild["id"] if guild else None,
        channel_id=channel["id"],
        user_id=uid,
        payload=payload,
        source_message_id=source_mid,
    )
    state.interactions[iid] = inter
    return inter


# ---------------------------------------------------------------------------------------------- responses
def _record(state: State, inter: Interaction, kind: str, **fields: Any) -> None:
    inter.responses.append({"kind": kind, "time": time.time(), **fields})
    state.notify()


def _response_extra(state: State, inter: Interaction, msg_type: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"webhook_id": str(state.application_id), "application_id": str(state.application_id)}
    extra["interaction_metadata"] = {
        "id": str(inter.id),
        "type": inter.type,
        "user": user_json(state, inter.user_id),
        "authorizing_integration_owners": inter.payload.get("authorizing_integration_owners", {}),
    }
    if inter.type == 2:
        extra["interaction_metadata"]["name"] = inter.payload["data"]["name"]
    if msg_type == 20:
        extra["interaction"] = {
            "id": str(inter.id),
            "type": inter.type,
            "name": inter.payload["data"]["name"],
            "user": user_json(state, inter.user_id),
        }
    return extra


def _post_response_message(
    state: State, inter: Interaction, body: dict[str, Any], files: list[dict[str, Any]], *, loading: bool = False
) -> dict[str, Any]:
    channel = state.get_channel(inter.channel_id)
    msg_type = 20 if inter.type == 2 else 0
    flags = int(body.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | (1 << 15))
    if loading:
        flags |= LOADING
    body = dict(body, flags=flags)
    # Interaction responses do not need SEND_MESSAGES in the channel.
    return create_message(
        state,
        channel,
        body,
        files,
        check_permissions=False,
        msg_type=msg_type,
        allow_empty=loading,
        extra=_response_extra(state, inter, msg_type),
    )


def interaction_callback(
    state: State, inter: Interaction, body: dict[str, Any], files: list[dict[str, Any]], callback_timeout: float | None
) -> dict[str, Any]:
    if inter.responded:
        raise FakeError(400, "Interaction has already been acknowledged.", 40060)
    if callback_timeout is not None and time.monotonic() - inter.created > callback_timeout:
        raise FakeError(404, "Unknown interaction", 10062)
    rtype = int(body.get("type", 0))
    data = body.get("data") or {}
    allowed = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[inter.type]
    if rtype not in allowed:
        raise FakeError(400, "Interaction response type not allowed for this interaction", 50035)
    inter.responded = True
    ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
    info: dict[str, Any] = {
        "id": str(inter.id),
        "type": inter.type,
        "response_message_loading": rtype == 5,
        "response_message_ephemeral": ephemeral,
    }
    result: dict[str, Any] = {"interaction": info}
    message = None
    if rtype == 4:
        message = _post_response_message(state, inter, data, files)
    elif rtype == 5:
        message = _post_response_message(state, inter, data, files, loading=True)
    elif rtype == 7 and inter.source_message_id is not None:
        source = state.messages.get(inter.source_message_id)
        if source is None:
            raise FakeError(404, "Unknown Message", 10008)
        message = edit_message(state, source, data, files)
    if message is not None:
        if rtype in (4, 5):
            inter.original_message_id = int(message["id"])
        info["response_message_id"] = message["id"]
        result["resource"] = {"type": rtype, "message": message}
    elif rtype in (6, 9):
        result["resource"] = {"type": rtype}
    _record(
        state,
        inter,
        "callback",
        type=rtype,
        data=data,
        message_id=message["id"] if message else None,
        files=[f["filename"] for f in files],
    )
    if rtype in (6, 7) and inter.source_message_id is not None:
        inter.original_message_id = inter.source_message_id
    return result


def _original(state: State, inter: Interaction) -> dict[str, Any]:
    if inter.original_message_id is None or inter.original_message_id not in state.messages:
        raise FakeError(404, "Unknown Message", 10008)
    return state.messages[inter.original_message_id]


def followup(state: State, inter: Interaction, body: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    if not inter.responded:
        raise FakeError(404, "Unknown Webhook", 10015)
    original = state.messages.get(inter.original_message_id or 0)
    if original is not None and int(original["flags"]) & LOADING:
        # The first followup after a "thinking" defer replaces the loading message, as on Discord.
        msg = edit_message(state, original, body, files)
        msg["edited_timestamp"] = None
    else:
        msg = _post_response_message(state, inter, body, files)
    _record(state, inter, "followup", data=body, message_id=msg["id"], files=[f["filename"] for f in files])
    return msg


def webhook_message(state: State, inter: Interaction, mid: str) -> dict[str, Any]:
    if mid == "@original":
        return _original(state, inter)
    msg = state.messages.get(int(mid))
    if msg is None or msg.get("webhook_id") != str(state.application_id) or msg["channel_id"] != str(inter.channel_id):
        raise FakeError(404, "Unknown Message", 10008)
    return msg


def edit_webhook_message(
    state: State, inter: Interaction, mid: str, body: dict[str, Any], files: list[dict[str, Any]]
) -> dict[str, Any]:
    msg = webhook_message(state, inter, mid)
    msg = edit_message(state, msg, body, files)
    kind = "edit_original" if mid == "@original" else "edit_message"
    _record(state, inter, kind, data=body, message_id=msg["id"], files=[f["filename"] for f in files])
    return msg


def delete_webhook_message(state: State, inter: Interaction, mid: str) -> None:
    msg = webhook_message(state, inter, mid)
    delete_message(state, msg)
    _record(state, inter, "delete_original" if mid == "@original" else "delete_message", message_id=msg["id"])


__all__ = [
    "build_interaction",
    "delete_webhook_message",
    "edit_webhook_message",
    "find_command",
    "followup",
    "interaction_callback",
    "now_iso",
    "webhook_message",
]
