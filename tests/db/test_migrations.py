from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from bot.db.migrations import MigrationError, apply_migrations, default_directory, discover


@pytest.fixture
async def connection(empty_database_url: str):
    conn = await asyncpg.connect(empty_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_fresh_apply_then_idempotent(connection: asyncpg.Connection) -> None:
    applied = await apply_migrations(connection)
    assert [m.version for m in applied] == list(range(1, len(discover()) + 1))
    tables = {
        r["tablename"] for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
    }
    assert {"schema_migrations", "servers", "server_features", "provider_credentials", "votes"} <= tables
    assert await apply_migrations(connection) == []
    rows = await connection.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
    assert [r["checksum"] for r in rows] == [m.checksum for m in discover()]


async def test_concurrent_runners_apply_once(empty_database_url: str) -> None:
    conns = [await asyncpg.connect(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    assert sorted(len(r) for r in results) == [0, 0, len(discover())]


def copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(default_directory(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


async def test_refuses_edited_applied_file(connection: asyncpg.Connection, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    await apply_migrations(connection, directory)
    first = sorted(directory.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await apply_migrations(connection, directory)


async def test_refuses_gap_in_numbering(connection: asyncpg.Connection, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    (directory / "0003_later.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="gap or duplicate"):
        await apply_migrations(connection, directory)
    # nothing was applied
    assert await connection.fetchval("SELECT to_regclass('servers')") is None


async def test_applies_new_file_and_rolls_back_a_failing_one(connection: asyncpg.Connection, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    await apply_migrations(connection, directory)
    count = len(discover(directory))
    (directory / f"{count + 1:04d}_broken.sql").write_text("CREATE TABLE half_done (id int); SELECT * FROM nope;")
    with pytest.raises(asyncpg.UndefinedTableError):
        await apply_migrations(connection, directory)
    assert await connection.fetchval("SELECT to_regclass('half_done')") is None
    assert await connection.fetchval("SELECT max(version) FROM schema_migrations") == count


async def test_refuses_badly_named_file(tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    (directory / "2_bad-name.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lowercase_name"):
        discover(directory)


async def test_0016_renames_names_that_clash_without_case(connection: asyncpg.Connection, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    later = sorted(directory.glob("0016_*.sql"))[0]
    held = later.read_text()
    later.unlink()
    for newer in directory.glob("00*.sql"):
        if int(newer.name[:4]) > 16:
            newer.unlink()
    await apply_migrations(connection, directory)
    rows = [
        (1, "Rust Main"), (1, "rust main"), (1, "RUST MAIN"), (1, "Rust Main (2)"), (2, "rust main"),
        (1, "x" * 100), (1, "X" * 100),
    ]  # fmt: skip
    for n, (guild, name) in enumerate(rows):
        await connection.execute(
            "INSERT INTO servers (guild_id, name, vote_url, api_key_hash) VALUES ($1, $2, 'https://e.com', $3)",
            guild,
            name,
            f"{n:064x}",
        )
    later.write_text(held)
    await apply_migrations(connection, directory)
    names = [r["name"] for r in await connection.fetch("SELECT name FROM servers ORDER BY id")]
    assert names == [
        "Rust Main", "rust main (3)", "RUST MAIN (4)", "Rust Main (2)", "rust main", "x" * 100, "X" * 96 + " (2)",
    ]  # fmt: skip
    with pytest.raises(asyncpg.UniqueViolationError):
        await connection.execute(
            "INSERT INTO servers (guild_id, name, vote_url, api_key_hash) VALUES (1, 'rUsT mAiN', 'https://e.com', $1)",
            "f" * 64,
        )
