"""What the web side may ask of the bot running in the same process: its services and its view of Discord.

The dashboard and the management API change settings through the same services the slash commands use, and check
people's rights and channels against the bot's own view of each guild (an OAuth snapshot is not trusted). The bot
puts itself here (:data:`BACKEND_KEY`) when it owns the web server; an ingest-only process (``votebot webhooks``)
has none, and those routes answer 503.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import discord
from aiohttp import web

from bot.core.charts import ChartRenderer
from bot.core.feature_switches import FeatureSwitches
from bot.core.features import FeatureRegistry
from bot.core.messaging import Messenger
from bot.core.servers import ServerService
from bot.core.time import Clock


class BotBackend(Protocol):
    servers: ServerService
    switches: FeatureSwitches
    features: FeatureRegistry
    messenger: Messenger
    charts: ChartRenderer
    clock: Clock
    owner_ids: Collection[int] | None

    def get_guild(self, id: int, /) -> discord.Guild | None: ...

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
