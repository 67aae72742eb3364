"""Linking members to their in-game names (so votes cast under that name count for them) and their points.

A member proves the name is theirs: /link hands them a one-time code to type in game, and the game
server's plugin confirms it through the PULL API (:mod:`bot.core.link_proof`). Admins link directly.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.link_proof import LinkProof, display_code
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


# Every reply of /link, /unlink and /links remove, in one place (issue 13 translates them).
TEXTS = {
    "already_linked": "You're already linked as **{player}** on {server}.",
    "already_linked_ping": (
        "You're already linked as **{player}** on {server}. From now on I'll mention you in thank-you messages."
    ),
    "relink_named": "You're linked as **{current}** on {server}; once you've typed the code, **{player}** replaces it.",
    "relink_unnamed": (
        "You're linked as **{current}** on {server}; once you've typed the code, your in-game name replaces it."
    ),
    "prove_named": "To prove **{player}** is you, join {server} as {player} and type {command} in the game chat.",
    "prove_unnamed": "To link your player name, join {server} and type {command} in the game chat.",
    "code_rules": "The code works once and expires {expires}. Don't share it. Check /points once you've typed it.",
    "member_unlinked": "Your player name **{player}** on {server} is unlinked.",
    "member_code_cancelled": "Your /link code for {server} is cancelled. No player name was linked there.",
    "member_nothing": "You have no player name linked on {server}.",
    "admin_unlinked": "Unlinked {member} (**{player}**) on {server}.",
    "admin_code_cancelled": "Cancelled {member}'s /link code for {server}. No player name was linked there.",
    "admin_nothing": "{member} has no player name linked on {server}.",
}


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
        current = await self._links.get(server.id, user_id)
        where = f"**{escape(server.name)}**"
        if current is not None and name is not None and current.player_name.casefold() == name.casefold():
            # nothing to prove again; ping=True still switches the mention on (False is also "not given": kept)
            key = "already_linked"
            if ping and not current.ping_opt_in:
                await self._links.link(server.id, user_id, current.player_name, ping=True)
                key = "already_linked_ping"
            return TEXTS[key].format(player=safe_name(current.player_name), server=where)
        issued = await self._proof.issue(server.id, user_id, name, ping=ping, now=self._clock())
        command = f"`/votebot link {display_code(issued.code)}`"
        expires = f"<t:{int(issued.claim.expires_at.timestamp())}:R>"
        lines = []
        if current is not None:
            key = "relink_named" if name else "relink_unnamed"
            lines.append(
                TEXTS[key].format(current=safe_name(current.player_name), player=safe_name(name), server=where)
            )
        key = "prove_named" if name else "prove_unnamed"
        lines.append(TEXTS[key].format(player=safe_name(name), server=where, command=command))
        lines.append(TEXTS["code_rules"].format(expires=expires))
        return "\n".join(lines)

    async def link(
        self, guild_id: int, server_name: str | None, user_id: int, player: str, *, ping: bool, reassign: bool
    ) -> str:
        server = await self._servers.resolve(guild_id, server_name)
        name = valid_name(player)
        before = await self._links.by_name(server.id, name) if reassign else None
        taken_from = before.discord_user_id if before is not None and before.discord_user_id != user_id else None
        try:
            await self._links.link(server.id, user_id, name, ping=ping, reassign=reassign)
        except NameTaken:
            raise UserError(
                f"**{safe_name(name)}** is already linked to another member on {escape(server.name)}. "
                "Ask an admin to reassign it with /links set."
            ) from None
        points = await self._votes.points(server.id, user_id)
        text = (
            f"<@{user_id}> is now linked to **{safe_name(name)}** on {escape(server.name)} "
            f"({plural(points, 'vote point')} so far)."
        )
        if taken_from is not None:
            text += f" The name was linked to <@{taken_from}> until now; its votes count for <@{user_id}> from now on."
        return text

    async def unlink(self, guild_id: int, server_name: str | None, user_id: int, *, by_admin: bool) -> str:
        """Remove the member's link and any code still waiting, so an old code cannot link them again; the reply
        says what was removed (to the member, or to the admin who ran /links remove)."""
        server = await self._servers.resolve(guild_id, server_name)
        current = await self._links.get(server.id, user_id)
        cancelled = await self._proof.cancel(server.id, user_id)
        removed = await self._links.unlink(server.id, user_id)
        outcome = "unlinked" if removed and current is not None else "code_cancelled" if cancelled else "nothing"
        text = TEXTS[f"{'admin' if by_admin else 'member'}_{outcome}"]
        player = safe_name(current.player_name) if current is not None else ""
        return text.format(member=f"<@{user_id}>", player=player, server=f"**{escape(server.name)}**")

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
