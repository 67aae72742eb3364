"""Who a Discord id is, for texts that name a voter: a member of the guild, a user who is not, or nobody known.

The bot keeps no member cache (no privileged intents), so a name is asked of Discord (the guild's member,
else the user) and remembered for :data:`REMEMBER` on the injected clock: a board of ten voters refreshed
every few minutes costs Discord a handful of calls an hour, not ten per refresh. A transient Discord error is
not remembered: the text then falls back to a mention, as before, and the next render asks again.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

import discord

from bot.core.time import Clock

log = logging.getLogger(__name__)

REMEMBER = dt.timedelta(minutes=30)
MAX_REMEMBERED = 10_000  # one entry per (guild, user); the oldest are forgotten first


class Presence(enum.Enum):
    MEMBER = "member"  # in the guild: a mention shows their name to everyone there
    OUTSIDER = "outsider"  # a Discord user who is not in the guild: a mention would show a raw id
    UNKNOWN_USER = "unknown_user"  # Discord knows no such user (deleted account)
    UNCHECKED = "unchecked"  # Discord could not be asked right now


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    presence: Presence
    name: str | None  # the display name in the guild (members) or the global name / username (outsiders)


class People:
    def __init__(self, client: discord.Client, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._known: dict[tuple[int, int], tuple[dt.datetime, Person]] = {}

    async def lookup(self, guild_id: int, user_id: int) -> Person:
        """Who ``user_id`` is as seen from ``guild_id``; never raises for Discord errors."""
        now = self._clock()
        remembered = self._known.get((guild_id, user_id))
        if remembered is not None and now - remembered[0] < REMEMBER:
            return remembered[1]
        try:
            person = await self._ask(guild_id, user_id)
        except discord.HTTPException as exc:
            log.info("could not look up user %s in guild %s: %s %s", user_id, guild_id, exc.status, exc.text)
            return Person(user_id, Presence.UNCHECKED, None)
        if len(self._known) >= MAX_REMEMBERED:
            self._known.pop(next(iter(self._known)))
        self._known[(guild_id, user_id)] = (now, person)
        return person

    async def lookup_many(self, guild_id: int, user_ids: set[int]) -> dict[int, Person]:
        return {user_id: await self.lookup(guild_id, user_id) for user_id in sorted(user_ids)}

    async def _ask(self, guild_id: int, user_id: int) -> Person:
        guild = self._client.get_guild(guild_id)
        member = guild.get_member(user_id) if guild is not None else None
        if member is not None:
            return Person(user_id, Presence.MEMBER, member.display_name)
        try:
            data = await self._client.http.get_member(guild_id, user_id)
        except discord.NotFound:
            pass  # not in the guild (or the guild is gone): ask who the user is
        else:
            user = data.get("user") or {}
            name = data.get("nick") or user.get("global_name") or user.get("username")
            return Person(user_id, Presence.MEMBER, name)
        cached = self._client.get_user(user_id)
        if cached is not None:
            return Person(user_id, Presence.OUTSIDER, cached.display_name)
        try:
            found = await self._client.fetch_user(user_id)
        except discord.NotFound:
            return Person(user_id, Presence.UNKNOWN_USER, None)
        return Person(user_id, Presence.OUTSIDER, found.display_name)
