"""JSON shapes of Discord objects, built from the fake's state."""

from __future__ import annotations

from typing import Any

from .state import State


def user_json(state: State, uid: int) -> dict[str, Any]:
    user = state.get_user(uid)
    data = {
        "id": str(uid),
        "username": user["username"],
        "global_name": user["global_name"],
        "discriminator": user["discriminator"],
        "avatar": user["avatar"],
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }
    if user["bot"]:
        data["bot"] = True
    return data


def member_json(
    state: State, guild: dict[str, Any], uid: int, *, with_user: bool = True, permissions: int | None = None
) -> dict[str, Any]:
    member = state.get_member(guild, uid)
    data: dict[str, Any] = {
        "roles": [str(r) for r in member["roles"]],
        "nick": member["nick"],
        "avatar": None,
        "banner": None,
        "joined_at": member["joined_at"],
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_json(state, uid)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role_json(role: dict[str, Any]) -> dict[str, Any]:
    data = {
        "id": str(role["id"]),
        "name": role["name"],
        "permissions": str(role["permissions"]),
        "position": role["position"],
        "color": role["color"],
        "colors": {"primary_color": role["color"], "secondary_color": None, "tertiary_color": None},
        "hoist": role["hoist"],
        "managed": role["managed"],
        "mentionable": role["mentionable"],
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if "tags" in role:
        data["tags"] = role["tags"]
    return data


def overwrite_json(o: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(o["id"]), "type": o["type"], "allow": str(o["allow"]), "deny": str(o["deny"])}


def channel_json(state: State, channel: dict[str, Any], *, include_guild_id: bool = True) -> dict[str, Any]:
    if channel["type"] == 1:
        return {
            "id": str(channel["id"]),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_json(state, channel["recipient_id"])],
        }
    data: dict[str, Any] = {
        "id": str(channel["id"]),
        "type": channel["type"],
        "name": channel["name"],
        "position": channel["position"],
        "permission_overwrites": [overwrite_json(o) for o in channel["permission_overwrites"]],
        "parent_id": str(channel["parent_id"]) if channel["parent_id"] else None,
        "nsfw": channel["nsfw"],
        "topic": channel["topic"],
        "rate_limit_per_user": channel["rate_limit_per_user"],
        "last_message_id": None,
        "flags": 0,
    }
    if channel["type"] in (2, 13):
        data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
    if channel["type"] in (15, 16):
        data.update(
            {
                "available_tags": [],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        )
    if include_guild_id:
        data["guild_id"] = str(channel["guild_id"])
    return data


def guild_json(state: State, guild: dict[str, Any]) -> dict[str, Any]:
    """The guild object as returned by GET /guilds/{id}."""
    return {
        "id": str(guild["id"]),
        "name": guild["name"],
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild["owner_id"]),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "preferred_locale": guild["preferred_locale"],
        "features": guild["features"],
        "roles": [role_json(r) for r in guild["roles"].values()],
        "emojis": [],
        "stickers": [],
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "widget_enabled": False,
        "application_id": None,
    }


def guild_create_json(state: State, guild: dict[str, Any], *, all_members: bool) -> dict[str, Any]:
    """The GUILD_CREATE dispatch payload."""
    data = guild_json(state, guild)
    uids = list(guild["members"]) if all_members else [state.bot_user_id]
    data.update(
        {
            "unavailable": False,
            "large": False,
            "lazy": True,
            "joined_at": guild["joined_at"],
            "member_count": len(guild["members"]),
            "channels": [channel_json(state, state.channels[c], include_guild_id=False) for c in guild["channels"]],
            "threads": [],
            "members": [member_json(state, guild, uid) for uid in uids if uid in guild["members"]],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": list(guild["scheduled_events"].values()),
            "soundboard_sounds": [],
        }
    )
    return data


def application_json(state: State) -> dict[str, Any]:
    return {
        "id": str(state.application_id),
        "name": state.users[state.bot_user_id]["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
        "owner": user_json(state, state.owner_id),
        "bot": user_json(state, state.bot_user_id),
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(state.guilds),
        "integration_types_config": {"0": {}},
    }


def partial_channel_json(state: State, channel: dict[str, Any], permissions: int) -> dict[str, Any]:
    """Channel as found in interaction payloads (``channel`` and ``resolved.channels``)."""
    data = channel_json(state, channel)
    data["permissions"] = str(permissions)
    return data
