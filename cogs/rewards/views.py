"""Texts of the rewards: the thank-you message and the /rewards setup summary. Names are escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.text import clean_player_name, escape, safe_name
from bot.core.time import format_duration
from bot.db.records import FeatureSetting, Server


def thank_you_text(server: Server, player_name: str | None, member_id: int | None, ping: bool, points: int) -> str:
    """The public thank-you: the pinged member is spoken to, anyone else named (or, with no name, just thanked)."""
    game = escape(server.name)
    count = f"**{points}** vote point{'s' if points != 1 else ''}"
    if member_id is not None and ping:
        return f"🎉 Thank you <@{member_id}> for voting for **{game}**! You now have {count}."
    if not clean_player_name(player_name or ""):
        return f"🎉 Thank you for voting for **{game}**!"
    text = f"🎉 Thank you **{safe_name(player_name)}** for voting for **{game}**!"
    return text + (f" That makes {count}." if member_id is not None else "")


def setup_summary(server: Server, setting: FeatureSetting, settings: dict[str, Any]) -> str:
    """The reply to /rewards setup: what each vote now earns, in one sentence."""
    thanks = setting.channel_id is not None and bool(settings["thank_you"])
    role = ""
    if setting.role_id:
        hours = settings["role_hours"]
        lasting = f"for {format_duration(dt.timedelta(hours=hours))}" if hours else "until the vote cooldown ends"
        role = f"the role <@&{setting.role_id}> {lasting}"
    name = escape(server.name)
    if thanks and role:
        return f"Rewards for **{name}**: each vote gets a thank-you in <#{setting.channel_id}> and {role}."
    if thanks:
        return f"Rewards for **{name}**: each vote gets a thank-you in <#{setting.channel_id}>; no role is given."
    if role:
        return f"Rewards for **{name}**: each vote gets {role}; no thank-you message is posted."
    return f"Rewards for **{name}**: votes get no thank-you message and no role."


def thanks_refused_text(server: Server, channel_id: int) -> str:
    return (
        f"I can't post thank-you messages for **{escape(server.name)}** in <#{channel_id}> (the channel is gone or "
        "I lost access). Pick another one with /rewards setup."
    )


def role_refused_text(role_id: int, reason: str, *, dangerous: bool = False) -> str:
    fix = (
        "Take those permissions off the role in Server Settings → Roles, or pick another role with /rewards setup."
        if dangerous
        else "Drag my role above it in Server Settings → Roles."
    )
    return f"I can't give the voter role <@&{role_id}>: {reason}. {fix}"
