"""/review end to end: the modal → an alert (editable, one per member), bad ratings store nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from bot.db.records import Server
from tests.e2e.harness import GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6
WINNER = 1_100_000_000_000_000_401


async def features_on(pool: asyncpg.Pool) -> Server:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/vote")).server
    for feature in ("reviews", "giveaways", "wipes"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL)
    return server


def alerts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.messages(GENERAL) if m["embeds"] and "review" in m["embeds"][0].get("title", "").lower()]


async def wait_alerts(fake: FakeDiscord, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await fake.state.wait_until(
        lambda: alerts(fake) if len(alerts(fake)) >= count else None, 10, f"{count} review alert(s)"
    )
    return found


async def submit_review(runner: BotRunner, fake: FakeDiscord, fields: dict[str, str]) -> list[dict[str, Any]]:
    opened = await runner.command(MEMBER, "review")
    assert opened[0]["type"] == 9, opened  # a modal
    modal = opened[0]["data"]
    created = await fake.interact(
        {
            "type": 5,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(MEMBER),
            "custom_id": modal["custom_id"],
            "fields": fields,
        }
    )
    first = await fake.wait_for_response(created["interaction_id"], timeout=10)
    assert first[0]["type"] == 5 and first[0]["data"]["flags"] & EPHEMERAL  # "thinking", privately, at once
    return (await fake.wait_for_response(created["interaction_id"], count=2, timeout=10))[1:]


async def test_review_modal_alert_and_edit(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    await features_on(pool)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(MEMBER), "nick": "@everyone **bold**"})
    answer = await submit_review(runner, fake, {"rating": "4", "text": "Great admins <@&1> @here"})
    assert "saved" in reply_text(answer) and answer[0]["data"]["flags"] & EPHEMERAL
    alert = (await wait_alerts(fake, 1))[0]
    embed = alert["embeds"][0]
    assert embed["title"] == "New review for Survival"
    # embeds never ping and the post allows no mentions: a role shows by name, not as a broken raw id
    assert embed["description"] == "**★★★★☆** (4/5)\nGreat admins <@&1> @here"
    assert embed["fields"] == [{"name": "By", "value": f"@everyone \\*\\*bold\\*\\* (<@{MEMBER}>)", "inline": True}]
    assert embed["footer"]["text"] == "Written with /review"  # not "From: Discord"
    assert "\u200b" not in str(embed)
    assert not alert["mention_everyone"] and alert["mention_roles"] == [] and alert["mentions"] == []
    assert sent_alert_mentions(fake) == {"parse": []}

    # the modal is prefilled with the stored review; submitting again edits it
    opened = await runner.command(MEMBER, "review")
    inputs = [row["components"][0] for row in opened[0]["data"]["components"]]
    assert [i.get("value") for i in inputs] == ["4", "Great admins <@&1> @here"]
    answer = await submit_review(runner, fake, {"rating": "2", "text": "x" * 3000})
    assert "updated" in reply_text(answer)
    updated = (await wait_alerts(fake, 2))[1]["embeds"][0]
    assert updated["title"] == "Review updated for Survival" and updated["description"].endswith("…")
    assert len(updated["description"]) < 1100
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 1


def sent_alert_mentions(fake: FakeDiscord) -> Any:
    """The allowed_mentions the bot sent with its (last) review alert."""
    return next(
        r["json"]["allowed_mentions"]
        for r in reversed(fake.requests)
        if r["method"] == "POST"
        and r["path"] == f"/channels/{GENERAL}/messages"
        and (r.get("json") or {}).get("embeds")
    )


@pytest.mark.parametrize("rating", ["7", "0", "x"])
async def test_bad_rating_stores_nothing(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, rating: str) -> None:
    await features_on(pool)
    answer = await submit_review(runner, fake, {"rating": rating, "text": "hi"})
    assert reply_text(answer) == (
        "The rating must be a whole number from 1 to 5. Your review is not saved yet: run /review again, and the "
        "form will still hold what you wrote."
    )
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 0 and alerts(fake) == []


async def test_a_refused_submit_does_not_count_against_the_limit(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 12: "run /review again", then "Slow down" for doing so; and the text typed was lost."""
    await features_on(pool)
    for _ in range(4):  # more refused submits than the limit allows forms: none of them counts
        answer = await submit_review(runner, fake, {"rating": "x", "text": "A long review I do not want to lose"})
        assert "run /review again" in reply_text(answer)
    opened = await runner.command(MEMBER, "review")
    assert opened[0]["type"] == 9, opened  # the form again, still holding what was typed
    inputs = [row["components"][0] for row in opened[0]["data"]["components"]]
    assert [i.get("value") for i in inputs] == ["x", "A long review I do not want to lose"]
    # forms that were only opened (or saved a review) still count: three a minute
    await runner.command(MEMBER, "review")
    await runner.command(MEMBER, "review")
    refused = reply_text(await runner.command(MEMBER, "review"))
    assert refused == "Please wait 60 seconds before trying again."
    runner.clock.advance(61)
    assert (await runner.command(MEMBER, "review"))[0]["type"] == 9


async def test_review_closed_when_feature_off(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await features_on(pool)
    await ServerService(pool, features()).switch_feature(server, "reviews", enabled=False)
    assert "not open" in reply_text(await runner.command(MEMBER, "review"))
