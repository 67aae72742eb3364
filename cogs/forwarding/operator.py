"""The forwarding service as ``votebot forward …`` uses it: built with the real senders, without Discord.

The CLI (bot/cli/forward.py) finds this module through the extension's name in bot/app/extensions.py, the one
place the core meets the features (``bot`` never imports ``cogs``). Nothing the CLI does delivers queued votes —
the running bot does — so nothing here tells an owner anything: :class:`_NoNotices` stands in for the DMs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from bot.app.config import Config
from bot.app.extensions import features
from bot.core.admin_notice import AdminNotices
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import utcnow
from bot.db.records import Server
from cogs.forwarding.model import DeliveryFailed
from cogs.forwarding.senders import close_senders, real_senders
from cogs.forwarding.service import ForwardingService

__all__ = ["DeliveryFailed", "operator_service"]


class _NoNotices(AdminNotices):
    """The CLI has no Discord connection; the service tells owners only while delivering, which the CLI never does."""

    def __init__(self) -> None:
        pass

    async def tell(self, guild_id: int, text: str) -> bool:
        return False

    async def once(self, server: Server, key: str, text: str) -> None:
        return None

    async def resolved(self, server: Server, key: str) -> None:
        return None


@contextlib.asynccontextmanager
async def operator_service(pool: asyncpg.Pool, config: Config) -> AsyncIterator[ForwardingService]:
    """The service with the bot's own address policy (a destination the bot could not reach is refused here too)."""
    allow_private = config.status.allow_private_addresses
    senders = real_senders(allow_private)
    service = ForwardingService(
        pool, ServerService(pool, features()), _NoNotices(), senders, clock=utcnow, ownership=ShardOwnership(),
        allow_private=allow_private,
    )  # fmt: skip
    try:
        yield service
    finally:
        await close_senders(senders)
