"""Milestones: monthly vote thresholds (each announced once per month, in the server's time zone), an optional
"every N votes" total, and rank-ups — the server's best rank of the month.

Two ranks, kept apart. A listing site's rank (pushed as ``rank.update``) is the real one: it is stored as
``site_rank`` and announced as ``site_rank_up``. The bot can also compute a rank itself, among the servers *it*
knows in the same category (``best_rank`` / ``rank_up``), for sites that push nothing. The computed one is only
a stand-in: once a site has pushed a rank for the server this month or last month, computed rank-ups are not
announced (the site's #3 must not be drowned by "#1 of the two servers this bot lists"). Each keeps its own best
of the month, so neither blocks the other's new bests.

Announcements are keyed runs (``engagement_runs``) started before and finished after their post, with a
message nonce: a retried vote, a restart or a crash between the two never announces twice, and an
announcement that could not be posted (Discord down) is posted on the next attempt instead of being lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from bot.core.admin_notice import AdminNotices
from bot.core.i18n import _, n_, names, number
from bot.core.messaging import Messenger, Unreachable, effect_nonce
from bot.core.pushed_events import PushedEvent
from bot.core.servers import ServerService
from bot.core.text import escape
from bot.core.time import month_label, month_of, previous_month, zone
from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.runs import RunRepository
from bot.db.votes import VoteRepository
from bot.votes.events import VoteEvent
from cogs.milestones.spec import EVERY, THRESHOLDS

log = logging.getLogger(__name__)

FEATURE = "milestones"


def reached(count: int, thresholds: Sequence[int]) -> list[int]:
    return [t for t in thresholds if count >= t]


def every_mark(total: int, every: int | None) -> int | None:
    """The latest multiple of ``every`` the all-time total has reached."""
    if every is None or total < every:
        return None
    return total // every * every


def milestone_text(server: Server, threshold: int, month_key: str) -> str:
    return n_(
        "🏆 **{server}** reached **{count}** vote this month ({month})!",
        "🏆 **{server}** reached **{count}** votes this month ({month})!",
        threshold,
        server=escape(server.name),
        month=month_label(month_key),
    )


def every_text(server: Server, mark: int) -> str:
    return n_(
        "🎉 **{server}** passed **{count}** vote in total!",
        "🎉 **{server}** passed **{count}** votes in total!",
        mark,
        server=escape(server.name),
    )


def rank_text(server: Server, rank: int) -> str:
    """A computed rank-up (among the bot's servers of the category)."""
    if server.category:
        return _(
            "📈 **{server}** climbed to **#{rank}** in {category} this month!",
            server=escape(server.name),
            rank=number(rank),
            category=escape(server.category),
        )
    return _(
        "📈 **{server}** climbed to **#{rank}** in its category this month!",
        server=escape(server.name),
        rank=number(rank),
    )


def site_rank_text(server: Server, rank: int, category: str | None) -> str:
    """A rank-up pushed by the listing site (its category when it names one, else the server's)."""
    category = category or server.category
    if category:
        return _(
            "📈 **{server}** climbed to **#{rank}** in {category} this month!",
            server=escape(server.name),
            rank=number(rank),
            category=escape(category),
        )
    return _(
        "📈 **{server}** climbed to **#{rank}** on the server list this month!",
        server=escape(server.name),
        rank=number(rank),
    )


SITE_RANK = "site_rank"  # the listing site's best rank of a month (runs: value = rank)
SITE_RANK_UP = "site_rank_up"
COMPUTED_RANK = "best_rank"  # the bot's own category rank (names kept from before the split: stored data)
COMPUTED_RANK_UP = "rank_up"


class MilestoneService:
    name = "milestones"  # the vote consumer's name

    def __init__(
        self, db: Executor, servers: ServerService, votes: VoteRepository, messenger: Messenger, notices: AdminNotices
    ) -> None:
        self._runs = RunRepository(db)
        self._servers = servers
        self._votes = votes
        self._messenger = messenger
        self._notices = notices

    async def configure(self, server: Server, *, thresholds: str | None, every: int | None) -> str:
        changes = {key: value for key, value in (("thresholds", thresholds), ("every", every)) if value is not None}
        setting = await self._servers.configure(server, FEATURE, settings=changes)
        current = self._servers.current_settings(setting, FEATURE)
        return milestones_settings_text(server, list(current["thresholds"]), int(current["every"] or 0))

    # ------------------------------------------------------------------ per vote
    async def handle(self, event: VoteEvent) -> None:
        """The vote consumer."""
        await self.check(event.server, event.voted_at)

    async def check(self, server: Server, voted_at: dt.datetime) -> list[str]:
        """Announce newly reached milestones and a better category rank; returns the texts announced."""
        with self._servers.speaking_for(server):  # every announcement (and the owner's notice) is the server's
            return await self._check(server, voted_at)

    async def _check(self, server: Server, voted_at: dt.datetime) -> list[str]:
        setting = await self._servers.active_setting(server, FEATURE)
        if setting is None or setting.channel_id is None:
            return []
        channel_id = setting.channel_id
        month = month_of(voted_at, zone(server.timezone))
        posted: list[str] = []
        count = await self._votes.count(server.id, month.start, month.end)
        reached_now = {f"{month.key}:{t}": t for t in reached(count, THRESHOLDS.current(setting.settings))}
        to_do = await self._runs.start_many(server.id, "milestone", list(reached_now)) if reached_now else []
        due = sorted(reached_now[key] for key in to_do)
        if due:  # enabled mid-month past several thresholds: say the highest only
            keys = [f"{month.key}:{t}" for t in due]
            if await self._post(server, channel_id, milestone_text(server, due[-1], month.key), "milestone", keys[-1]):
                posted.append(milestone_text(server, due[-1], month.key))
            await self._runs.finish(server.id, "milestone", *keys)
        every = EVERY.current(setting.settings)
        mark = every_mark(await self._votes.total(server.id), every) if every else None
        if mark is not None and await self._runs.start(server.id, "every", str(mark)):
            if await self._post(server, channel_id, every_text(server, mark), "every", str(mark)):
                posted.append(every_text(server, mark))
            await self._runs.finish(server.id, "every", str(mark))
        if server.category and not await self._site_ranks(server, voted_at):
            rank, _ = await self._votes.category_rank(server.id, server.category, month.start, month.end)
            posted.extend(await self._computed_rank(server, channel_id, rank, month.key))
        return posted

    # ------------------------------------------------------------------ ranks
    async def push_rank(self, server: Server, event: PushedEvent) -> None:
        """The ``rank.update`` handler: the listing site's rank, stored apart from the computed one and announced
        when it is a new best of the month (the first of a month is the baseline, or ``previous_rank``)."""
        period = month_of(event.received_at, zone(server.timezone)).key
        previous = event.data.get("previous_rank")
        if previous is not None:  # the site says where it came from: a silent baseline
            await self._runs.improve_best(server.id, SITE_RANK, period, int(previous))
        rank = int(event.data["rank"])
        _, improved = await self._runs.improve_best(server.id, SITE_RANK, period, rank)
        setting = await self._servers.active_setting(server, FEATURE)
        if setting is None or setting.channel_id is None:
            return  # stored all the same: it still keeps computed ranks quiet, and is the baseline once on
        if improved:
            await self._runs.start(server.id, SITE_RANK_UP, f"{period}:{rank}")
        category = event.data.get("category")
        with self._servers.speaking_for(server):
            await self._announce_ranks(
                server, setting.channel_id, SITE_RANK_UP, lambda n: site_rank_text(server, n, category)
            )

    async def _site_ranks(self, server: Server, at: dt.datetime) -> bool:
        """Whether the listing site pushed a rank for the server this month or last month (then its rank wins)."""
        tz = zone(server.timezone)
        keys = [(server.id, month_of(at, tz).key), (server.id, previous_month(at, tz).key)]
        return bool(await self._runs.finished_among(SITE_RANK, keys))

    async def _computed_rank(self, server: Server, channel_id: int, rank: int, period: str) -> list[str]:
        """Record the computed ``rank`` for the period; announce it when it is a new best."""
        _, improved = await self._runs.improve_best(server.id, COMPUTED_RANK, period, rank)
        if improved:
            await self._runs.start(server.id, COMPUTED_RANK_UP, f"{period}:{rank}")
        return await self._announce_ranks(server, channel_id, COMPUTED_RANK_UP, lambda n: rank_text(server, n))

    async def _announce_ranks(
        self, server: Server, channel_id: int, kind: str, text_of: Callable[[int], str]
    ) -> list[str]:
        """Post every rank-up of ``kind`` still to do, including one an earlier attempt could not post."""
        posted = []
        for key in await self._runs.unfinished(server.id, kind):
            text = text_of(int(key.rpartition(":")[2]))
            if await self._post(server, channel_id, text, kind, key):
                posted.append(text)
            await self._runs.finish(server.id, kind, key)
        return posted

    async def _post(self, server: Server, channel_id: int, text: str, kind: str, key: str) -> bool:
        """Post an announcement; False when the channel refuses the bot (the owner is told once). A Discord
        outage raises: the run stays unfinished and the next attempt posts it."""
        try:
            await self._messenger.post(
                channel_id, text, nonce=effect_nonce(kind, server.id, key), guild_id=server.guild_id
            )
        except Unreachable as exc:
            log.warning("milestone of server %s in channel %s not posted: %s (%s)", server.id, channel_id, exc, text)
            await self._notices.once(
                server,
                f"milestones:{channel_id}",
                _(
                    "I can't post milestones of **{server}** in <#{channel}> ({reason}). "
                    "Fix my permissions there or pick another channel with /feature enable milestones.",
                    server=escape(server.name),
                    channel=channel_id,
                    reason=exc.shown,
                ),
            )
            return False
        return True


def milestones_settings_text(server: Server, thresholds: list[int], every: int) -> str:
    """The reply to /milestones settings: when a milestone is announced, in words."""
    listed = names([number(t) for t in thresholds])
    last = thresholds[-1] if thresholds else 0  # the number next to "votes"
    if every:
        # Translators: fills {every} in "…, and every {every} in total." ("every 3 votes in total").
        every_votes = n_("{count} vote", "{count} votes", every)
        return n_(
            "Milestones of **{server}**: I announce when the month reaches {listed} vote, and every {every} in total.",
            "Milestones of **{server}**: I announce when the month reaches {listed} votes, and every {every} in total.",
            last,
            server=escape(server.name),
            listed=listed,
            every=every_votes,
        )
    return n_(
        "Milestones of **{server}**: I announce when the month reaches {listed} vote.",
        "Milestones of **{server}**: I announce when the month reaches {listed} votes.",
        last,
        server=escape(server.name),
        listed=listed,
    )
