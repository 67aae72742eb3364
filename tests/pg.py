"""The suite's own PostgreSQL: a throw-away pgserver cluster (or TEST_DATABASE_URL), one database per test.

A template database gets the real migrations once per session; each test then gets a fresh copy
(``CREATE DATABASE … TEMPLATE``), which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.db.migrations import apply_migrations

TEMPLATE = "votebot_test_template"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class TestCluster:
    admin_url: str
    _names: Iterator[int] = field(default_factory=itertools.count)
    _prefix: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:8])

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.admin_url)

    async def create_template(self) -> None:
        admin = await self._admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await admin.close()
        connection = await asyncpg.connect(with_database(self.admin_url, TEMPLATE))
        try:
            await apply_migrations(connection)
        finally:
            await connection.close()

    async def create_database(self, *, migrated: bool = True) -> str:
        name = f"{self._prefix}_{next(self._names)}"
        admin = await self._admin()
        try:
            template = TEMPLATE if migrated else "template0"
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await admin.close()
        return with_database(self.admin_url, name)

    async def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        admin = await self._admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def start_cluster() -> tuple[TestCluster, object | None]:
    """Start the suite's PostgreSQL; returns the cluster and a handle to stop (None for TEST_DATABASE_URL)."""
    url = os.environ.get("TEST_DATABASE_URL")
    server = None
    if not url:
        import pgserver

        directory = tempfile.mkdtemp(prefix="votebot-pg-")
        server = pgserver.get_server(directory, cleanup_mode="delete")
        url = server.get_uri()
    cluster = TestCluster(url)
    asyncio.run(cluster.create_template())
    return cluster, server
