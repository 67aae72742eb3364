"""Texts of the rewards: the thank-you message and the /rewards setup summary. Names are escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.text import escape, safe_name
from bot.core.time import format_duration
from bot.db.records import FeatureSetting, Server


def thank_you_text(server: Server, player_name: str | None, member_id: int | None, ping: bool, points: int) -> str:
    who = f"<@{member_id}>" if member_id is not None and ping else f"**{safe_name(player_name)}**"
    text = f"🎉 Thank you {who} for voting for **{escape(server.name)}**!"
    if member_id is not None:
        text += f" You now have **{points}** vote point{'s' if points != 1 else ''}."
    return text


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
