"""Texts of the rewards: the thank-you messages (one vote, a burst) and the /rewards setup summary. Names are
escaped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.core.i18n import _, n_, names
from bot.core.text import channel_mention, clean_player_name, escape, role_mention, safe_name, user_mention
from bot.core.time import format_duration
from bot.db.records import FeatureSetting, Server


def thank_you_text(server: Server, player_name: str | None, member_id: int | None, ping: bool, points: int) -> str:
    """The public thank-you: the pinged member is spoken to, anyone else named (or, with no name, just thanked).
    Built in the server's language (the caller's ``speaking_for``)."""
    game = escape(server.name)
    if member_id is not None and ping:
        return n_(
            "🎉 Thank you {member} for voting for **{server}**! You now have **{count}** vote point.",
            "🎉 Thank you {member} for voting for **{server}**! You now have **{count}** vote points.",
            points,
            member=user_mention(member_id),
            server=game,
        )
    if not clean_player_name(player_name or ""):
        return _("🎉 Thank you for voting for **{server}**!", server=game)
    if member_id is None:
        return _("🎉 Thank you **{player}** for voting for **{server}**!", player=safe_name(player_name), server=game)
    return n_(
        "🎉 Thank you **{player}** for voting for **{server}**! That makes **{count}** vote point.",
        "🎉 Thank you **{player}** for voting for **{server}**! That makes **{count}** vote points.",
        points,
        player=safe_name(player_name),
        server=game,
    )


NAMED = 5  # voters named in a coalesced thank-you; the others are counted


@dataclass(frozen=True, slots=True)
class Thanked:
    member_id: int | None
    name: str | None  # player name, or the member's display name
    ping: bool  # mention the member (they opted in)


def batch_thank_you_text(server: Server, voters: list[Thanked]) -> str:
    """One post for a burst of votes: :data:`NAMED` voters by mention (the opted-in first) or name, the rest
    counted. Built in the server's language (the caller's ``speaking_for``)."""
    game = escape(server.name)
    named: list[str] = []
    for voter in sorted(voters, key=lambda v: not v.ping):  # who opted in to be pinged is named first
        if len(named) == NAMED:
            break
        if voter.ping and voter.member_id is not None:
            named.append(user_mention(voter.member_id))
        elif clean_player_name(voter.name or ""):
            named.append(f"**{safe_name(voter.name)}**")
    others = len(voters) - len(named)
    if not named:
        # Translators: one post thanking a burst of voters none of whom left a name; {count} is 2 or more (the
        # singular is there for languages whose plural rule puts other numbers in that form).
        return n_(
            "🎉 Thank you to the {count} voter of **{server}**!",
            "🎉 Thank you to the {count} voters of **{server}**!",
            others,
            server=game,
        )
    if others:
        # Translators: the last item of the list of voters thanked together, as in "Alice, Bob, and 12 other voters".
        named.append(n_("{count} other voter", "{count} other voters", others))
    # Translators: one post thanking a burst of voters; {names} is a list like "Alice, Bob, and 12 other voters".
    return _("🎉 Thank you {names} for voting for **{server}**!", names=names(named), server=game)


def setup_summary(server: Server, setting: FeatureSetting, settings: dict[str, Any]) -> str:
    """The reply to /rewards setup: what each vote now earns, in one sentence."""
    thanks = setting.channel_id is not None and bool(settings["thank_you"])
    hours = settings["role_hours"]
    fields = {
        "server": escape(server.name),
        "channel": f"<#{setting.channel_id}>",
        "role": f"<@&{setting.role_id}>",
        "duration": format_duration(dt.timedelta(hours=hours)) if hours else "",
    }
    if thanks and setting.role_id:
        if hours:
            return _(
                "Rewards for **{server}**: each vote gets a thank-you in {channel} and the role {role} for {duration}.",
                **fields,
            )
        return _(
            "Rewards for **{server}**: each vote gets a thank-you in {channel} and the role {role} until the vote "
            "cooldown ends.",
            **fields,
        )
    if thanks:
        return _("Rewards for **{server}**: each vote gets a thank-you in {channel}; no role is given.", **fields)
    if setting.role_id:
        if hours:
            return _(
                "Rewards for **{server}**: each vote gets the role {role} for {duration}; no thank-you message is "
                "posted.",
                **fields,
            )
        return _(
            "Rewards for **{server}**: each vote gets the role {role} until the vote cooldown ends; no thank-you "
            "message is posted.",
            **fields,
        )
    return _("Rewards for **{server}**: votes get no thank-you message and no role.", **fields)


def thanks_refused_text(server: Server, channel_id: int) -> str:
    """The owner notice (built in the server's language)."""
    return _(
        "I can't post thank-you messages for **{server}** in {channel} (the channel is gone or "
        "I lost access). Pick another one with /rewards setup.",
        server=escape(server.name),
        channel=channel_mention(channel_id),
    )


def role_refused_text(role_id: int, reason: str, *, dangerous: bool = False) -> str:
    """The owner notice (built in the server's language); ``reason`` is already in it (``Unreachable.shown``)."""
    if dangerous:
        # Translators: {reason} e.g. "it carries the Administrator permission, which I never hand out".
        return _(
            "I can't give the voter role {role}: {reason}. Take those permissions off the role in Server Settings → "
            "Roles, or pick another role with /rewards setup.",
            role=role_mention(role_id),
            reason=reason,
        )
    # Translators: {reason} e.g. "it is above my highest role or I lack Manage Roles".
    return _(
        "I can't give the voter role {role}: {reason}. Drag my role above it in Server Settings → Roles.",
        role=role_mention(role_id),
        reason=reason,
    )
