"""What the web side may ask of the bot running in the same process: its services and its view of Discord.

The dashboard and the management API change settings through the same services the slash commands use, and check
people's rights and channels against the bot's own view of each guild (an OAuth snapshot is not trusted). The bot
puts itself here (:data:`BACKEND_KEY`) when it owns the web server; an ingest-only process (``votebot webhooks``)
has none, and those routes answer 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Protocol

import asyncpg
import discord
from aiohttp import web

from bot.core.charts import ChartRenderer
from bot.core.feature_switches import FeatureSwitches
from bot.core.features import FeatureRegistry
from bot.core.messaging import Messenger
from bot.core.people import People
from bot.core.servers import ServerService
from bot.core.time import Clock
from bot.db.records import Server
from bot.db.votes import VoteRepository
from bot.votes.credentials import Endpoints

Summary = Callable[[Server], Awaitable[Mapping[str, Any]]]
"""A JSON object about one server that a feature package provides (the status package: the last known status)."""


class Summaries:
    """What feature packages add to the management API, by name (``"status"``): a package's ``setup()`` provides its
    summary and its ``teardown()`` withdraws it, so the web side never imports a feature package."""

    def __init__(self) -> None:
        self._by_name: dict[str, Summary] = {}

    def provide(self, name: str, summary: Summary) -> None:
        if name in self._by_name:
            raise ValueError(f"a summary called {name!r} is provided already")
        self._by_name[name] = summary

    def withdraw(self, name: str) -> None:
        self._by_name.pop(name, None)

    def get(self, name: str) -> Summary | None:
        """The summary called ``name``, or None when the package that provides it is not loaded."""
        return self._by_name.get(name)


class BotBackend(Protocol):
    pool: asyncpg.Pool  # for the repositories pages read through (the audit log, secrets, health, the outbox)
    endpoints: Endpoints  # where listing sites reach the bot: the URLs an owner pastes
    servers: ServerService
    switches: FeatureSwitches
    features: FeatureRegistry
    messenger: Messenger
    votes: VoteRepository
    summaries: Summaries
    charts: ChartRenderer
    people: People  # who a voter is, as the bot knows them (the dashboard's top voters)
    clock: Clock
    owner_ids: Collection[int] | None

    def get_guild(self, id: int, /) -> discord.Guild | None: ...

    async def owns(self, user_id: int) -> bool:
        """Whether ``user_id`` owns the bot (``discord.owner_ids``, else the application's owner or team)."""
        ...

    async def member_of(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        """The member as the bot sees them now (fetched: members are not cached), None when not in the guild."""
        ...


BACKEND_KEY = web.AppKey("backend", BotBackend)


def backend_of(request: web.Request) -> BotBackend:
    """The bot behind this web server, or a 503 for a process that runs no bot."""
    backend = request.config_dict.get(BACKEND_KEY)
    if backend is None:
        raise web.HTTPServiceUnavailable(text="this process runs no bot (votebot webhooks): use the bot's own port")
    return backend
