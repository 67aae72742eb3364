"""``server secret``, ``server show`` and ``send-test-vote`` as real processes against a running manager."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from bot.app.config import Config
from bot.votes.votifier.protocol import load_public_key
from bot.votes.votifier.service import VotifierService
from bot.web.app import WebhookManager
from tests.cli.test_cli import votebot
from tests.web.conftest import add_server, vote_rows

PUBLIC = {"VOTEBOT_WEBHOOKS__PUBLIC_URL": "https://votes.example.com"}


async def cli(tmp_path: Path, database_url: str, *args: str, env: dict[str, str] | None = None):
    return await asyncio.to_thread(votebot, tmp_path, database_url, *args, extra_env=env)


async def test_secret_and_show(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    sid = str(await add_server(pool))
    done = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "topserver", "--secret", "push-secret-1234567"
    )
    assert done.returncode == 0, done.stderr
    assert "push-secret-1234567" not in done.stdout and "sha256:" in done.stdout
    assert done.stdout.startswith(f"Top-Server secret of server {sid} (")
    refused = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "topgg", "--generate")
    assert (
        refused.returncode == 1
        and (
            "--generate: Top.gg makes its webhook secret itself, so a secret I generated would never match. "
            "Copy it from Top.gg instead. I can generate only the Votifier token and the event API secret."
        )
        in refused.stderr
    )
    generated = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "events", "--generate")
    assert generated.returncode == 0, generated.stderr
    marker = "Generated secret, shown only once. Paste it into the program that sends events to the bot now: "
    secret = generated.stdout.split(marker)[1].split()[0]
    assert "listing site" not in generated.stdout
    topgg = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "topgg", f"--secret={secret}")
    assert topgg.returncode == 0 and "set: a legacy v0 Authorization value, fingerprint sha256:" in topgg.stdout
    assert ") (" not in topgg.stdout
    votifier = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "votifier", "--secret", "vtok-1234-abcdefgh"
    )
    assert votifier.returncode == 0, votifier.stderr

    shown = await cli(tmp_path, database_url, "server", "show", sid, "--json", env=PUBLIC)
    assert shown.returncode == 0, shown.stderr
    assert (
        secret not in shown.stdout
        and "push-secret-1234567" not in shown.stdout
        and "vtok-1234-abcdefgh" not in shown.stdout
    )
    data = json.loads(shown.stdout)["providers"]
    assert data["topserver"]["webhook_url"] == f"https://votes.example.com/webhooks/topserver/{sid}"
    assert data["topgg"]["integration_url"].startswith(
        f"https://votes.example.com/integrations/topgg?server={sid}&token="
    )
    assert data["gamemonitoring"]["configured"] is False
    load_public_key(data["votifier"]["public_key"])
    assert data["votifier"]["host"] == "votes.example.com"
    text = await cli(tmp_path, database_url, "server", "show", sid)
    assert "<set webhooks.public_url>/webhooks/topgg/" in text.stdout and "public key:" in text.stdout

    unknown = await cli(tmp_path, database_url, "server", "secret", "999", "--provider", "topgg", "--secret", "x")
    assert unknown.returncode == 1 and "no server with id 999" in unknown.stderr
    bad = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "myspace", "--secret", "x")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    short = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "topserver", "--secret", "a")
    assert short.returncode == 1 and "--secret: That secret is only 1 character long" in short.stderr
    assert "Copy the whole secret Top-Server shows: it has at least 16 characters." in short.stderr
    assert "generate" not in short.stderr  # Top-Server makes its secret: generating is not offered
    short_token = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "votifier", "--secret", "ab")
    assert "only 2 characters long" in short_token.stderr and "or let me generate one" in short_token.stderr
    empty = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "topserver", "--secret", "")
    assert empty.returncode == 1 and "--secret: The secret is empty." in empty.stderr
    bad_setting = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "topgg", "--secret", "x", "--set", "nope=1"
    )
    assert bad_setting.returncode == 1 and (
        "--set nope=1: Top.gg has one setting: project_id (use --set project_id=VALUE)." in bad_setting.stderr
    )
    bad_gm = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "gamemonitoring", "--secret",
        "gm-token-0123456789", "--set", "gm_server_id=abc",
    )  # fmt: skip
    assert bad_gm.returncode == 1 and "--set gm_server_id:" in bad_gm.stderr and "digits only" in bad_gm.stderr


async def test_send_test_vote_each_provider(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, config: Config
) -> None:
    sid = str(await add_server(pool))
    for provider, secret in (
        ("topserver", "ts-secret-0123456789"),
        ("topgg", "whs_cli_secret_0123"),
        ("gamemonitoring", "gm-token-0123456789"),
        ("votifier", "vtok-0123456789abc"),
    ):
        done = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", provider, "--secret", secret)
        assert done.returncode == 0, done.stderr
    manager = WebhookManager(pool, host="127.0.0.1", port=0)
    await manager.run()
    votifier = VotifierService(pool, config.votifier.host, config.votifier.port)
    await votifier.start()
    try:
        url, vurl = f"http://127.0.0.1:{manager.port}", f"127.0.0.1:{votifier.listener.port}"

        async def send(provider: str, *extra: str) -> str:
            sent = await cli(tmp_path, database_url, "send-test-vote", "--server", sid, "--provider", provider, *extra)
            assert sent.returncode == 0, sent.stdout + sent.stderr
            return sent.stdout

        assert "HTTP 200" in await send("topserver", "--player", "Alex", "--url", url)
        assert "HTTP 200" in await send("topgg", "--user", "4242", "--url", url)
        assert "HTTP 204" in await send("gamemonitoring", "--url", url)
        assert '"ok"' in await send("votifier", "--player", "Steve", "--url", vurl)
        await send("votifier", "--player", "Notch", "--url", vurl, "--v1")
        deadline = asyncio.get_running_loop().time() + 10  # the listener records after it answered
        while len(await vote_rows(pool)) < 4 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        rows = await vote_rows(pool)
        assert sorted((r["provider"], r["player_name"] or str(r["discord_user_id"])) for r in rows) == [
            ("topgg", "VotebotTest"),
            ("topserver", "Alex"),
            ("votifier", "Notch"),
            ("votifier", "Steve"),
        ]
        assert [r["discord_user_id"] for r in rows if r["provider"] == "topgg"] == [4242]
        refused = await cli(
            tmp_path,
            database_url,
            "send-test-vote",
            "--server",
            sid,
            "--provider",
            "topgg",
            "--url",
            "http://127.0.0.1:9",
        )
        assert refused.returncode == 1 and "could not reach" in refused.stderr
    finally:
        await votifier.close()
        await manager.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhooks_process_serves_routes_and_votifier(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool
) -> None:
    """`votebot webhooks` as a real process: provider routes and the Votifier listener, clean stop on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    import aiohttp
    from aiovotifier import VotifierClient

    from tests.conftest import bot_environ

    sid = await add_server(pool)
    done = await cli(
        tmp_path,
        database_url,
        "server",
        "secret",
        str(sid),
        "--provider",
        "votifier",
        "--secret",
        "vtok-9-0123456789ab",
    )
    assert done.returncode == 0, done.stderr
    web_port, votifier_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_")}
    env |= bot_environ(database_url, str(tmp_path / "data"))
    env |= {"VOTEBOT_WEBHOOKS__PORT": str(web_port), "VOTEBOT_VOTIFIER__PORT": str(votifier_port)}
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "bot", "webhooks", "--config", str(tmp_path / "bot.toml")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{web_port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("votebot webhooks did not come up")
            async with http.get(f"http://127.0.0.1:{web_port}/metrics") as response:
                assert response.status == 200
        reply = await VotifierClient("127.0.0.1", votifier_port, "MCList", "vtok-9-0123456789ab").nu_vote(
            "Herobrine", "1.1.1.1"
        )
        assert reply == {"status": "ok"}
        assert [r["player_name"] for r in await vote_rows(pool, "votifier")] == ["Herobrine"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == 0, stderr
    assert "vtok-9-0123456789ab" not in stderr
