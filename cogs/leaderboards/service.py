"""Live top-10 voters board, the daily leaderboard post and the monthly top-voter role.

The vote consumer marks a server's board stale (``stale_boards``, durable); the board tick refreshes
stale boards and, every ``refresh_minutes``, the others. Daily posts and month rollovers are keyed by
their period in ``engagement_runs``, claimed inside the transaction that covers their Discord calls, so a
restart neither skips nor repeats them; jobs only look at the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import discord

from bot.core.admin_notice import AdminNotices
from bot.core.boards import BoardContent, BoardKeeper
from bot.core.charts import ChartRenderer
from bot.core.i18n import _
from bot.core.messaging import DangerousRole, Messenger, Picture, Unreachable, effect_nonce
from bot.core.people import People, Person
from bot.core.scheduling import turn_of
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock, day_of, local_at, month_of, parse_hhmm, previous_month, zone
from bot.db.executor import Executor
from bot.db.records import FeatureSetting, Server
from bot.db.runs import RunRepository
from bot.db.transaction import transaction
from bot.db.votes import Voter, VoteRepository
from bot.votes.charts import votes_per_day
from bot.votes.events import VoteEvent
from cogs.leaderboards import recap
from cogs.leaderboards.repository import LeaderboardRepository
from cogs.leaderboards.spec import MONTHLY_RECAP, POST_TIME, REFRESH_MINUTES, TIES
from cogs.leaderboards.views import (
    daily_embed,
    daily_refused_text,
    recap_chart_title,
    recap_embed,
    role_refused_text,
    settings_text,
    top10_embed,
)

log = logging.getLogger(__name__)

CATCH_UP = dt.timedelta(hours=6)  # a daily post later than this (bot was down) is skipped
BOARD = "top10_board"
RECAP_WIDTH, RECAP_HEIGHT = 1000, 400  # the recap chart, in pixels: a month of bars


class RetryLater(Exception):
    """A known, reported failure (channel gone, role above the bot): the period stays unclaimed and is retried."""


def top_voter_winners(voters: list[Voter], ties: str = "all") -> list[int]:
    """Members who get the monthly role: the best linked voter(s); ``ties='all'`` shares it, ``'first'`` doesn't
    (the first to reach the top count wins, as the ranking orders by last vote time)."""
    linked = [v for v in voters if v.member_id is not None]
    if not linked:
        return []
    best = linked[0].votes
    winners = [v.member_id for v in linked if v.votes == best and v.member_id is not None]
    return winners[:1] if ties == "first" else winners


class LeaderboardService:
    name = "leaderboards"  # the vote consumer's name

    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        votes: VoteRepository,
        messenger: Messenger,
        notices: AdminNotices,
        boards: BoardKeeper,
        clock: Clock,
        shards: ShardOwnership,
        people: People,
        charts: ChartRenderer,
    ) -> None:
        self._db = db
        self._charts = charts
        self._people = people
        self._repo = LeaderboardRepository(db)
        self._servers = servers
        self._votes = votes
        self._messenger = messenger
        self._notices = notices
        self._boards = boards
        self._clock = clock
        self._shards = shards
        self._checked: dict[int, int] = {}  # the refresh turn each board was last compared in (turn_of)
        self._recapped: set[tuple[int, str]] = set()  # (server, month) recaps known done: no claim every minute

    async def configure(
        self,
        server: Server,
        *,
        board_refresh: int | None,
        post_time: str | None,
        ties: str | None,
        monthly_recap: bool | None = None,
    ) -> str:
        changes: dict[str, dict[str, object]] = {
            "top10_board": {REFRESH_MINUTES.name: board_refresh},
            "daily_leaderboard": {POST_TIME.name: post_time, MONTHLY_RECAP.name: monthly_recap},
            "top_voter_role": {TIES.name: ties},
        }
        given = {feature: {k: v for k, v in values.items() if v is not None} for feature, values in changes.items()}
        for feature, values in given.items():  # validate everything before saving anything
            self._servers.registry.get(feature).parse_settings(values)
        current: dict[str, Any] = {}
        for feature, values in given.items():
            setting = (
                await self._servers.configure(server, feature, settings=values)
                if values
                else await self._servers.setting(server.id, feature)
            )
            current |= self._servers.current_settings(setting, feature)
        return settings_text(
            server,
            current[REFRESH_MINUTES.name],
            current[POST_TIME.name],
            current[TIES.name],
            recap=current[MONTHLY_RECAP.name],
            changed=any(given.values()),
        )

    # ------------------------------------------------------------------ top-10 board
    async def handle(self, event: VoteEvent) -> None:
        """The vote consumer: the server's board shows this vote at the next board tick."""
        if await self._servers.is_active(event.server, BOARD):
            await self._servers.mark_board_stale(event.server.id, BOARD)

    async def board_tick(self) -> int:
        """Refresh stale boards and those whose refresh interval passed; returns how many were refreshed."""
        now = self._clock()
        stale: frozenset[int] = frozenset()
        try:
            stale = await self._servers.take_stale_boards(BOARD, *self._shards.sql_args())
            boards = [(s, f) for s, f in await self._servers.active(BOARD) if self._shards.owns(s.guild_id)]
            due = [(s, f) for s, f in boards if s.id in stale or self._interval_passed(s.id, f, now)]
            if not due:
                return 0
            windows = []
            for server, _ in due:
                month = month_of(now, zone(server.timezone))
                windows.append((server.id, month.start, min(month.end, now + dt.timedelta(seconds=1))))
            rankings = await self._repo.top10(windows)
        except Exception:
            log.exception("top-10 boards: could not load rankings; retrying next tick")
            for server_id in stale:  # taken but not refreshed: marked again, or the votes would wait for the interval
                await self._servers.mark_board_stale(server_id, BOARD)
            return 0
        refreshed = 0
        for server, setting in due:
            try:
                month = month_of(now, zone(server.timezone))
                voters = rankings.get(server.id, [])
                people = await self._who(server, voters)
                with self._servers.speaking_for(server):  # the board is the channel's
                    embed = top10_embed(server, month.key, voters, now, people)
                await self._boards.refresh(server, BOARD, BoardContent([embed]))
                self._checked[server.id] = turn_of(server.id, 60.0 * REFRESH_MINUTES.current(setting.settings), now)
                refreshed += 1
            except Exception:
                log.exception("top-10 board of server %s failed; retrying next tick", server.id)
                await self._servers.mark_board_stale(server.id, BOARD)
        return refreshed

    def _interval_passed(self, server_id: int, setting: FeatureSetting, now: dt.datetime) -> bool:
        """Due once per refresh interval, each board at its own moment of it (5,000 boards are not edited in the
        same second); a board not posted yet is due at once."""
        interval_s = 60.0 * REFRESH_MINUTES.current(setting.settings)
        turn = turn_of(server_id, interval_s, now)
        last = self._checked.get(server_id)
        if last is None and setting.message_id is not None:
            self._checked[server_id] = turn  # seen for the first time (a start): its turn comes, not all at once
            return False
        return last is None or turn != last

    # ------------------------------------------------------------------ daily post, rollover
    async def tick(self) -> None:
        """Daily posts and month rollovers that are due (catching up after downtime). Never raises."""
        jobs = (("daily_leaderboard", (self.daily_post, self.monthly_recap)), ("top_voter_role", (self.rollover,)))
        for feature, runs in jobs:
            try:
                targets = await self._servers.active(feature)
            except Exception:
                log.exception("%s: could not list servers; retrying next tick", feature)
                continue
            for server, setting in targets:
                if not self._shards.owns(server.guild_id):
                    continue
                for run in runs:  # the daily post, then (on the 1st) the monthly recap
                    try:
                        await run(server, setting)
                    except RetryLater as exc:
                        log.warning("%s of server %s: %s; retrying next tick", run.__name__, server.id, exc)
                    except Exception:
                        log.exception("%s of server %s failed; retrying next tick", run.__name__, server.id)

    async def daily_post(self, server: Server, setting: FeatureSetting) -> bool:
        """Post day D's leaderboard (D-1's and the month's top voters) at the local post time; True if posted."""
        if setting.channel_id is None:
            return False
        now, tz = self._clock(), zone(server.timezone)
        at = parse_hhmm(POST_TIME.current(setting.settings))
        today = now.astimezone(tz).date()
        for day in (today - dt.timedelta(days=1), today):  # yesterday's post may still be due (late < 6 h)
            target = local_at(day, at, tz)
            if not target <= now < target + CATCH_UP:
                continue
            async with transaction(self._db) as connection:
                if not await RunRepository(connection).claim(server.id, "daily", day.isoformat()):
                    continue
                previous = day_of(day - dt.timedelta(days=1), tz)
                month = month_of(previous.start, tz)
                votes = VoteRepository(connection)  # the claim's connection: one per post, not two
                yesterday = await votes.top_voters(server.id, previous.start, previous.end, 10)
                monthly = await votes.top_voters(server.id, month.start, min(month.end, now), 10)
                if not yesterday and not monthly:  # nothing to rank: an empty board helps nobody, so say nothing
                    log.info("daily post of server %s for %s skipped: no votes to show", server.id, day.isoformat())
                    return True
                people = await self._who(server, [*yesterday, *monthly])
                with self._servers.speaking_for(server):
                    embed = daily_embed(
                        server, previous.key, yesterday, month.key, monthly, month_over=month.end <= now, people=people
                    )
                try:
                    await self._messenger.post(
                        setting.channel_id,
                        embeds=[embed],
                        nonce=effect_nonce("daily", server.id, day.isoformat()),
                        guild_id=server.guild_id,
                    )
                except Unreachable as exc:
                    with self._servers.speaking_for(server):
                        notice = daily_refused_text(server, setting.channel_id, exc.shown)
                    await self._notices.once(server, f"daily:{setting.channel_id}", notice)
                    raise RetryLater(f"daily post in channel {setting.channel_id}: {exc.reason}") from exc
                return True  # commit: a failure above rolls the claim back and the next tick retries
        return False

    async def monthly_recap(self, server: Server, setting: FeatureSetting) -> bool:
        """On the 1st at the daily post time (local; caught up for 3 days), last month's recap: its total against
        the month before, its top voters, its best day and its chart. Once per month (claimed with the post, which
        carries a nonce of the month); a month without votes is skipped. True if it was posted now."""
        if setting.channel_id is None or not MONTHLY_RECAP.current(setting.settings):
            return False
        now, tz = self._clock(), zone(server.timezone)
        month = recap.recap_due(now, tz, parse_hhmm(POST_TIME.current(setting.settings)))
        if month is None or (server.id, month.key) in self._recapped:
            return False
        async with transaction(self._db) as connection:
            if not await RunRepository(connection).claim(server.id, recap.KIND, month.key):
                self._recapped.add((server.id, month.key))
                return False
            figures = await recap.month_figures(connection, server.id, month, tz)
            if figures.total == 0:  # nothing to recap: a post saying so helps nobody (as the daily post)
                log.info("monthly recap of server %s for %s skipped: no votes", server.id, month.key)
                self._recapped.add((server.id, month.key))
                return False
            people = await self._who(server, list(figures.voters))
            with self._servers.speaking_for(server):  # the texts and the chart's labels in the server's language
                title = recap_chart_title(figures)
                chart = votes_per_day(figures.counts, figures.days, title=title, width=RECAP_WIDTH, height=RECAP_HEIGHT)
                picture = Picture(f"votes-{month.key}.png", await self._charts.render(chart), title)
                embed = recap_embed(server, figures, people, picture.url)
            try:
                await self._messenger.post(
                    setting.channel_id,
                    embeds=[embed],
                    pictures=[picture],
                    nonce=effect_nonce(recap.KIND, server.id, month.key),
                    guild_id=server.guild_id,
                )
            except Unreachable as exc:  # the daily post's channel: the owner hears about it once, for both
                with self._servers.speaking_for(server):
                    notice = daily_refused_text(server, setting.channel_id, exc.shown)
                await self._notices.once(server, f"daily:{setting.channel_id}", notice)
                raise RetryLater(f"monthly recap in channel {setting.channel_id}: {exc.reason}") from exc
        self._recapped.add((server.id, month.key))
        log.info("server %s: monthly recap of %s posted", server.id, month.key)
        return True

    async def rollover(self, server: Server, setting: FeatureSetting) -> bool:
        """At the local month change, give last month's top voter(s) the role and take it from the previous
        holders; once per month (claimed with the Discord calls), caught up on start. True if it ran now."""
        if setting.role_id is None:
            return False
        last = previous_month(self._clock(), zone(server.timezone))
        async with transaction(self._db) as connection:
            runs, repo = RunRepository(connection), LeaderboardRepository(connection)
            if not await runs.claim(server.id, "top_voter_role", last.key):
                return False
            voters = await VoteRepository(connection).top_voters(server.id, last.start, last.end, 25, linked_only=True)
            winners = top_voter_winners(voters, TIES.current(setting.settings))
            for member, role in await repo.role_holders(server.id):
                if member not in winners or role != setting.role_id:
                    await self._role(server, "remove", member, role)
            for member in winners:
                await self._role(server, "add", member, setting.role_id)
            await repo.set_role_holders(server.id, setting.role_id, last.key, winners)
        log.info("server %s: top-voter role for %s → %s", server.id, last.key, winners or "nobody")
        return True

    async def _who(self, server: Server, voters: list[Voter]) -> dict[int, Person]:
        """Who the ranked members are (a voter who left the guild is named, not mentioned as a raw id)."""
        members = {v.member_id for v in voters if v.member_id is not None}
        return await self._people.lookup_many(server.guild_id, members)

    async def _role(self, server: Server, action: str, member: int, role: int) -> None:
        call = self._messenger.add_role if action == "add" else self._messenger.remove_role
        with self._servers.speaking_for(server):
            # Translators: the reason shown in the Discord audit log when the bot gives or takes the top-voter role.
            reason = _("monthly top voter")
        try:
            await call(server.guild_id, member, role, reason=reason)
        except Unreachable as exc:  # a role that gained a dangerous permission too: retried, it may be fixed
            key = f"top_voter_role:{role}" + (":dangerous" if isinstance(exc, DangerousRole) else "")
            with self._servers.speaking_for(server):
                notice = role_refused_text(server, role, exc.shown)
            await self._notices.once(server, key, notice)
            raise RetryLater(f"role {role}: {exc.reason}") from exc
        except discord.HTTPException as exc:
            raise RetryLater(f"role {role}: Discord error {exc.status}") from exc
