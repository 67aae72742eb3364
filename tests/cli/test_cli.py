"""The operator CLI, run as a real process against the suite's database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.conftest import bot_environ


def votebot(tmp_path: Path, database_url: str, *args: str, extra_env: dict[str, str] | None = None):
    (tmp_path / "bot.toml").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k not in {"DISCORD_TOKEN"}}
    env |= bot_environ(database_url, str(tmp_path / "data"))
    # nothing here talks to Discord: `feature set` checks channels only with a token (tests/e2e/test_cli_discord.py)
    env |= {"DISCORD_TOKEN": ""} | (extra_env or {})
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "bot", *args, "--config", str(tmp_path / "bot.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_server_add_list_and_feature_set(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    added = votebot(
        tmp_path, database_url, "server", "add", "--guild", "123", "--name", "Survival",
        "--vote-url", "https://top-server.example/s/1", "--game", "minecraft", "--address", "mc.example.com:25565",
        "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    data = json.loads(added.stdout)
    assert data["name"] == "Survival" and data["api_key"].startswith("vb_")
    listed = votebot(tmp_path, database_url, "server", "list", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [data["id"]]
    assert data["api_key"] not in listed.stdout

    on = votebot(tmp_path, database_url, "feature", "set", str(data["id"]), "reminders", "--on", "--channel", "777")
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == f"Turned on reminders for server {data['id']} (Survival): channel 777."
    row = await pool.fetchrow(
        "SELECT enabled, channel_id FROM server_features WHERE server_id=$1 AND feature='reminders'", data["id"]
    )
    assert row["enabled"] and row["channel_id"] == 777
    paused = votebot(tmp_path, database_url, "feature", "set", str(data["id"]), "all", "--off")
    assert (
        paused.stdout.strip() == f"The master switch of server {data['id']} (Survival) is off: every feature is paused."
    )
    resumed = votebot(tmp_path, database_url, "feature", "set", str(data["id"]), "all", "--on")
    assert resumed.stdout.strip() == (
        f"The master switch of server {data['id']} (Survival) is on: the features that are switched on run again."
    )

    # settings go through the features' declarations: the same refusal as the slash commands give
    tuned = votebot(
        tmp_path, database_url, "feature", "set", str(data["id"]), "top10_board", "--on", "--channel", "778",
        "--set", "board_refresh=15",
    )  # fmt: skip
    assert tuned.returncode == 0 and ": channel 778, board_refresh=15." in tuned.stdout, tuned.stderr
    assert (
        await pool.fetchval(
            "SELECT settings->>'refresh_minutes' FROM server_features WHERE server_id=$1 AND feature='top10_board'",
            data["id"],
        )
        == "15"
    )
    for bad, message in (
        ("board_refresh=0", "The board refresh must be 1 to 60 minutes, not 0."),
        ("colour=red", "has no setting `colour`; its settings are: board_refresh"),
        ("nonsense", "expected KEY=VALUE"),
    ):
        refused = votebot(
            tmp_path, database_url, "feature", "set", str(data["id"]), "top10_board", "--on", "--set", bad
        )
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    assert (
        await pool.fetchval(
            "SELECT settings->>'refresh_minutes' FROM server_features WHERE server_id=$1 AND feature='top10_board'",
            data["id"],
        )
        == "15"
    )


def test_feature_set_help_lists_each_setting_with_its_unit(tmp_path: Path, database_url: str) -> None:
    shown = votebot(tmp_path, database_url, "feature", "set", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "role_hours=0-720" in shown.stdout and "Minutes between top-10 board refreshes" in shown.stdout
    assert "((" not in shown.stdout.replace("\n", " ") and "))" not in shown.stdout.replace("\n", " ")
    server_help = votebot(tmp_path, database_url, "server", "--help")
    assert "votes, secrets and boards" in " ".join(server_help.stdout.split()) and "…" not in server_help.stdout


async def test_bad_arguments_write_nothing(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    bad_url = votebot(tmp_path, database_url, "server", "add", "--guild", "1", "--name", "X", "--vote-url", "ftp://x")
    assert bad_url.returncode == 1 and "http:// or https://" in bad_url.stderr
    bad_guild = votebot(
        tmp_path, database_url, "server", "add", "--guild", "abc", "--name", "X", "--vote-url", "https://x"
    )
    assert bad_guild.returncode == 2 and "not a Discord id" in bad_guild.stderr
    long_name = votebot(
        tmp_path, database_url, "server", "add", "--guild", "1", "--name", "N" * 150, "--vote-url", "https://x.io"
    )
    assert long_name.returncode == 1 and "limit is 100" in long_name.stderr
    unknown = votebot(tmp_path, database_url, "feature", "set", "999", "vote", "--on")
    assert unknown.returncode == 1 and "no server with id 999" in unknown.stderr
    bad_feature = votebot(tmp_path, database_url, "feature", "set", "1", "confetti", "--on")
    assert bad_feature.returncode == 2 and "invalid choice" in bad_feature.stderr
    assert await pool.fetchval("SELECT count(*) FROM servers") == 0


def test_check_config_masks_and_names_bad_keys(tmp_path: Path, database_url: str) -> None:
    shown = votebot(
        tmp_path, database_url, "check-config", extra_env={"DISCORD_TOKEN": "abcdefghijklmnopqrstuvwxyz123456"}
    )
    assert shown.returncode == 0
    assert "abcdefghijklmnopqrstuvwxyz123456" not in shown.stdout and 'discord.token = "****3456"' in shown.stdout
    with_password = votebot(
        tmp_path, database_url, "check-config", extra_env={"DATABASE_URL": "postgresql://bot@db/v?password=hunter22"}
    )
    assert with_password.returncode == 0 and "hunter22" not in with_password.stdout + with_password.stderr
    assert 'database.url = "postgresql://bot@db/v?password=****"' in with_password.stdout
    bad = votebot(tmp_path, database_url, "check-config", extra_env={"VOTEBOT_WEBHOOKS__PORT": "100000"})
    assert bad.returncode == 2 and "webhooks.port" in bad.stderr
    no_token = votebot(tmp_path, database_url, "run", extra_env={"DISCORD_TOKEN": ""})
    assert no_token.returncode == 2 and "discord.token" in no_token.stderr


def test_migrate_reports_up_to_date(tmp_path: Path, database_url: str) -> None:
    result = votebot(tmp_path, database_url, "migrate")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_server_list_has_a_header_and_aligned_columns(tmp_path: Path, database_url: str) -> None:
    assert votebot(tmp_path, database_url, "server", "list").stdout.strip() == "no servers linked yet"
    for guild, name, url in (
        ("123", "Survival", "https://e.com/1"),
        ("45678901234567890", "Creative Hub", "https://e.com/22"),
    ):
        added = votebot(tmp_path, database_url, "server", "add", "--guild", guild, "--name", name, "--vote-url", url)
        assert added.returncode == 0, added.stderr
    listed = votebot(tmp_path, database_url, "server", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "ID  GUILD              DEFAULT  FEATURES  NAME          VOTE URL",
        " 1  123                yes      on        Survival      https://e.com/1",
        " 2  45678901234567890  yes      on        Creative Hub  https://e.com/22",
    ]
