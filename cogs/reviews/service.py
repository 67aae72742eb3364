"""Reviews: members write one per server with ``/review`` (editing replaces it), listing sites push theirs
(``review.create``), and a growing Top.gg review count is announced. All of them feed the alert in the
reviews channel.
"""

from __future__ import annotations

import datetime as dt
import logging

import discord

from bot.core.errors import UserError
from bot.core.i18n import _, n_
from bot.core.messaging import Messenger, Unreachable, effect_nonce
from bot.core.pushed_events import PushedEvent
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import escape
from bot.core.time import Clock
from bot.core.validation import is_ascii_digits
from bot.db.executor import Executor
from bot.db.records import Server
from cogs.reviews.repository import Review, ReviewRepository
from cogs.reviews.spec import MAX_BODY
from cogs.reviews.topgg import STATE_KEY, ReviewStats, TopggReviewPoller, change_text
from cogs.reviews.views import review_alert

log = logging.getLogger(__name__)

FEATURE = "reviews"
MAX_AUTHOR = 100


def parse_rating(value: object) -> int:
    """1..5 from a modal's text or a pushed JSON number; a clear error for anything else."""
    if isinstance(value, bool):
        raise UserError(_("The rating must be a whole number from 1 to 5."))
    if isinstance(value, str):
        value = value.strip()
        if not is_ascii_digits(value):
            raise UserError(_("The rating must be a whole number from 1 to 5."))
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise UserError(_("The rating must be a whole number from 1 to 5."))
    return value


def clean_body(text: str | None) -> str:
    body = (text or "").strip()
    if len(body) > MAX_BODY:
        raise UserError(
            n_(
                "The review text can be at most {count} character.",
                "The review text can be at most {count} characters.",
                MAX_BODY,
            )
        )
    return body


def clean_author(name: str) -> str:
    author = " ".join(name.split())[:MAX_AUTHOR]
    if not author:
        raise UserError(_("The review's author can't be empty."))
    return author


class ReviewForms:
    """Who may open the /review form now (``rate`` times in ``per`` per member, on the injected clock), and what a
    form that saved nothing held.

    Unlike discord.py's cooldown check, a use is given back when the form saved nothing (a bad rating): the reply
    asks the member to open it again, and the next form still holds what they typed."""

    MAX_KEYS = 10_000

    def __init__(self, clock: Clock, rate: int = 3, per: dt.timedelta = dt.timedelta(seconds=60)) -> None:
        self._clock = clock
        self.rate = rate
        self.per = per
        self._uses: dict[tuple[int, int], list[dt.datetime]] = {}  # (guild, member): when forms were opened
        self._drafts: dict[tuple[int, int], tuple[str, str]] = {}  # (server, member): rating and text typed

    def take(self, guild_id: int, user_id: int) -> float | None:
        """Count one opened form; None when allowed, else the seconds until the next one is."""
        now = self._clock()
        if len(self._uses) > self.MAX_KEYS:
            self._uses = {k: v for k, v in self._uses.items() if v and now - v[-1] < self.per}
        uses = [at for at in self._uses.get((guild_id, user_id), []) if now - at < self.per]
        self._uses[(guild_id, user_id)] = uses
        if len(uses) >= self.rate:
            return (uses[0] + self.per - now).total_seconds()
        uses.append(now)
        return None

    def give_back(self, guild_id: int, user_id: int) -> None:
        """Undo the latest use: no form was opened, or it saved nothing."""
        uses = self._uses.get((guild_id, user_id))
        if uses:
            uses.pop()

    def refused(self, guild_id: int, server_id: int, user_id: int, rating: str, text: str) -> None:
        """A submit saved nothing: it does not count, and its rating and text fill in the next form."""
        self.give_back(guild_id, user_id)
        if len(self._drafts) >= self.MAX_KEYS:
            self._drafts.pop(next(iter(self._drafts)))
        self._drafts[(server_id, user_id)] = (rating, text)

    def draft(self, server_id: int, user_id: int) -> tuple[str, str] | None:
        """The rating and text of the member's last refused form (once), or None."""
        return self._drafts.pop((server_id, user_id), None)


class ReviewService:
    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        messenger: Messenger,
        poller: TopggReviewPoller | None = None,
        ownership: ShardOwnership = ShardOwnership(),  # noqa: B008 - frozen, immutable
    ) -> None:
        self._repo = ReviewRepository(db)
        self._servers = servers
        self._messenger = messenger
        self._poller = poller
        self._ownership = ownership

    async def open_for(self, guild_id: int, server_name: str | None, user_id: int) -> tuple[Server, Review | None]:
        """The server a member reviews and their current review (to edit); refused when reviews are off."""
        server = await self._servers.resolve(guild_id, server_name)
        if not await self._servers.is_active(server, FEATURE):
            raise UserError(_("Reviews for **{server}** are not open here.", server=escape(server.name)))
        return server, await self._repo.for_member(server.id, user_id)

    async def submit(self, server: Server, user_id: int, author: str, rating: object, text: str | None) -> Review:
        """Validate everything first; store only a valid review; then post its alert."""
        value = parse_rating(rating)
        body = clean_body(text)
        review = await self._repo.save_member(server.id, user_id, clean_author(author), value, body)
        try:
            if not await self.post_alert(review, server):
                log.info("server %s: review %s saved without an alert", server.id, review.id)
        except discord.HTTPException as exc:  # the review is saved; the alert is best effort
            log.warning("server %s: review alert failed (%s)", server.id, exc.status)
        return review

    async def post_alert(self, review: Review, server: Server, nonce: str | None = None) -> bool:
        """Post the review alert; False when the feature has no channel or the channel refuses the bot."""
        setting = await self._servers.active_setting(server, FEATURE)
        if setting is None or setting.channel_id is None:
            return False
        with self._servers.speaking_for(server):  # the channel's language, not the reviewer's
            alert = review_alert(review, server.name)
        try:
            await self._messenger.post(setting.channel_id, embeds=[alert], nonce=nonce, guild_id=server.guild_id)
        except Unreachable as exc:
            log.warning("server %s: review alert refused: %s", server.id, exc.reason)
            return False
        return True

    async def pushed(self, server: Server, event: PushedEvent) -> None:
        """The ``review.create`` handler: store (or replace) the site's review and alert about it."""
        data = event.data
        review = await self._repo.save_external(
            server.id, data["review_id"] or event.event_id, data["author"], data["rating"], data["text"]
        )
        await self.post_alert(review, server, nonce=effect_nonce("review", server.id, event.event_id))

    async def poll_topgg(self) -> str | None:
        """Announce new Top.gg reviews (the count went up since the last poll); returns the text posted."""
        if self._poller is None or (polled := await self._poller.poll()) is None:
            return None
        server_id, stats = polled
        server = await self._servers.find(server_id)
        setting = await self._servers.setting(server_id, FEATURE)
        if server is None or setting is None or not self._ownership.owns(server.guild_id):
            return None  # with --shards, only the process that owns the guild announces
        with self._servers.speaking_for(server):
            text = change_text(escape(server.name), ReviewStats.from_json(setting.settings.get(STATE_KEY)), stats)
        posted = None
        if text is not None and setting.enabled and server.enabled and setting.channel_id is not None:
            try:
                await self._messenger.post(
                    setting.channel_id,
                    text,
                    nonce=effect_nonce("topgg_reviews", server.id, stats.count),
                    guild_id=server.guild_id,
                )
                posted = text
            except discord.HTTPException as exc:  # Discord trouble: the count is kept, the next poll posts it
                log.warning("server %s: Top.gg review announcement failed (%s); retried next poll", server.id, exc)
                return None
            except Unreachable as exc:
                log.warning("server %s: Top.gg review announcement refused: %s", server.id, exc.reason)
        await self._servers.set_state(server_id, FEATURE, STATE_KEY, stats.as_json())  # only once it was said
        return posted
