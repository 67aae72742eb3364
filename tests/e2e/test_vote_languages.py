"""Which language the vote texts are in: a thank-you (and its button) in the server's, a reply in the member's.

A pseudo-catalog stands in for French: every text comes out as ``[fr] <English>``, so a text built outside the
server's language shows without the mark.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from babel.support import NullTranslations

from bot.core import i18n
from bot.core.command_translator import NAME_CONTEXTS
from tests.e2e.engagement_helpers import make_server, record_vote, sent, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord


class PseudoFrench(NullTranslations):
    def gettext(self, message: str) -> str:
        return f"[fr] {message}"[: max(100, len(message))]  # a command's description stays within Discord's 100

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"[fr] {singular if n == 1 else plural}"

    def pgettext(self, context: str, message: str) -> str:
        if context in NAME_CONTEXTS.values():  # a slash command's or option's name: Discord takes no "[fr] vote"
            return f"fr-{message}"
        return f"[fr] {message}"


@pytest.fixture(autouse=True)
def pseudo_french(monkeypatch: pytest.MonkeyPatch) -> None:
    english = NullTranslations()
    monkeypatch.setattr(i18n, "_translations", lambda identifier: PseudoFrench() if identifier == "fr" else english)


async def test_thank_you_speaks_the_servers_language_and_replies_the_members(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool, language="fr")
    # the admin's reply: their own language (en-US), though the server speaks French
    answer = reply_text(await runner.command(ADMIN, "rewards setup", channel=str(GENERAL)))
    assert answer.startswith("Rewards for **Alpha**: each vote gets a thank-you in")
    reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(GENERAL)))

    now = runner.clock()
    fake.clear_requests()
    await record_vote(pool, server, "v1", now, player_name="steve")
    await wait_until(lambda: any("Thank you" in t for t in texts(fake, GENERAL)))
    assert [t for t in texts(fake, GENERAL) if "Thank you" in t] == [
        "[fr] 🎉 Thank you **steve** for voting for **Alpha**!"
    ]
    post = sent(fake, "POST", f"/channels/{GENERAL}/messages")[-1]
    labels = [c.get("label") for row in post["json"]["components"] for c in row["components"]]
    assert labels == ["[fr] Remind me"]

    # /vote is ephemeral: in the member's language (French here), whatever the server speaks
    spec: dict[str, Any] = {
        "guild_id": str(GUILD_ID),
        "channel_id": str(GENERAL),
        "user_id": str(MEMBER),
        "name": "vote",
        "options": [],
        "locale": "fr",
    }
    created = await fake.interact(spec)
    card = await fake.wait_for_response(created["interaction_id"], timeout=10)
    embed = card[0]["data"]["embeds"][0]
    assert embed["title"] == "[fr] Vote for Alpha"
    spec["locale"] = "en-US"
    created = await fake.interact(spec)
    card = await fake.wait_for_response(created["interaction_id"], timeout=10)
    assert card[0]["data"]["embeds"][0]["title"] == "Vote for Alpha"
