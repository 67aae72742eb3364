"""``server secret``, ``server show`` and ``send-test-vote`` as real processes against a running manager."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from bot.config import Config
from bot.runtime import VotifierService
from bot.votifier import load_public_key
from bot.webhooks.manager import WebhookManager
from tests.test_cli import votebot
from tests.webhooks.conftest import add_server, vote_rows

PUBLIC = {"VOTEBOT_WEBHOOKS__PUBLIC_URL": "https://votes.example.com"}


async def cli(tmp_path: Path, database_url: str, *args: str, env: dict[str, str] | None = None):
    return await asyncio.to_thread(votebot, tmp_path, database_url, *args, extra_env=env)


async def test_secret_and_show(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    sid = str(await add_server(pool))
    done = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "topserver", "--secret", "push-secret-123"
    )
    assert done.returncode == 0, done.stderr
    assert "push-secret-123" not in done.stdout and "sha256:" in done.stdout
    generated = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", "topgg", "--generate")
    assert generated.returncode == 0 and "legacy v0" in generated.stdout
    secret = generated.stdout.split("shown once, paste it into the listing site now): ")[1].split()[0]
    votifier = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "votifier", "--secret", "vtok-1234"
    )
    assert votifier.returncode == 0, votifier.stderr

    shown = await cli(tmp_path, database_url, "server", "show", sid, "--json", env=PUBLIC)
    assert shown.returncode == 0, shown.stderr
    assert secret not in shown.stdout and "push-secret-123" not in shown.stdout and "vtok-1234" not in shown.stdout
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
    bad_setting = await cli(
        tmp_path, database_url, "server", "secret", sid, "--provider", "topgg", "--secret", "x", "--set", "nope=1"
    )
    assert bad_setting.returncode == 1 and "project_id" in bad_setting.stderr


async def test_send_test_vote_each_provider(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, config: Config
) -> None:
    sid = str(await add_server(pool))
    for provider, secret in (
        ("topserver", "ts-secret"),
        ("topgg", "whs_cli_secret_0123"),
        ("gamemonitoring", "gm-token"),
        ("votifier", "vtok"),
    ):
        done = await cli(tmp_path, database_url, "server", "secret", sid, "--provider", provider, "--secret", secret)
        assert done.returncode == 0, done.stderr
    manager = WebhookManager(pool, host="127.0.0.1", port=0)
    await manager.run()
    votifier = VotifierService(config, pool)
    await votifier.start()
    try:
        url = f"http://127.0.0.1:{manager.port}"
        sent = await cli(
            tmp_path,
            database_url,
            "send-test-vote",
            "--server",
            sid,
            "--provider",
            "topserver",
            "--player",
            "Alex",
            "--url",
            url,
        )
        assert sent.returncode == 0 and "HTTP 200" in sent.stdout, sent.stdout + sent.stderr
        sent = await cli(
            tmp_path,
            database_url,
            "send-test-vote",
            "--server",
            sid,
            "--provider",
            "topgg",
            "--user",
            "4242",
            "--url",
            url,
        )
        assert sent.returncode == 0 and "HTTP 200" in sent.stdout, sent.stdout + sent.stderr
        sent = await cli(
            tmp_path, database_url, "send-test-vote", "--server", sid, "--provider", "gamemonitoring", "--url", url
        )
        assert sent.returncode == 0 and "HTTP 204" in sent.stdout, sent.stdout + sent.stderr
        vurl = f"127.0.0.1:{votifier.listener.port}"
        sent = await cli(
            tmp_path,
            database_url,
            "send-test-vote",
            "--server",
            sid,
            "--provider",
            "votifier",
            "--player",
            "Steve",
            "--url",
            vurl,
        )
        assert sent.returncode == 0 and '"ok"' in sent.stdout, sent.stdout + sent.stderr
        sent = await cli(
            tmp_path,
            database_url,
            "send-test-vote",
            "--server",
            sid,
            "--provider",
            "votifier",
            "--player",
            "Notch",
            "--url",
            vurl,
            "--v1",
        )
        assert sent.returncode == 0, sent.stderr
        for _ in range(50):
            if len(await vote_rows(pool)) >= 4:
                break
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
