"""Thank-you posts, paced per channel: one vote is thanked at once; a burst reads as a few coalesced posts.

Discord lets a bot post 5 messages per 5 s in one channel. While the channel has had fewer than
:data:`POSTS_PER_WINDOW` thank-you posts in the last :data:`WINDOW`, a vote is thanked right away (in the vote
consumer, as a single post naming its points). Beyond, the vote waits in the outbox
(``vote_rewards.thank_channel_id``); when the channel's next turn comes, every vote waiting there forms one
batch and one post thanks them all: "🎉 Thank you Alice, Bob, and 12 other voters for voting for Survival!".
Opted-in members named in it are pinged, nobody else. A burst of 300 votes reads as a few posts a few
seconds apart, not 300 posts trickling out for a quarter of an hour.

A batch is committed before its post and posted with the nonce of its first vote, so a crash between the post
and its bookkeeping posts the same message, once. A transient Discord error retries the channel with back-off;
a refused channel tells the owner once and the batch is done (skipped). :meth:`ThankYouPoster.sweep` picks up
what a restart left waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import discord

from bot.core.admin_notice import AdminNotices
from bot.core.components import remind_me_button, view_of
from bot.core.messaging import Messenger, Unreachable, effect_nonce, only_users
from bot.core.people import People
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import clean_player_name
from bot.core.time import Clock
from bot.core.turns import PacedTurns
from bot.db.records import Server
from bot.db.votes import VoteRepository
from cogs.rewards.repository import RewardRepository, ThankYou
from cogs.rewards.views import NAMED, Thanked, batch_thank_you_text, thank_you_text, thanks_refused_text

log = logging.getLogger(__name__)

WINDOW = 5.0  # seconds: Discord's window of 5 messages per channel
POSTS_PER_WINDOW = 4  # thank-you posts per channel and window: one message of room for other posts
BATCH = 100  # votes one post thanks at most (Discord pings at most 100 users per message)


class ThankYouPoster:
    def __init__(
        self,
        repository: RewardRepository,
        votes: VoteRepository,
        servers: ServerService,
        messenger: Messenger,
        notices: AdminNotices,
        people: People,
        clock: Clock,
        shards: ShardOwnership,
        *,
        window: float = WINDOW,
        posts_per_window: int = POSTS_PER_WINDOW,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repo = repository
        self._votes = votes
        self._servers = servers
        self._messenger = messenger
        self._notices = notices
        self._people = people
        self._clock = clock
        self._shards = shards
        self._turns: PacedTurns[Server] = PacedTurns(
            "thank-you posts in channel", self._post_next, window=window, per_window=posts_per_window,
            monotonic=monotonic,
        )  # fmt: skip

    async def thank(self, server: Server, channel_id: int) -> None:
        """A vote of ``server`` was queued for ``channel_id``: post now when the channel has room (errors raise, so
        the consumer is retried), else leave it for the channel's next turn."""
        await self._turns.now_or_later(channel_id, server)

    async def sweep(self) -> None:
        """Channels with votes still waiting and nobody posting them (a restart, a failed turn). Never raises."""
        try:
            channels = await self._repo.channels_waiting(*self._shards.sql_args())
        except Exception:
            log.exception("thank-you sweep: could not list waiting channels; retrying next sweep")
            return
        for server_id, channel_id in channels:
            if self._turns.busy(channel_id):
                continue
            server = await self._servers.find(server_id)
            if server is not None:
                self._turns.later(channel_id, server)

    async def close(self) -> None:
        await self._turns.close()

    async def _post_next(self, channel_id: int, server: Server, _room: int) -> int:
        """Post the channel's next batch; 0 when nothing was waiting."""
        await self._repo.form_batch(channel_id, BATCH)
        batch = await self._repo.open_batch(channel_id)
        if not batch:
            return 0
        if batch[0].server_id != server.id:
            found = await self._servers.find(batch[0].server_id)
            server = found if found is not None else server
        message_id = await self._post(server, channel_id, batch)
        await self._repo.batch_thanked(batch[0].batch, message_id, self._clock())
        return 1

    async def _post(self, server: Server, channel_id: int, batch: list[ThankYou]) -> int | None:
        thanked = await self._thanked(server, batch)
        remind = await self._servers.is_active(server, "reminders")
        pinged = [t.member_id for t in thanked if t.ping and t.member_id is not None]
        with self._servers.speaking_for(server):  # a channel post: the server's language (its button too)
            if len(thanked) == 1:  # one voter (maybe on two sites at once): thanked alone, with their points
                one = thanked[0]
                points = await self._votes.points(server.id, one.member_id) if one.member_id is not None else 0
                text = thank_you_text(server, one.name, one.member_id, one.ping, points)
            else:
                text = batch_thank_you_text(server, thanked)
            view = view_of(remind_me_button(server.id)) if remind else None
        try:
            return await self._messenger.post(
                channel_id,
                text,
                view=view,
                mentions=only_users(*pinged) if pinged else discord.AllowedMentions.none(),
                nonce=effect_nonce("thanks", batch[0].batch),
                guild_id=server.guild_id,
            )
        except Unreachable as exc:
            log.warning("cannot thank %s vote(s) in channel %s: %s", len(batch), channel_id, exc)
            with self._servers.speaking_for(server):  # the owner notice, in the server's language
                refused = thanks_refused_text(server, channel_id)
                await self._notices.once(server, f"thanks:{channel_id}", refused)
            return None

    async def _thanked(self, server: Server, batch: list[ThankYou]) -> list[Thanked]:
        """Each voter of the batch once (two sites' votes of one member are one thanks), named as members see
        them: the pinged member by mention, a player by name, a Top.gg voter by their display name."""
        seen: set[object] = set()
        voters: list[ThankYou] = []
        for vote in batch:
            key = vote.member_id if vote.member_id is not None else (vote.player_name or "").lower() or vote.vote_id
            if key not in seen:
                seen.add(key)
                voters.append(vote)
        # A voter with no player name (a Top.gg vote) is named by their display name, which may take a request to
        # Discord: ask only for those the post can still name (NAMED at most, the pinged first), not a whole burst.
        room = NAMED
        unnamed: set[int] = set()
        for vote in sorted(voters, key=lambda v: not v.ping):
            if room == 0:
                break
            if vote.ping or clean_player_name(vote.player_name or ""):
                room -= 1
            elif vote.member_id is not None:
                unnamed.add(vote.member_id)
                room -= 1
        people = await self._people.lookup_many(server.guild_id, unnamed) if unnamed else {}
        thanked = []
        for vote in voters:
            name = vote.player_name
            if vote.member_id in people and not vote.ping:
                name = people[vote.member_id].name
            thanked.append(Thanked(vote.member_id, name, vote.ping))
        return thanked
