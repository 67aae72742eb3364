"""Linking members to their in-game names (so votes cast under that name count for them) and their points."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.servers import ServerService
from bot.core.text import clean_player_name, escape, plural, safe_name
from bot.core.time import Clock, month_of, zone
from bot.db.links import LinkRepository, NameTaken
from bot.db.records import Server
from bot.db.votes import VoteRepository

MAX_PLAYER_NAME = 200


def valid_name(player: str) -> str:
    name = clean_player_name(player)
    if not name:
        raise UserError("That player name is empty once invisible characters are removed.")
    if len(player) > MAX_PLAYER_NAME:
        raise UserError(f"Player names are at most {MAX_PLAYER_NAME} characters.")
    return name


class LinkService:
    def __init__(self, servers: ServerService, links: LinkRepository, votes: VoteRepository, clock: Clock) -> None:
        self._servers = servers
        self._links = links
        self._votes = votes
        self._clock = clock

    async def link(
        self, guild_id: int, server_name: str | None, user_id: int, player: str, *, ping: bool, reassign: bool
    ) -> str:
        server = await self._servers.resolve(guild_id, server_name)
        name = valid_name(player)
        try:
            await self._links.link(server.id, user_id, name, ping=ping, reassign=reassign)
        except NameTaken:
            raise UserError(
                f"**{safe_name(name)}** is already linked to another member on {escape(server.name)}. "
                "Ask an admin to reassign it with /links set."
            ) from None
        points = await self._votes.points(server.id, user_id)
        return (
            f"<@{user_id}> is now linked to **{safe_name(name)}** on {escape(server.name)} "
            f"({plural(points, 'vote point')} so far)."
        )

    async def unlink(self, guild_id: int, server_name: str | None, user_id: int) -> bool:
        server = await self._servers.resolve(guild_id, server_name)
        return await self._links.unlink(server.id, user_id)

    async def points(self, guild_id: int, server_name: str | None, user_id: int) -> str:
        server: Server = await self._servers.resolve(guild_id, server_name)
        month = month_of(self._clock(), zone(server.timezone))
        total = await self._votes.points(server.id, user_id)
        monthly = await self._votes.points(server.id, user_id, since=month.start, until=month.end)
        return (
            f"You have **{total}** vote point{'' if total == 1 else 's'} on {escape(server.name)} "
            f"({monthly} in {month.key})."
        )
