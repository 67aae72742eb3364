"""``votebot feature set`` and friends are logged as the operator (source cli); ``votebot audit`` prints the log."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.audit import AuditRepository
from tests.cli.test_cli import votebot


async def test_cli_changes_are_logged_as_the_operator(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    operator = {"LOGNAME": "opal", "USER": "opal"}
    added = votebot(
        tmp_path, database_url, "server", "add", "--guild", "123", "--name", "Survival",
        "--vote-url", "https://top-server.example/s/1", "--json", extra_env=operator,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    server_id = json.loads(added.stdout)["id"]
    on = votebot(
        tmp_path, database_url, "feature", "set", str(server_id), "reminders", "--on", "--channel", "777",
        extra_env=operator,
    )  # fmt: skip
    assert on.returncode == 0, on.stderr
    refused = votebot(tmp_path, database_url, "feature", "set", str(server_id), "reminders", "--on", "--set", "x=1")
    assert refused.returncode == 1  # refused: nothing logged

    entries = await AuditRepository(pool).list_for_server(server_id)
    assert [(e.source, e.user_id, e.actor, e.action) for e in entries] == [
        ("cli", None, "opal", "feature.on"),
        ("cli", None, "opal", "server.add"),
    ]
    assert entries[0].details == {"feature": "reminders", "channel_id": [None, 777]}

    shown = votebot(tmp_path, database_url, "audit", "--server", str(server_id))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"#{entries[0].id}  ")
    assert lines[0].endswith(" · opal (command line) · Turned on Vote reminders in channel 777")
    assert lines[1].endswith(" · opal (command line) · Linked the game server Survival")
    older = votebot(tmp_path, database_url, "audit", "--server", str(server_id), "--before", str(entries[0].id))
    assert older.stdout.splitlines() == lines[1:]
    one = votebot(tmp_path, database_url, "audit", "--server", str(server_id), "--limit", "1")
    assert one.stdout.splitlines() == lines[:1]
    empty = votebot(tmp_path, database_url, "audit", "--server", "999")
    assert empty.stdout.strip() == "server 999 has no audit log entries"


async def test_forwarding_changes_at_the_cli_are_logged(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool, features()).add(guild_id=5, name="Survival", vote_url="https://e.com/v")).server
    sid = str(server.id)
    env = {"VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES": "true", "LOGNAME": "opal", "USER": "opal"}
    added = votebot(tmp_path, database_url, "forward", "add-webhook", sid, "--name", "website", "--url",
                    "http://127.0.0.1:9/votes", extra_env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    secret = await pool.fetchval("SELECT secret FROM forward_destinations")
    for action in ("pause", "resume", "remove"):
        done = votebot(tmp_path, database_url, "forward", action, sid, "website", extra_env=env)
        assert done.returncode == 0, done.stderr
    entries = await AuditRepository(pool).list_for_server(server.id)
    assert [(e.source, e.actor, e.action) for e in reversed(entries)] == [
        ("cli", "opal", "forwarding.add"),
        ("cli", "opal", "forwarding.pause"),
        ("cli", "opal", "forwarding.resume"),
        ("cli", "opal", "forwarding.remove"),
    ]
    assert entries[-1].details == {
        "name": "website", "kind": "webhook", "where": "http://127.0.0.1:9/votes", "providers": []
    }  # fmt: skip
    assert secret not in str([e.details for e in entries])


async def test_a_removed_servers_log_stays_and_says_who_removed_it(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool
) -> None:
    server = (await ServerService(pool, features()).add(guild_id=5, name="Survival", vote_url="https://e.com/v")).server
    operator = {"LOGNAME": "opal"}
    removed = votebot(tmp_path, database_url, "server", "remove", str(server.id), "--yes", extra_env=operator)
    assert removed.returncode == 0, removed.stderr
    assert await pool.fetchval("SELECT count(*) FROM servers") == 0
    shown = votebot(tmp_path, database_url, "audit", "--server", str(server.id))
    assert shown.stdout.strip().endswith(" · opal (command line) · Removed the game server Survival")
