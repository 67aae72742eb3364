"""The one transaction idiom: a service opens ``async with transaction(db) as connection`` and passes the
connection down to the repositories it calls, so their statements commit (or roll back) together.

``db`` is the pool (a connection is acquired and released) or a connection the caller already holds;
inside a transaction that is already open, asyncpg makes the nested block a savepoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from bot.db.executor import Executor


@contextlib.asynccontextmanager
async def transaction(db: Executor) -> AsyncIterator[asyncpg.Connection]:
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as connection, connection.transaction():
            yield connection
    else:
        async with db.transaction():
            yield db
