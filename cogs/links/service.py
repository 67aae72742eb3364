"""Linking members to their in-game names (so votes cast under that name count for them) and their points.

A member proves the name is theirs: /link hands them a one-time code to type in game, and the game
server's plugin confirms it through the PULL API (:mod:`bot.core.link_proof`). Admins link directly.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.link_proof import CODE_TTL, LinkProof, display_code
from bot.core.servers import ServerService
from bot.core.text import clean_player_name, escape, plural, safe_name
from bot.core.time import Clock, month_label, month_of, zone
from bot.db.links import LinkRepository, NameTaken
from bot.db.records import Server
from bot.db.votes import VoteRepository
from bot.web.providers.common import MAX_PLAYER_NAME


def valid_name(player: str) -> str:
    """The name as it is stored; refused when it is empty or longer than listing sites and the game plugin's
    confirm accept (:data:`MAX_PLAYER_NAME`), since votes could never arrive under it."""
    name = clean_player_name(player)
    if not name:
        raise UserError("That player name is empty once invisible characters are removed.")
    if len(name) > MAX_PLAYER_NAME:
        raise UserError(f"Player names are at most {MAX_PLAYER_NAME} characters.")
    return name


class LinkService:
    def __init__(
        self, servers: ServerService, links: LinkRepository, proof: LinkProof, votes: VoteRepository, clock: Clock
    ) -> None:
        self._servers = servers
        self._links = links
        self._proof = proof
        self._votes = votes
        self._clock = clock

    async def request_link(
        self, guild_id: int, server_name: str | None, user_id: int, player: str | None, *, ping: bool
    ) -> str:
        """A one-time code the member types in game; the name is linked once the game server confirms it."""
        server = await self._servers.resolve(guild_id, server_name)
        name = valid_name(player) if player is not None else None
        issued = await self._proof.issue(server.id, user_id, name, ping=ping, now=self._clock())
        code, expires = display_code(issued.code), int(issued.claim.expires_at.timestamp())
        current = await self._links.get(server.id, user_id)
        lines = [
            f"You are linked as **{safe_name(current.player_name)}** on {escape(server.name)}; "
            "the code below changes it."
            if current
            else None,
            f"To prove the name is yours, join **{escape(server.name)}** "
            + (f"as **{safe_name(name)}** " if name else "")
            + f"and type this code with the server's vote plugin link command, for example `/votebot link {code}`:",
            f"# `{code}`",
            f"It works once and expires <t:{expires}:R> ({int(CODE_TTL.total_seconds()) // 60} minutes). "
            "Do not share it. Check with /points once you typed it.",
        ]
        return "\n".join(line for line in lines if line)

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
        """Remove the member's link and any code still waiting, so an old code cannot link them again."""
        server = await self._servers.resolve(guild_id, server_name)
        cancelled = await self._proof.cancel(server.id, user_id)
        return await self._links.unlink(server.id, user_id) or cancelled

    async def points(self, guild_id: int, server_name: str | None, user_id: int) -> str:
        server: Server = await self._servers.resolve(guild_id, server_name)
        now = self._clock()
        month = month_of(now, zone(server.timezone))
        total = await self._votes.points(server.id, user_id)
        monthly = await self._votes.points(server.id, user_id, since=month.start, until=month.end)
        text = (
            f"You have **{total}** vote point{'' if total == 1 else 's'} on {escape(server.name)} "
            f"({monthly} in {month_label(month.key)})."
        )
        link = await self._links.get(server.id, user_id)
        if link is not None:
            text += f" Linked as **{safe_name(link.player_name)}**."
        pending = await self._proof.pending(server.id, user_id, now)
        if pending is not None:
            text += (
                f" A /link code is waiting to be typed in game (expires <t:{int(pending.expires_at.timestamp())}:R>)."
            )
        return text
