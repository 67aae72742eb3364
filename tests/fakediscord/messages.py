"""Creating, editing and deleting messages the way Discord validates them."""

from __future__ import annotations

import re
import time
from typing import Any

from .payloads import member_json, user_json
from .state import (
    ATTACH_FILES,
    EMBED_LINKS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeError,
    State,
    missing_access,
    missing_permissions,
    now_iso,
)

EPHEMERAL = 64
NONCE_WINDOW = 300.0  # seconds Discord remembers an enforced nonce ("the past few minutes")
LOADING = 128
SUPPRESS_EMBEDS = 4
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def form_error(field: str, code: str, message: str) -> FakeError:
    return FakeError(400, "Invalid Form Body", 50035, {field: {"_errors": [{"code": code, "message": message}]}})


def check_can_send(state: State, channel: dict[str, Any]) -> int:
    """Bot permissions in the channel; raises like Discord when it may not post there."""
    if channel["type"] == 1:
        if channel["recipient_id"] in state.dms_closed:
            raise FakeError(403, "Cannot send messages to this user", 50007)
        return state.channel_permissions(channel, state.bot_user_id)
    perms = state.channel_permissions(channel, state.bot_user_id)
    if not perms & VIEW_CHANNEL:
        raise missing_access()
    if not perms & SEND_MESSAGES:
        raise missing_permissions()
    return perms


def check_can_read(state: State, channel: dict[str, Any]) -> None:
    perms = state.channel_permissions(channel, state.bot_user_id)
    if not perms & VIEW_CHANNEL:
        raise missing_access()
    if not perms & READ_MESSAGE_HISTORY:
        raise missing_permissions()


def _validate(body: dict[str, Any], files: list[dict[str, Any]], *, partial: bool) -> None:
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        raise form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds")
    if embeds is not None and len(embeds) > 10:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    for i, embed in enumerate(embeds or []):
        if len(str(embed.get("title") or "")) > 256:
            raise form_error(f"embeds.{i}.title", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length.")
        if len(str(embed.get("description") or "")) > 4096:
            raise form_error(f"embeds.{i}.description", "BASE_TYPE_MAX_LENGTH", "Must be 4096 or fewer in length.")
        if len(embed.get("fields") or []) > 25:
            raise form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    if len(body.get("components") or []) > 5 and not int(body.get("flags") or 0) & (1 << 15):
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    if not partial and not (
        content or embeds or body.get("components") or files or body.get("sticker_ids") or body.get("poll")
    ):
        raise FakeError(400, "Cannot send an empty message", 50006)


def _mentions(
    state: State, channel: dict[str, Any], content: str, allowed: dict[str, Any] | None, perms: int
) -> tuple[list[dict[str, Any]], list[str], bool]:
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    allowed_users = {str(u) for u in (allowed or {}).get("users", [])}
    allowed_roles = {str(r) for r in (allowed or {}).get("roles", [])}
    users: list[dict[str, Any]] = []
    for uid in dict.fromkeys(USER_MENTION.findall(content)):
        if ("users" in parse or uid in allowed_users) and int(uid) in state.users:
            users.append(user_json(state, int(uid)))
    roles: list[str] = []
    guild = state.guilds.get(channel["guild_id"]) if channel["guild_id"] else None
    for rid in dict.fromkeys(ROLE_MENTION.findall(content)):
        if guild and int(rid) in guild["roles"] and ("roles" in parse or rid in allowed_roles):
            roles.append(rid)
    everyone = ("@everyone" in content or "@here" in content) and "everyone" in parse and bool(perms & MENTION_EVERYONE)
    return users, roles, everyone


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG (from its IHDR chunk), as Discord reports them for images; None otherwise."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _attachments(state: State, body: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    described = {str(a.get("id")): a for a in body.get("attachments") or []}
    for index, f in enumerate(files):
        meta = described.get(str(index), {})
        aid = state.snowflake()
        attachment: dict[str, Any] = {
            "id": str(aid),
            "filename": meta.get("filename") or f["filename"],
            "description": meta.get("description"),
            "content_type": f.get("content_type"),
            "size": f["size"],
            "url": f"https://cdn.discordapp.com/attachments/0/{aid}/{f['filename']}",
            "proxy_url": f"https://media.discordapp.net/attachments/0/{aid}/{f['filename']}",
        }
        size = _image_size(f.get("data") or b"")
        if size is not None:
            attachment["width"], attachment["height"] = size
        state.attachment_data[aid] = bytes(f.get("data") or b"")
        out.append(attachment)
    return out


def _resolve_attachment_urls(embeds: list[dict[str, Any]], attachments: list[dict[str, Any]]) -> None:
    """``attachment://name`` in an embed's image or thumbnail becomes that attachment's URL, as Discord does (an
    unknown name stays as it was: Discord shows no picture)."""
    by_name = {a["filename"]: a for a in attachments}
    for embed in embeds:
        for key in ("image", "thumbnail"):
            url = str((embed.get(key) or {}).get("url") or "")
            if url.startswith("attachment://") and url.removeprefix("attachment://") in by_name:
                found = by_name[url.removeprefix("attachment://")]
                embed[key] = dict(embed[key], url=found["url"], proxy_url=found["proxy_url"])
                if "width" in found:
                    embed[key].update(width=found["width"], height=found["height"])


def emit_message_event(state: State, t: str, msg: dict[str, Any]) -> None:
    if int(msg["flags"]) & EPHEMERAL:
        return
    channel = state.channels.get(int(msg["channel_id"]))
    if channel is None:
        return
    guild_id = channel["guild_id"]
    state.emit(t, msg, guild_id, INTENT_GUILD_MESSAGES if guild_id else INTENT_DIRECT_MESSAGES)


def create_message(
    state: State,
    channel: dict[str, Any],
    body: dict[str, Any],
    files: list[dict[str, Any]] | None = None,
    *,
    author_id: int | None = None,
    check_permissions: bool = True,
    msg_type: int = 0,
    extra: dict[str, Any] | None = None,
    allow_empty: bool = False,
) -> dict[str, Any]:
    files = files or []
    author_id = state.bot_user_id if author_id is None else author_id
    perms = check_can_send(state, channel) if check_permissions else state.channel_permissions(channel, author_id)
    _validate(body, files, partial=allow_empty)
    if files and check_permissions and channel["type"] != 1 and not perms & ATTACH_FILES:
        raise missing_permissions()
    ref = body.get("message_reference")
    referenced = None
    if ref and ref.get("message_id"):
        referenced = state.messages.get(int(ref["message_id"]))
        if referenced is None and ref.get("fail_if_not_exists", True):
            raise form_error("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        if msg_type == 0:
            msg_type = 19
    nonce_key = (author_id, str(body["nonce"])) if body.get("nonce") is not None and body.get("enforce_nonce") else None
    if nonce_key is not None:
        seen = state.nonces.get(nonce_key)
        if seen is not None and time.monotonic() - seen[1] < NONCE_WINDOW and seen[0] in state.messages:
            state.nonce_hits.append(nonce_key)  # tests tell "the bot knew it was done" from "Discord dropped it"
            return state.messages[seen[0]]  # the same nonce again: the existing message, nothing new
    mid = state.snowflake()
    if nonce_key is not None:
        state.nonces[nonce_key] = (mid, time.monotonic())
    content = str(body.get("content") or "")
    embeds = [dict(e, type=e.get("type", "rich")) for e in body.get("embeds") or []]
    if not perms & EMBED_LINKS:
        embeds = []  # Discord silently drops embeds the bot may not post
    mentions, mention_roles, mention_everyone = _mentions(state, channel, content, body.get("allowed_mentions"), perms)
    msg: dict[str, Any] = {
        "id": str(mid),
        "channel_id": str(channel["id"]),
        "author": user_json(state, author_id),
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": mention_everyone,
        "mentions": mentions,
        "mention_roles": mention_roles,
        "attachments": _attachments(state, body, files),
        "embeds": embeds,
        "reactions": [],
        "pinned": False,
        "type": msg_type,
        "flags": int(body.get("flags") or 0),
        "components": list(body.get("components") or []),
    }
    if body.get("nonce") is not None:
        msg["nonce"] = body["nonce"]
    if channel["guild_id"]:
        msg["guild_id"] = str(channel["guild_id"])
        guild = state.guilds[channel["guild_id"]]
        if author_id in guild["members"]:
            msg["member"] = member_json(state, guild, author_id, with_user=False)
    if ref and referenced is not None:
        msg["message_reference"] = {"type": 0, "message_id": referenced["id"], "channel_id": referenced["channel_id"]}
        if referenced.get("guild_id"):
            msg["message_reference"]["guild_id"] = referenced["guild_id"]
        msg["referenced_message"] = {k: v for k, v in referenced.items() if k != "referenced_message"}
    if extra:
        msg.update(extra)
    _resolve_attachment_urls(msg["embeds"], msg["attachments"])
    state.messages[mid] = msg
    emit_message_event(state, "MESSAGE_CREATE", msg)
    return msg


def edit_message(
    state: State, msg: dict[str, Any], body: dict[str, Any], files: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    files = files or []
    _validate(body, files, partial=True)
    channel = state.channels.get(int(msg["channel_id"]))
    perms = state.channel_permissions(channel, state.bot_user_id) if channel else -1
    if "content" in body:
        msg["content"] = str(body["content"] or "")
    if "embeds" in body:
        embeds = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or []]
        msg["embeds"] = embeds if perms & EMBED_LINKS else []
    if "components" in body:
        msg["components"] = list(body["components"] or [])
    if "flags" in body and body["flags"] is not None:
        keep = int(msg["flags"]) & (EPHEMERAL | (1 << 15))
        msg["flags"] = keep | (int(body["flags"]) & SUPPRESS_EMBEDS) | (int(body["flags"]) & (1 << 15))
    if "attachments" in body or files:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in msg["attachments"] if a["id"] in kept_ids]
        msg["attachments"] = kept + _attachments(state, body, files)
    _resolve_attachment_urls(msg["embeds"], msg["attachments"])
    if "allowed_mentions" in body and channel is not None:
        mentions, roles, everyone = _mentions(state, channel, msg["content"], body["allowed_mentions"], perms)
        msg.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
    msg["flags"] = int(msg["flags"]) & ~LOADING
    msg["edited_timestamp"] = now_iso()
    emit_message_event(state, "MESSAGE_UPDATE", msg)
    return msg


def delete_message(state: State, msg: dict[str, Any]) -> None:
    state.messages.pop(int(msg["id"]), None)
    if int(msg["flags"]) & EPHEMERAL:
        return
    channel = state.channels.get(int(msg["channel_id"]))
    data = {"id": msg["id"], "channel_id": msg["channel_id"]}
    if channel and channel["guild_id"]:
        data["guild_id"] = str(channel["guild_id"])
    if channel is not None:
        guild_id = channel["guild_id"]
        state.emit("MESSAGE_DELETE", data, guild_id, INTENT_GUILD_MESSAGES if guild_id else INTENT_DIRECT_MESSAGES)
