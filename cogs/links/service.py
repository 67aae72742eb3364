"""Linking members to their in-game names (so votes cast under that name count for them) and their points.

A member proves the name is theirs: /link hands them a one-time code to type in game, and the game
server's plugin confirms it through the PULL API (:mod:`bot.core.link_proof`). Admins link directly.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.i18n import N_, _, n_, number
from bot.core.link_proof import LinkProof, display_code
from bot.core.servers import ServerService
from bot.core.text import clean_player_name, escape, relative_time, safe_name, user_mention
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
        raise UserError(_("That player name is empty once invisible characters are removed."))
    if len(name) > MAX_PLAYER_NAME:
        raise UserError(
            n_(
                "Player names are at most {count} character.",
                "Player names are at most {count} characters.",
                MAX_PLAYER_NAME,
            )
        )
    return name


# Every reply of /link, /unlink and /links remove, in one place (translated where used: ``_(TEXTS[key], ...)``).
# Fields: {player}/{current} player names, {server} the game server's name, {member} a mention,
# {command} the in-game command, {expires} a Discord relative time.
TEXTS = {
    "already_linked": N_("You're already linked as **{player}** on **{server}**."),
    "already_linked_ping": N_(
        "You're already linked as **{player}** on **{server}**. From now on I'll mention you in thank-you messages."
    ),
    "relink_named": N_(
        "You're linked as **{current}** on **{server}**; once you've typed the code, **{player}** replaces it."
    ),
    "relink_unnamed": N_(
        "You're linked as **{current}** on **{server}**; once you've typed the code, your in-game name replaces it."
    ),
    "prove_named": N_(
        "To prove **{player}** is you, join **{server}** as {player} and type {command} in the game chat."
    ),
    "prove_unnamed": N_("To link your player name, join **{server}** and type {command} in the game chat."),
    "code_rules": N_("The code works once and expires {expires}. Don't share it. Check /points once you've typed it."),
    "member_unlinked": N_("Your player name **{player}** on **{server}** is unlinked."),
    "member_code_cancelled": N_("Your /link code for **{server}** is cancelled. No player name was linked there."),
    "member_nothing": N_("You have no player name linked on **{server}**."),
    "admin_unlinked": N_("Unlinked {member} (**{player}**) on **{server}**."),
    "admin_code_cancelled": N_("Cancelled {member}'s /link code for **{server}**. No player name was linked there."),
    "admin_nothing": N_("{member} has no player name linked on **{server}**."),
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
        where = escape(server.name)
        if current is not None and name is not None and current.player_name.casefold() == name.casefold():
            # nothing to prove again; ping=True still switches the mention on (False is also "not given": kept)
            key = "already_linked"
            if ping and not current.ping_opt_in:
                await self._links.link(server.id, user_id, current.player_name, ping=True)
                key = "already_linked_ping"
            return _(TEXTS[key], player=safe_name(current.player_name), server=where)
        issued = await self._proof.issue(server.id, user_id, name, ping=ping, now=self._clock())
        command = f"`/votebot link {display_code(issued.code)}`"
        expires = f"<t:{int(issued.claim.expires_at.timestamp())}:R>"
        lines = []
        if current is not None:
            key = "relink_named" if name else "relink_unnamed"
            lines.append(_(TEXTS[key], current=safe_name(current.player_name), player=safe_name(name), server=where))
        key = "prove_named" if name else "prove_unnamed"
        lines.append(_(TEXTS[key], player=safe_name(name), server=where, command=command))
        lines.append(_(TEXTS["code_rules"], expires=expires))
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
                _(
                    "**{player}** is already linked to another member on {server}. "
                    "Ask an admin to reassign it with /links set.",
                    player=safe_name(name),
                    server=escape(server.name),
                )
            ) from None
        points = await self._votes.points(server.id, user_id)
        sentences = [
            n_(
                "{member} is now linked to **{player}** on {server} ({count} vote point so far).",
                "{member} is now linked to **{player}** on {server} ({count} vote points so far).",
                points,
                member=user_mention(user_id),
                player=safe_name(name),
                server=escape(server.name),
            )
        ]
        if taken_from is not None:
            sentences.append(
                _(
                    "The name was linked to {previous} until now; its votes count for {member} from now on.",
                    previous=user_mention(taken_from),
                    member=user_mention(user_id),
                )
            )
        return " ".join(sentences)

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
        return _(text, member=user_mention(user_id), player=player, server=escape(server.name))

    async def points(self, guild_id: int, server_name: str | None, user_id: int) -> str:
        server: Server = await self._servers.resolve(guild_id, server_name)
        now = self._clock()
        month = month_of(now, zone(server.timezone))
        total = await self._votes.points(server.id, user_id)
        monthly = await self._votes.points(server.id, user_id, since=month.start, until=month.end)
        sentences = [
            # Translators: {monthly} is this month's number of points, {month} e.g. "November 2026".
            n_(
                "You have **{count}** vote point on {server} ({monthly} in {month}).",
                "You have **{count}** vote points on {server} ({monthly} in {month}).",
                total,
                server=escape(server.name),
                monthly=number(monthly),
                month=month_label(month.key),
            )
        ]
        link = await self._links.get(server.id, user_id)
        if link is not None:
            sentences.append(_("Linked as **{player}**.", player=safe_name(link.player_name)))
        pending = await self._proof.pending(server.id, user_id, now)
        if pending is not None:
            sentences.append(
                # Translators: {expires} is a Discord relative time ("in 10 minutes").
                _(
                    "A /link code is waiting to be typed in game (expires {expires}).",
                    expires=relative_time(pending.expires_at),
                )
            )
        return " ".join(sentences)
