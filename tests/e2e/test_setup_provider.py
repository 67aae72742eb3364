"""/setup provider end to end: the GAMEMONITORING server id typed in the secret's form (validated, prefilled next
time), and ``generate`` only for the secrets the bot may choose (Votifier token, event API secret)."""

from __future__ import annotations

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from tests.e2e.harness import ADMIN, GUILD_ID, BotRunner, form_inputs, reply_text, submit_form
from tests.fakediscord import FakeDiscord


async def linked(pool: asyncpg.Pool) -> Server:
    service = ServerService(pool, features())
    return (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/v")).server


async def test_gamemonitoring_server_id_in_the_form(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = await linked(pool)
    repo = CredentialRepository(pool)
    modal = (await runner.command(ADMIN, "setup provider", provider="gamemonitoring"))[0]
    assert modal["type"] == 9 and set(form_inputs(modal)) == {"secret", "gm_server_id"}
    assert form_inputs(modal)["gm_server_id"].get("required") is False
    assert modal["data"]["title"] == "GAMEMONITORING secret for Survival"
    assert form_inputs(modal)["secret"]["label"] == "API token (from GAMEMONITORING)"  # each site its own hint

    answer = await submit_form(fake, modal, {"secret": "gm-token-0123456789", "gm_server_id": " 1234567 "})
    assert "secret for **" in answer and "** saved." in answer and "GAMEMONITORING server id: `1234567`" in answer
    stored = await repo.get(server.id, "gamemonitoring")
    assert stored is not None and stored.settings["gm_server_id"] == "1234567"

    # not a GAMEMONITORING id: refused, the token and the id stay as they were
    modal = (await runner.command(ADMIN, "setup provider", provider="gamemonitoring"))[0]
    assert form_inputs(modal)["gm_server_id"].get("value") == "1234567"  # prefilled with the stored id
    answer = await submit_form(fake, modal, {"secret": "gm-token-rotated-0123456", "gm_server_id": "my server"})
    assert "digits only" in answer
    assert await repo.get(server.id, "gamemonitoring") == stored

    # left empty when rotating the token: the stored id is kept
    modal = (await runner.command(ADMIN, "setup provider", provider="gamemonitoring"))[0]
    answer = await submit_form(fake, modal, {"secret": "gm-token-rotated-0123456", "gm_server_id": ""})
    rotated = await repo.get(server.id, "gamemonitoring")
    assert rotated is not None and rotated.secret == "gm-token-rotated-0123456"
    assert rotated.settings["gm_server_id"] == "1234567" and "`1234567`" in answer

    # the other providers' forms ask for the secret only
    assert set(form_inputs((await runner.command(ADMIN, "setup provider", provider="topgg"))[0])) == {"secret"}


@pytest.mark.parametrize(
    ("provider", "refusal"),
    [
        ("topserver", "Top-Server makes its push secret itself"),
        ("topgg", "Top.gg makes its webhook secret itself"),
        ("gamemonitoring", "GAMEMONITORING makes its token itself"),
    ],
)
async def test_generate_is_refused_for_secrets_the_site_makes(
    runner: BotRunner, pool: asyncpg.Pool, provider: str, refusal: str
) -> None:
    server = await linked(pool)
    answer = reply_text(await runner.command(ADMIN, "setup provider", provider=provider, generate=True))
    assert answer.startswith(f"{refusal}, so a secret I generated would never match.")
    assert answer.endswith("I can generate only the Votifier token and the event API secret.")
    assert await CredentialRepository(pool).get(server.id, provider) is None


async def test_generate_for_the_votifier_token(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await linked(pool)
    answer = reply_text(await runner.command(ADMIN, "setup provider", provider="votifier", generate=True))
    stored = await CredentialRepository(pool).get(server.id, "votifier")
    assert stored is not None and f"`{stored.secret}`" in answer and "shown only once" in answer
