"""/forward end to end, with the real bot and the fake Discord: adding a signed webhook (its secret shown once) and a
Votifier v2 destination (the token typed in a form), the list, a real /forward test against a webhook receiver that
verifies with standardwebhooks and against a minimal NuVotifier v2 server (a wrong token said plainly), pause,
resume and remove, the address policy for guild admins, and members without Manage Server refused."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.records import Server
from tests.cogs.forwarding.servers import MiniServer, nuvotifier, running
from tests.e2e.engagement_helpers import record_vote
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, form_inputs, reply_text, submit_form
from tests.fakediscord import FakeDiscord

TOKEN = "nuvotifier-token-0123456789"
SECRET = re.compile(r"`(whsec_[A-Za-z0-9+/=]+)`")


async def linked(pool: asyncpg.Pool, name: str = "Survival") -> Server:
    return (await ServerService(pool, features()).add(guild_id=GUILD_ID, name=name, vote_url="https://e.com/v")).server


async def command(runner: BotRunner, command_name: str, /, user: int = ADMIN, **options: Any) -> str:
    return reply_text(await runner.command(user, command_name, **options))


async def settled(pool: asyncpg.Pool, query: str, seconds: float = 10.0) -> None:
    """Wait until ``query`` (one boolean) is true: work the bot does in the background."""
    for _attempt in range(int(seconds / 0.05)):
        if await pool.fetchval(query):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not settled: {query}")


@dataclass
class Receiver:
    """A vote receiver as a plugin author writes it: verifies each request with standardwebhooks."""

    secret: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.refused += 1
            return web.Response(status=401, text="bad signature")
        self.received.append({"id": request.headers["webhook-id"], "body": json.loads(body)})
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/votes", found.handle)
    app_runner = web.AppRunner(app)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}/votes"
    try:
        yield found
    finally:
        await app_runner.cleanup()


@pytest.fixture
async def votifier() -> AsyncIterator[MiniServer]:
    """A minimal NuVotifier v2 listener (tests/cogs/forwarding/servers.py): the vote's HMAC checked with the token."""
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN))) as server:
        yield server


async def test_a_webhook_destination_shows_its_secret_once_and_a_test_vote_is_verified(
    runner: BotRunner, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    await linked(pool)
    answer = await command(runner, "forward add webhook", name="website", url=receiver.url)
    assert answer.startswith(
        f"Added **website** to **Survival**: votes from every listing site now go to `{receiver.url}`"
    )
    found = SECRET.search(answer)
    assert found is not None and "shown only once" in answer and "“Votes out”" in answer
    secret = found.group(1)
    stored = await pool.fetchrow("SELECT kind, url, secret, providers FROM forward_destinations")
    assert dict(stored) == {"kind": "webhook", "url": receiver.url, "secret": secret, "providers": []}

    listed = await command(runner, "forward list")
    assert "Where the votes of Survival go" in listed and "signed webhook" in listed and secret not in listed
    assert "whsec_" not in listed and "State: ✅ delivering" in listed and "Last success: never" in listed

    receiver.secret = secret
    tested = await command(runner, "forward test", name="website", player="Notch")
    assert tested == f"✅ The test vote for **Notch** reached **website** (`{receiver.url}`). It answered: HTTP 200: ok"
    [got] = receiver.received
    assert got["body"]["data"]["player"] == "Notch" and got["body"]["data"]["provider"] == "test"
    assert await pool.fetchval("SELECT count(*) FROM forward_deliveries") == 0  # a test vote is not queued

    receiver.secret = "whsec_" + "QUJD" * 8  # the receiver has another secret: refused, said plainly
    refused = await command(runner, "forward test", name="website")
    assert refused.startswith(f"❌ The test vote did not reach **website** (`{receiver.url}`): ")
    assert "refused the signature" in refused and receiver.refused == 1

    taken = await command(runner, "forward add webhook", name="website", url=receiver.url)
    assert taken == "**Survival** already has a vote destination called “website”. Pick another name."


async def test_a_votifier_v2_destination_takes_its_token_in_a_form(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, votifier: MiniServer
) -> None:
    await linked(pool)
    address = f"127.0.0.1:{votifier.port}"
    modal = (await runner.command(ADMIN, "forward add votifier", name="survival", address=address))[0]
    assert modal["type"] == 9 and modal["data"]["title"] == "NuVotifier token for survival"
    field_ = form_inputs(modal)["secret"]
    assert field_["label"] == "Token from plugins/Votifier/config.yml" and "tokens:" in field_["placeholder"]
    answer = await submit_form(fake, modal, {"secret": f"  {TOKEN} "})
    assert answer.startswith(
        f"Added **survival** to **Survival**: votes from every listing site now go to the Votifier v2 server at "
        f"`{address}` (service name “votebot”)."
    )
    assert TOKEN not in answer
    stored = await pool.fetchrow("SELECT kind, host, port, secret FROM forward_destinations")
    assert dict(stored) == {"kind": "votifier_v2", "host": "127.0.0.1", "port": votifier.port, "secret": TOKEN}

    tested = await command(runner, "forward test", name="survival", player="Notch")
    assert tested.startswith(f"✅ The test vote for **Notch** reached **survival** (`{address}`). It answered: ")
    assert [v["username"] for v in votifier.votes] == ["Notch"] and votifier.votes[0]["serviceName"] == "votebot"

    modal = (await runner.command(ADMIN, "forward add votifier", name="wrong", address=address, providers="topgg"))[0]
    await submit_form(fake, modal, {"secret": "not-the-token-at-all"})
    refused = await command(runner, "forward test", name="wrong")
    assert refused == (
        f"❌ The test vote did not reach **wrong** (`{address}`): the game server refused the token (check the "
        "NuVotifier token for service “votebot”)"
    )
    assert len(votifier.votes) == 1
    listed = await command(runner, "forward list")
    assert "Votifier v2 · `127.0.0.1:" in listed and "Listing sites: Top.gg" in listed and TOKEN not in listed

    # v1 asks for the public key instead; a bad one is refused and nothing is added
    modal = (await runner.command(ADMIN, "forward add votifier", name="classic", address=address, version=1))[0]
    assert modal["data"]["title"] == "Votifier public key for classic"
    assert form_inputs(modal)["secret"]["style"] == 2  # a paragraph: the key is long
    refused = await submit_form(fake, modal, {"secret": "not a key"})
    assert refused.startswith("That is not a Votifier public key.")
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 2

    # the name is checked before the form opens
    bad = await command(runner, "forward add votifier", name="no/slashes", address=address)
    assert bad.startswith("A destination name is 1 to 40 letters")


async def test_list_pause_resume_and_remove(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await linked(pool)
    assert "No vote destination yet." in await command(runner, "forward list")
    await command(runner, "forward add webhook", name="website", url="http://127.0.0.1:9/votes")

    choices = await fake.interact(
        {
            "type": 4, "guild_id": str(GUILD_ID), "channel_id": str(GENERAL), "user_id": str(ADMIN),
            "name": "forward pause", "options": [{"name": "name", "value": "web", "focused": True}],
        }
    )  # fmt: skip
    [response] = await fake.wait_for_response(choices["interaction_id"])
    assert response["data"]["choices"] == [{"name": "website (signed webhook)", "value": "website"}]

    paused = await command(runner, "forward pause", name="website")
    assert paused == "Paused **website**: its votes are kept in its queue and sent once you run /forward resume."
    assert await pool.fetchval("SELECT paused FROM forward_destinations") == "owner"
    await record_vote(pool, server, "v1", runner.clock(), player_name="Notch")
    await runner.deliver()  # the forwarding consumer queues it (or the bot's own dispatcher, woken by the vote)
    await settled(pool, "SELECT count(*) = 1 FROM forward_deliveries WHERE state = 'pending'")
    listed = await command(runner, "forward list")
    assert "State: ⏸️ paused by an admin" in listed and "Backlog: 1 vote" in listed and "Delivered: 0 votes" in listed
    assert "Dead letters: none" in listed

    resumed = await command(runner, "forward resume", name="website")
    assert resumed == "**website** delivers votes again, starting with the 1 vote waiting in its queue."
    assert await pool.fetchval("SELECT paused FROM forward_destinations") is None
    # the queue is sent at once: nothing listens on port 9, so it fails and is retried later
    await settled(pool, "SELECT last_error IS NOT NULL FROM forward_destinations")
    listed = await command(runner, "forward list")
    assert "State: ⚠️ retrying, failing since <t:" in listed and "Last error (<t:" in listed
    assert "network error: " in listed and "Backlog: 1 vote" in listed

    unknown = await command(runner, "forward remove", name="shop")
    assert unknown == "**Survival** has no vote destination called “shop”. /forward list shows them."
    await pool.execute("UPDATE forward_destinations SET paused = 'owner'")  # the vote stays queued
    removed = await command(runner, "forward remove", name="WEBSITE")
    assert removed == (
        "Removed **website** and its queue: the 1 vote still waiting for it was deleted with it and will not be sent."
    )
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 0
    assert await pool.fetchval("SELECT count(*) FROM forward_deliveries") == 0
    assert "No vote destination yet." in await command(runner, "forward list")


@pytest.mark.public_only
async def test_a_private_address_is_refused_for_a_guild_admin(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await linked(pool)
    refused = await command(runner, "forward add webhook", name="website", url="https://127.0.0.1/votes")
    assert refused.startswith("127.0.0.1 is a private or local address (127.0.0.1)")
    assert "allow_private_addresses = true" in refused
    plain = await command(runner, "forward add webhook", name="website", url="http://203.0.113.9/votes")
    assert plain.startswith("The webhook URL must be an https:// address")

    modal = (await runner.command(ADMIN, "forward add votifier", name="survival", address="10.1.2.3:8192"))[0]
    refused = await submit_form(fake, modal, {"secret": TOKEN})
    assert refused.startswith("10.1.2.3 is a private or local address (10.1.2.3)")
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 0


async def test_a_member_without_manage_server_is_refused(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await linked(pool)
    for command_name, options in (
        ("forward list", {}),
        ("forward add webhook", {"name": "website", "url": "http://127.0.0.1:9/votes"}),
        ("forward add votifier", {"name": "survival", "address": "127.0.0.1:8192"}),
        ("forward remove", {"name": "website"}),
    ):
        answer = await command(runner, command_name, MEMBER, **options)
        assert answer == "You need the Manage Server permission to use this command.", command_name
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 0


async def test_a_french_admin_reads_forward_in_french(
    runner: BotRunner, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    await linked(pool)
    answer = reply_text(await runner.command(ADMIN, "forward add webhook", locale="fr", name="site", url=receiver.url))
    assert answer.startswith("Destination **site** ajoutée à **Survival** : les votes de tous les sites de classement")
    assert "Secret de signature (affiché une seule fois, gardez-le secret) : `whsec_" in answer
    listed = reply_text(await runner.command(ADMIN, "forward list", locale="fr"))
    assert "Où vont les votes de Survival" in listed and "webhook signé · `" in listed
    assert "État : ✅ actif" in listed and "En attente : 0 vote" in listed and "Dernier succès : jamais" in listed
