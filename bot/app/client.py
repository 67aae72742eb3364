"""VoteBot: the Discord client, and what every feature package gets from it.

Dependencies come in through ``__init__``; nothing happens at import. A feature package's ``setup(bot)``
takes what it needs from here — :attr:`~VoteBot.servers`, :attr:`~VoteBot.votes`, :attr:`~VoteBot.messenger`,
:attr:`~VoteBot.notices`, :attr:`~VoteBot.scheduler`, :attr:`~VoteBot.clock`, :attr:`~VoteBot.shards` — and
registers its cog, its vote consumer (:meth:`~VoteBot.add_vote_consumer`), its pushed-event handlers and
its persistent views.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
import discord
import yarl
from aiohttp import web
from discord.ext import commands

from bot.app.config import Config
from bot.app.extensions import EXTENSIONS, features
from bot.core.admin_notice import AdminNotices
from bot.core.audit import install_interaction_actor
from bot.core.boards import BoardKeeper
from bot.core.calendar import MaintenanceCalendar, NothingPlanned
from bot.core.charts import ChartRenderer
from bot.core.command_translator import CommandTranslator
from bot.core.feature_switches import FeatureSwitches
from bot.core.i18n import install_interaction_languages, load_catalogs
from bot.core.interactions import NO_MENTIONS, on_tree_error
from bot.core.messaging import Messenger
from bot.core.people import People
from bot.core.pushed_events import EventHandlers
from bot.core.request_budget import RequestBudget, install_interaction_priority
from bot.core.request_budget import install as install_budget
from bot.core.scheduling import Scheduler
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock, utcnow
from bot.db.votes import VoteRepository
from bot.votes.credentials import Endpoints
from bot.votes.dispatcher import VoteDispatcher
from bot.votes.events import VoteConsumer
from bot.web.app import WebhookManager
from bot.web.backend import BACKEND_KEY, Summaries
from bot.web.dashboard.app import build as build_dashboard
from bot.web.dashboard.sections import DashboardPages
from bot.web.dashboard.settings import DashboardSettings, cookie_key

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"


def minimal_intents() -> discord.Intents:
    """Guilds (channels, roles, our own member) and DMs (owner commands). No privileged intents."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


def owner_prefix(bot: commands.Bot, message: discord.Message) -> list[str]:
    """Owner commands: ``!sync`` in a DM to the bot (DMs always carry content), or a mention anywhere."""
    prefixes = commands.when_mentioned(bot, message)
    return [*prefixes, "!"] if message.guild is None else prefixes


class _HideIrrelevantWarnings(logging.Filter):
    """discord.py warns about the message content intent for any custom prefix (ours only serves DMs) and
    about missing voice libraries (this bot never joins voice)."""

    HIDDEN = ("message content intent", "voice will NOT be supported")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in self.HIDDEN)


def quiet_irrelevant_warnings() -> None:
    for name in ("discord.ext.commands.bot", "discord.client"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideIrrelevantWarnings) for f in logger.filters):
            logger.addFilter(_HideIrrelevantWarnings())


def point_at_api(api_base_url: str) -> None:
    """Send all REST calls (including interaction webhooks) to ``api_base_url`` — a proxy or a fake."""
    discord.http.Route.BASE = api_base_url.rstrip("/")


class VoteBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        config: Config,
        pool: asyncpg.Pool,
        webhooks: WebhookManager | None = None,
        shard_ids: Sequence[int] | None = None,
        shard_count: int | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        services: bool = True,
        clock: Clock = utcnow,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        quiet_irrelevant_warnings()
        super().__init__(
            command_prefix=owner_prefix,
            intents=minimal_intents(),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            owner_ids=set(config.discord.owner_ids) or None,
            shard_ids=list(shard_ids) if shard_ids is not None else None,  # type: ignore[arg-type] # None = all
            shard_count=shard_count,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            member_cache_flags=discord.MemberCacheFlags.none(),
        )
        self.config = config
        self.pool = pool
        self.clock = clock
        self.ownership = ShardOwnership.of(shard_ids, shard_count)
        self.features = features()
        self.webhooks = webhooks
        self.servers = ServerService(pool, self.features, guild_locale=self._preferred_locale)
        self.votes = VoteRepository(pool)
        self.endpoints = Endpoints(config.webhooks.public_url, config.votifier.port, config.votifier.enabled)
        self.summaries = Summaries()  # what feature packages add to the management API (status)
        self.messenger = Messenger(self)
        self.switches = FeatureSwitches(self.servers, self.messenger)
        self.people = People(self, clock)
        self.notices = AdminNotices(self, pool)
        self.boards = BoardKeeper(self.servers, self.messenger, self.notices, clock=clock)
        self.charts = webhooks.charts if webhooks is not None else ChartRenderer()  # one worker process
        self.scheduler = Scheduler(clock)
        self.event_handlers = EventHandlers()
        self.dashboard = DashboardPages()  # feature packages add their dashboard sections in setup()
        self.calendar: MaintenanceCalendar = NothingPlanned()
        self.dispatcher = VoteDispatcher(pool, clock=clock, shards=self.ownership, wait_ready=self.wait_until_ready)
        self._services = services  # False: commands only (``votebot sync``), no scheduler, dispatcher or web
        self._extensions = tuple(extensions)
        self.tree.error(on_tree_error)
        install_interaction_languages(self._connection.parsers)
        self.budget = RequestBudget(config.discord.requests_per_second)
        install_budget(self.http, self.budget)
        install_interaction_priority(self._connection.parsers)
        install_interaction_actor(self._connection.parsers)  # the audit log's who, for every change it leads to
        if webhooks is not None and services:
            webhooks.webserver[BACKEND_KEY] = self  # the dashboard and the management API reach the bot here

    async def owns(self, user_id: int) -> bool:
        """``discord.owner_ids``, else the application's owner or team members (discord.py asks Discord once)."""
        try:
            return await self.is_owner(discord.Object(id=user_id))  # type: ignore[arg-type] # only .id is read
        except discord.HTTPException:
            return False

    async def member_of(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        """The member as Discord says now (members are not cached), None when they are not in the guild."""
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:
            return None

    def _preferred_locale(self, guild_id: int) -> discord.Locale | None:
        guild = self.get_guild(guild_id)
        return guild.preferred_locale if guild is not None else None

    @property
    def runs_services(self) -> bool:
        """False for ``votebot sync`` (commands only): features then start no jobs or loops."""
        return self._services

    def add_vote_consumer(self, consumer: VoteConsumer) -> None:
        self.dispatcher.register(consumer)

    def remove_vote_consumer(self, name: str) -> None:
        self.dispatcher.unregister(name)

    def provide_calendar(self, calendar: MaintenanceCalendar) -> None:
        self.calendar = calendar

    async def setup_hook(self) -> None:
        # Order matters (DESIGN.md): scheduler, extensions (a failure aborts startup), persistent views, web.
        load_catalogs()
        await self.tree.set_translator(CommandTranslator())
        if self._services:
            self.scheduler.start()
        for extension in self._extensions:
            await self.load_extension(extension)
        if not self._services:
            return
        await self.dispatcher.start()
        if self.webhooks is not None and not self.webhooks.is_running:
            if self.config.dashboard.enabled:  # after the extensions: they add their pages
                self.webhooks.webserver.add_subapp("/dashboard", self._dashboard_app())
            await self.webhooks.run()

    def _dashboard_app(self) -> web.Application:
        config = self.config
        settings = DashboardSettings(
            client_id=config.dashboard.client_id,
            client_secret=config.dashboard.client_secret,
            public_url=config.webhooks.public_url,
            api_base_url=config.discord.api_base_url,
            cookie_key=cookie_key(config.dashboard.cookie_secret, config.data_dir),
            session_seconds=config.dashboard.session_hours * 3600,
            logins_per_minute=config.dashboard.logins_per_minute,
        )
        assert self.webhooks is not None  # noqa: S101 - only called with a web server
        return build_dashboard(settings, self.dashboard, self.clock, self.webhooks.limits.trusted_proxies)

    async def launch_shards(self) -> None:
        # With an explicit shard count discord.py skips GET /gateway/bot and dials Discord's public gateway.
        # Behind a custom API base (a REST/gateway proxy, or the test fake) ask that API where its gateway is.
        if self.shard_count is not None and discord.http.Route.BASE != DISCORD_API:
            _, gateway_url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        await super().launch_shards()

    async def close(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.close()
        await self.dispatcher.close()
        self.scheduler.shutdown()
        await self.charts.aclose()
        await super().close()
        await self.budget.close()

    async def on_ready(self) -> None:
        count = len(self.guilds)
        guilds = "1 guild" if count == 1 else f"{count} guilds"
        log.info("logged in as %s (%s) in %s", self.user, self.user and self.user.id, guilds)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined guild %s (%s)", guild.name, guild.id)
