"""How the bot words provider secrets to an owner in Discord: a secret that is too short or empty, named by the
provider's own spelling, and generating offered only where the bot may choose the secret."""

from __future__ import annotations

import asyncpg

from bot.db.credentials import CredentialRepository
from tests.e2e.harness import ADMIN, BotRunner
from tests.e2e.harness import submit_form as submit
from tests.e2e.test_setup_provider import linked
from tests.fakediscord import FakeDiscord


async def test_a_short_secret_is_refused_in_words_an_owner_reads(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked(pool)
    modal = (await runner.command(ADMIN, "setup provider", provider="topserver"))[0]
    answer = await submit(fake, modal, {"secret": "s"})
    assert answer == (
        "That secret is only 1 character long, and a guessable secret lets anyone forge votes. "
        "Copy the whole secret Top-Server shows: it has at least 16 characters."
    )
    modal = (await runner.command(ADMIN, "setup provider", provider="votifier"))[0]
    answer = await submit(fake, modal, {"secret": "short"})
    assert answer.startswith("That secret is only 5 characters long") and "or let me generate one" in answer
    assert await CredentialRepository(pool).list_for_server(server.id) == []
