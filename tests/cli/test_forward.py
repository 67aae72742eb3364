"""``votebot forward …`` as a real process against the suite's database: adding destinations (the webhook's secret
printed once), the list (never a secret), pause/resume/remove, a failing test vote, and replaying dead letters."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.forwarding.model import Kind
from cogs.forwarding.repository import ForwardingRepository
from tests.cli.test_cli import votebot

PRIVATE_OK = {"VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES": "true"}  # a self-hoster's receivers on this machine
TOKEN = "nuvotifier-token-0123456789"


async def test_add_list_pause_resume_remove(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool, features()).add(guild_id=5, name="Survival", vote_url="https://e.com/v")).server
    sid = str(server.id)

    refused = votebot(tmp_path, database_url, "forward", "add-webhook", sid, "--name", "web", "--url",
                      "https://127.0.0.1/votes")  # fmt: skip
    assert refused.returncode == 1 and "127.0.0.1 is a private or local address" in refused.stderr

    added = votebot(tmp_path, database_url, "forward", "add-webhook", sid, "--name", "website", "--url",
                    "http://127.0.0.1:9/votes", "--providers", "topgg", extra_env=PRIVATE_OK)  # fmt: skip
    assert added.returncode == 0, added.stderr
    found = re.search(r"signing secret \(shown once, give it to the receiver now\): (whsec_\S+)", added.stdout)
    assert found is not None
    secret = found.group(1)
    assert await pool.fetchval("SELECT secret FROM forward_destinations WHERE name = 'website'") == secret
    assert added.stdout.startswith(
        f"destination website added to server {sid} (Survival): webhook to http://127.0.0.1:9/votes, votes from topgg"
    )

    mismatch = votebot(tmp_path, database_url, "forward", "add-votifier", sid, "--name", "mc", "--address",
                       "127.0.0.1:8192", "--version", "2", "--public-key", "AAAA", extra_env=PRIVATE_OK)  # fmt: skip
    assert mismatch.returncode == 1 and "Votifier v2 takes --token" in mismatch.stderr
    votifier = votebot(tmp_path, database_url, "forward", "add-votifier", sid, "--name", "mc",
                       "--address", "127.0.0.1:8192", "--token", TOKEN, "--service-name", "mylist",
                       extra_env=PRIVATE_OK)  # fmt: skip
    assert votifier.returncode == 0, votifier.stderr
    assert "mc added to server" in votifier.stdout and "Votifier v2 to 127.0.0.1:8192" in votifier.stdout

    listed = votebot(tmp_path, database_url, "forward", "list", sid)
    assert listed.returncode == 0, listed.stderr
    assert secret not in listed.stdout and TOKEN not in listed.stdout
    assert "website  webhook  http://127.0.0.1:9/votes  sites: topgg  delivering" in listed.stdout
    assert "mc  Votifier v2  127.0.0.1:8192  sites: all  delivering" in listed.stdout
    rows = json.loads(votebot(tmp_path, database_url, "forward", "list", sid, "--json").stdout)
    assert [(r["name"], r["kind"], r["service_name"]) for r in rows] == [
        ("website", "webhook", None),
        ("mc", "votifier_v2", "mylist"),
    ]
    assert "secret" not in rows[0] and secret not in json.dumps(rows)

    tested = votebot(tmp_path, database_url, "forward", "test", sid, "website", extra_env=PRIVATE_OK)
    assert tested.returncode == 1
    assert tested.stderr.startswith("votebot: the test vote did not reach website (http://127.0.0.1:9/votes): ")

    paused = votebot(tmp_path, database_url, "forward", "pause", sid, "MC")
    assert paused.returncode == 0 and paused.stdout.startswith("paused mc:"), paused.stderr
    assert await pool.fetchval("SELECT paused FROM forward_destinations WHERE name = 'mc'") == "owner"
    assert (
        "mc  Votifier v2  127.0.0.1:8192  sites: all  paused"
        in votebot(tmp_path, database_url, "forward", "list", sid).stdout
    )
    resumed = votebot(tmp_path, database_url, "forward", "resume", sid, "mc")
    assert resumed.stdout.strip() == "resumed mc: 0 queued votes to send"
    assert await pool.fetchval("SELECT paused FROM forward_destinations WHERE name = 'mc'") is None

    removed = votebot(tmp_path, database_url, "forward", "remove", sid, "mc")
    assert removed.stdout.strip() == f"removed mc of server {sid}; deleted with it: 0 queued votes, 0 dead letters"
    unknown = votebot(tmp_path, database_url, "forward", "remove", sid, "mc")
    assert unknown.returncode == 1 and "has no vote destination called “mc”" in unknown.stderr
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 1


async def test_replay_queues_dead_letters_again(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> None:
    server = (await ServerService(pool, features()).add(guild_id=5, name="Survival", vote_url="https://e.com/v")).server
    repository = ForwardingRepository(pool)
    website = await repository.add(
        server.id, name="website", kind=Kind.WEBHOOK, secret="whsec_x", url="https://a.example/v"
    )
    shop = await repository.add(server.id, name="shop", kind=Kind.WEBHOOK, secret="whsec_y", url="https://b.example/v")
    ledger = VoteLedger(pool)
    now = dt.datetime.now(dt.UTC)
    for number in range(3):
        recorded = await ledger.record(
            Vote(server_id=server.id, provider="topserver", external_id=f"v{number}", voted_at=now, player_name="Notch")
        )
        assert recorded.vote_id is not None
        await repository.enqueue(recorded.vote_id, [(website.id, "Notch"), (shop.id, "Notch")])
    await pool.execute("UPDATE forward_deliveries SET state = 'dead', done_at = now(), last_error = 'HTTP 500'")

    listed = votebot(tmp_path, database_url, "forward", "list", str(server.id))
    assert "backlog 0 · delivered 0 · skipped 0 (unlinked Top.gg voters) · dead letters 3" in listed.stdout

    one = votebot(tmp_path, database_url, "forward", "replay", str(server.id), "website")
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == "3 dead letters of website queued again; a running bot delivers them now."
    states = await pool.fetch("SELECT destination_id, state, attempts FROM forward_deliveries ORDER BY vote_id")
    assert {(r["destination_id"], r["state"], r["attempts"]) for r in states} == {
        (website.id, "pending", 0),
        (shop.id, "dead", 0),
    }
    every = votebot(tmp_path, database_url, "forward", "replay", str(server.id))
    assert every.stdout.strip() == "3 dead letters of website, shop queued again; a running bot delivers them now."
    again = votebot(tmp_path, database_url, "forward", "replay", str(server.id))
    assert again.stdout.strip() == "No dead letters for website, shop, so there is nothing to replay."
    assert await pool.fetchval("SELECT count(*) FROM forward_deliveries WHERE state = 'pending'") == 6
