"""Connecting to PostgreSQL: the configured server, or a private embedded cluster under ``data_dir``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg

log = logging.getLogger(__name__)


class PoolOptions(Protocol):
    """What a pool needs (``bot.app.config.DatabaseConfig`` has it)."""

    @property
    def url(self) -> str: ...
    @property
    def min_pool_size(self) -> int: ...
    @property
    def max_pool_size(self) -> int: ...
    @property
    def command_timeout(self) -> float: ...


@dataclass(frozen=True, slots=True)
class PoolDefaults:
    url: str = ""
    min_pool_size: int = 1
    max_pool_size: int = 10
    command_timeout: float = 30.0


EMBEDDED_DATABASE = "votebot"


class EmbeddedPostgres:
    """A PostgreSQL cluster owned by this process, kept in ``<data_dir>/postgres`` across restarts.

    Uses the ``pgserver`` package (PostgreSQL binaries shipped in a wheel), so nothing has to be
    installed by hand. Several processes may share one cluster; it stops when the last one leaves.
    """

    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "postgres").resolve()
        self._server: Any = None

    async def start(self) -> str:
        """Start (or attach to) the cluster and return a URL for the ``votebot`` database."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver keeps its lock files there; it must be private
            runtime = self.directory.parent / "run"
            runtime.mkdir(mode=0o700, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        import pgserver  # imported lazily (only the embedded mode needs it), after the runtime dir is set

        log.info("starting embedded PostgreSQL in %s", self.directory)
        self._server = await asyncio.to_thread(pgserver.get_server, self.directory, cleanup_mode="stop")
        admin_url = self._server.get_uri()
        connection = await asyncpg.connect(admin_url)
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
        finally:
            await connection.close()
        return str(self._server.get_uri(EMBEDDED_DATABASE))

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.cleanup)
            log.info("embedded PostgreSQL stopped")


class Database:
    """Owns the asyncpg pool and, in embedded mode, the PostgreSQL cluster behind it."""

    def __init__(self, config: PoolOptions, data_dir: Path) -> None:
        self._config = config
        self._embedded = None if config.url else EmbeddedPostgres(data_dir)
        self._pool: asyncpg.Pool | None = None
        self.url = config.url

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not connected; call connect() first")
        return self._pool

    async def connect(self) -> asyncpg.Pool:
        if self._embedded is not None:
            self.url = await self._embedded.start()
        try:
            self._pool = await create_pool(self.url, self._config)
        except BaseException:
            await self.close()
            raise
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
        if self._embedded is not None:
            await self._embedded.stop()


async def register_codecs(connection: asyncpg.Connection) -> None:
    """jsonb in and out as Python objects on every connection: repositories pass dicts, never ``json.dumps``."""
    await connection.set_type_codec("jsonb", encoder=_dump_json, decoder=json.loads, schema="pg_catalog")


def _dump_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def create_pool(url: str, config: PoolOptions = PoolDefaults()) -> asyncpg.Pool:
    """A pool with bounded size, a connect timeout, a per-statement timeout and the jsonb codec."""
    pool = await asyncpg.create_pool(
        url,
        init=register_codecs,
        min_size=config.min_pool_size,
        max_size=config.max_pool_size,
        command_timeout=config.command_timeout,
        timeout=10,
        max_inactive_connection_lifetime=300,
        server_settings={"application_name": "votebot", "timezone": "UTC"},
    )
    if pool is None:  # pragma: no cover - asyncpg returns a pool when not used as an awaitable context
        raise RuntimeError("asyncpg returned no pool")
    return pool
