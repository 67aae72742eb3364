"""Forward-only SQL migrations: ``migrations/NNNN_name.sql`` applied in order, each in its own transaction.

Bookkeeping lives in ``schema_migrations(version, name, checksum, applied_at)``. The runner holds a
PostgreSQL advisory lock, so several processes starting at once apply each file exactly once. It
refuses to go on when an applied file was edited or deleted, or when the numbering has a gap.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x766F7465626F74  # "votebot"
FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The migrations on disk and in the database disagree; nothing was applied."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


def default_directory() -> Path:
    return Path(str(resources.files("migrations")))


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or default_directory()
    found: list[Migration] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_PATTERN.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_lowercase_name.sql")
        data = path.read_bytes()
        found.append(
            Migration(int(match.group(1)), match.group(2), data.decode("utf-8"), hashlib.sha256(data).hexdigest())
        )
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"gap or duplicate in migration numbering: expected {expected:04d}, found {migration.version:04d}"
            )
    return found


async def apply_migrations(connection: asyncpg.Connection, directory: Path | None = None) -> list[Migration]:
    """Apply pending migrations; return the ones applied now. Safe to run concurrently."""
    migrations = discover(directory)
    await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        rows = await connection.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        by_version = {m.version: m for m in migrations}
        for expected, row in enumerate(rows, start=1):
            if row["version"] != expected:
                raise MigrationError(
                    f"schema_migrations has a gap: expected version {expected}, found {row['version']}"
                )
            on_disk = by_version.get(row["version"])
            if on_disk is None:
                raise MigrationError(
                    f"migration {row['version']:04d}_{row['name']} is applied but missing from disk; "
                    "is this an older version of votebot?"
                )
            if on_disk.checksum != row["checksum"]:
                raise MigrationError(
                    f"migration {on_disk.version:04d}_{on_disk.name}.sql was edited after it was applied "
                    "(checksum mismatch); add a new migration instead of editing an applied one"
                )
        applied_now: list[Migration] = []
        for migration in migrations[len(rows) :]:
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
            applied_now.append(migration)
        return applied_now
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def migrate_pool(pool: asyncpg.Pool, directory: Path | None = None) -> list[Migration]:
    async with pool.acquire() as connection:
        return await apply_migrations(connection, directory)
