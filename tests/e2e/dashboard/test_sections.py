"""The feature packages' dashboard pages over real HTTP, against the running bot and the fake Discord: giveaways
(started, listed, ended early, rerolled, cancelled), wipes (planned in the server's time zone, removed) and vote
forwarding (a Votifier token and a webhook added, paused, resumed, tested, removed; no secret on any page) — each
through the slash commands' services, refused with their words, logged as the dashboard's, closed to members."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.app.config import Config, load_config
from bot.core.errors import UserError
from bot.core.time import parse_duration, parse_local
from bot.db.credentials import fingerprint
from cogs.forwarding.checks import clean_token
from tests.conftest import bot_environ
from tests.e2e.dashboard.client import Answer, DashboardClient, dashboard_environ
from tests.e2e.engagement_helpers import delivered, record_vote
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, LOCKED, MEMBER, ROLE_VOTER, BotRunner
from tests.e2e.test_giveaways import add_members, click, giveaway_message
from tests.fakediscord import FakeDiscord

TOKEN = "nuvotifier-token-0123456789"
PLAYERS = [1_100_000_000_000_000_311, 1_100_000_000_000_000_312, 1_100_000_000_000_000_313]
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@pytest.fixture
def config(tmp_path, database_url: str, fake: FakeDiscord, port: int) -> Config:
    """The dashboard's test settings, with private addresses allowed: the webhook receiver here is on loopback."""
    environ = bot_environ(database_url, str(tmp_path / "data"))
    environ |= dashboard_environ(port, fake.application_id)
    environ["VOTEBOT_DISCORD__API_BASE_URL"] = fake.api_base_url
    environ["VOTEBOT_DISCORD__OWNER_IDS"] = "1100000000000000999"
    environ["VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES"] = "true"
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=environ)


@dataclass
class Receiver:
    """A plugin's vote endpoint: verifies each request with standardwebhooks."""

    secret: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            return web.Response(status=401, text="bad signature")
        self.received.append(json.loads(body))
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
    found.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/votes"  # type: ignore[union-attr]
    try:
        yield found
    finally:
        await app_runner.cleanup()


async def _server(runner: BotRunner, *, giveaways: bool = False, timezone: str | None = None) -> int:
    servers = runner.running.servers
    server = (await servers.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/vote")).server
    if giveaways:
        await servers.switch_feature(server, "giveaways", enabled=True, channel_id=GENERAL)
    if timezone:
        await servers.update_options(server, timezone=timezone)
    return server.id


def refusal_of(call: Any, *args: Any) -> str:
    """What the slash command answers to these arguments."""
    try:
        call(*args)
    except UserError as refusal:
        return str(refusal)
    raise AssertionError("not refused")


def says(answer: Answer, text: str) -> bool:
    """Whether the page shows ``text``, a bot's answer in Discord markdown (shown as HTML: spaces aside)."""
    return "".join(text.replace("`", "").replace("**", "").split()) in "".join(answer.plain.split())


async def audit(pool: asyncpg.Pool, prefix: str) -> list[tuple[str, str, int]]:
    rows = await pool.fetch(
        "SELECT action, source, user_id FROM audit_log WHERE action LIKE $1 ORDER BY id", prefix + "%"
    )
    return [(r["action"], r["source"], r["user_id"]) for r in rows]


async def test_giveaways_start_end_early_reroll_and_cancel_from_the_dashboard(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server_id = await _server(runner, giveaways=True)
    page = f"/dashboard/servers/{server_id}/s/giveaways"
    await browser_less.log_in(ADMIN)
    empty = await browser_less.get(page)
    assert empty.status == 200 and "No giveaways yet." in empty.plain and "#general" in empty.plain
    assert "Giveaways" in (await browser_less.get(f"/dashboard/servers/{server_id}")).plain  # in the menu

    # a bad duration: the slash command's words, what was typed shown again, nothing created or posted
    refused = await browser_less.post(page, {"prize": "Nitro", "duration": "forever", "winners": "2"})
    assert refused.status == 422
    assert says(refused, refusal_of(parse_duration, "forever"))  # "I can't read the duration 'forever'. …"
    assert 'value="Nitro"' in refused.text
    assert await pool.fetchval("SELECT count(*) FROM giveaways") == 0
    assert not [m for m in fake.messages(GENERAL) if m["components"]]

    started = await browser_less.post(
        page, {"prize": "Nitro", "duration": "1h30m", "winners": "2", "channel_id": str(GENERAL)}
    )
    assert started.status == 200, started.plain
    assert "Giveaway #1 for Nitro started in #general; it ends 2026-11-18 13:30 UTC." in started.plain
    posted = giveaway_message(fake)  # the post with its Enter button, as /giveaway start makes it
    assert "Nitro" in posted["embeds"][0]["title"]
    giveaway_id = int(posted["components"][0]["components"][0]["custom_id"].rsplit(":", 1)[1])
    assert "Nitro" in started.plain and "running" in started.plain

    add_members(fake, PLAYERS, [ROLE_VOTER])
    for player in PLAYERS:
        await click(fake, giveaway_message(fake), player)
    listed = await browser_less.get(page)
    assert re.search(r"Nitro 2 2026-11-18 13:30 UTC 3 #general running", listed.plain), listed.plain

    # ending early asks first: without the box ticked nothing happens
    confirm = await browser_less.get(f"{page}/end/{giveaway_id}")
    assert confirm.status == 200 and f"End giveaway #{giveaway_id} now?" in confirm.plain
    unconfirmed = await browser_less.post(f"{page}/end/{giveaway_id}", {})
    assert unconfirmed.status == 422 and "Tick the box to confirm" in unconfirmed.plain
    assert await pool.fetchval("SELECT status FROM giveaways") == "running"
    ended = await browser_less.post(f"{page}/end/{giveaway_id}", {"confirm": "on"})
    assert f"Giveaway #{giveaway_id} ended with 2 winners." in ended.plain, ended.plain
    assert await pool.fetchval("SELECT status FROM giveaways") == "ended"
    assert any("Congratulations" in m["content"] and "Nitro" in m["content"] for m in fake.messages(GENERAL))
    again = await browser_less.post(f"{page}/end/{giveaway_id}", {"confirm": "on"})  # the service's refusal
    assert again.status == 422 and "has already ended" in again.plain

    rerolled = await browser_less.post(f"{page}/reroll/{giveaway_id}", {"winners": "1"})
    assert f"Rerolled giveaway #{giveaway_id}: 1 new winner." in rerolled.plain, rerolled.plain
    assert any("Reroll!" in m["content"] for m in fake.messages(GENERAL))

    second = await browser_less.post(page, {"prize": "Diamonds", "duration": "2d", "winners": "1"})
    assert "started in #general" in second.plain  # the giveaways channel by default
    second_id = await pool.fetchval("SELECT id FROM giveaways WHERE prize = 'Diamonds'")
    cancelled = await browser_less.post(f"{page}/cancel/{second_id}", {"confirm": "on"})
    assert f"Giveaway #{second_id} was cancelled." in cancelled.plain
    assert await pool.fetchval("SELECT status FROM giveaways WHERE id = $1", second_id) == "cancelled"
    not_rerolled = await browser_less.post(f"{page}/reroll/{second_id}", {"winners": "1"})
    assert not_rerolled.status == 422
    assert f"Giveaway #{second_id} was cancelled, so there are no winners to reroll." in not_rerolled.plain
    assert "Start a giveaway" in not_rerolled.plain  # the list again, with the refusal

    assert await audit(pool, "giveaway.") == [
        ("giveaway.create", "dashboard", ADMIN),
        ("giveaway.end", "dashboard", ADMIN),
        ("giveaway.reroll", "dashboard", ADMIN),
        ("giveaway.create", "dashboard", ADMIN),
        ("giveaway.cancel", "dashboard", ADMIN),
    ]


async def test_a_giveaway_without_a_usable_channel_is_refused_and_another_servers_is_not_on_this_page(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)  # giveaways off: no channel configured
    await browser_less.log_in(ADMIN)
    refused = await browser_less.post(
        f"/dashboard/servers/{server_id}/s/giveaways", {"prize": "Nitro", "duration": "1h", "winners": "1"}
    )
    assert refused.status == 422 and "There is no channel for Giveaways yet" in refused.plain
    locked = await browser_less.post(
        f"/dashboard/servers/{server_id}/s/giveaways",
        {"prize": "Nitro", "duration": "1h", "winners": "1", "channel_id": str(LOCKED)},
    )
    assert locked.status == 422 and "I can't post in #announcements" in locked.plain
    assert await pool.fetchval("SELECT count(*) FROM giveaways") == 0
    # another game server of the guild: its giveaway is on its own page, not on this one's
    servers = runner.running.servers
    other = (await servers.add(guild_id=GUILD_ID, name="Creative", vote_url="https://example.com/vote")).server
    await servers.switch_feature(other, "giveaways", enabled=True, channel_id=GENERAL)
    started = await browser_less.post(
        f"/dashboard/servers/{other.id}/s/giveaways", {"prize": "Nitro", "duration": "1h", "winners": "1"}
    )
    assert "started in #general" in started.plain and "Nitro" in started.plain
    giveaway_id = await pool.fetchval("SELECT id FROM giveaways")
    assert "Nitro" not in (await browser_less.get(f"/dashboard/servers/{server_id}/s/giveaways")).plain
    assert (await browser_less.get(f"/dashboard/servers/{server_id}/s/giveaways/end/{giveaway_id}")).status == 404
    wrong = await browser_less.post(
        f"/dashboard/servers/{server_id}/s/giveaways/cancel/{giveaway_id}",
        {"confirm": "on"},
        csrf=started.csrf,
    )
    assert wrong.status == 404 and await pool.fetchval("SELECT status FROM giveaways") == "running"


async def test_wipes_are_planned_in_the_servers_time_zone_and_removed_after_a_confirmation(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner, timezone="Europe/Berlin")
    page = f"/dashboard/servers/{server_id}/s/wipes"
    await browser_less.log_in(ADMIN)
    empty = await browser_less.get(page)
    assert empty.status == 200 and "No wipe is planned." in empty.plain and "Europe/Berlin" in empty.plain

    refused = await browser_less.post(page, {"title": "Monthly wipe", "when": "next friday"})
    assert refused.status == 422
    assert says(refused, refusal_of(parse_local, "next friday", "Europe/Berlin"))
    assert 'value="Monthly wipe"' in refused.text
    assert await pool.fetchval("SELECT count(*) FROM wipes") == 0

    planned = await browser_less.post(
        page, {"title": "Monthly wipe", "when": "2026-11-20 18:00", "repeat": "monthly", "duration": "2h"}
    )
    assert planned.status == 200, planned.plain
    assert "Planned wipe #1 Monthly wipe for 2026-11-20 18:00 Europe/Berlin." in planned.plain, planned.plain
    assert "wipe announcements are off" in planned.plain  # the service's note, as /wipe add gives it
    row = await pool.fetchrow("SELECT id, starts_at, duration, repeat FROM wipes")
    assert row["starts_at"] == dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)  # 18:00 in Berlin
    assert row["duration"] == dt.timedelta(hours=2) and row["repeat"] == "monthly"
    assert "Monthly wipe 2026-11-20 18:00 Europe/Berlin 2 hr every month" in planned.plain

    moving = await browser_less.get(f"{page}/move/{row['id']}")
    assert moving.status == 200 and 'value="2026-11-20 18:00"' in moving.text  # the start as it was typed
    same = await browser_less.post(f"{page}/move/{row['id']}", {"when": "2026-11-20 18:00"})
    assert same.status == 422 and says(same, f"Wipe #{row['id']} already starts then.")
    moved = await browser_less.post(f"{page}/move/{row['id']}", {"when": "2026-11-21 20:30"})
    assert says(moved, f"Moved wipe #{row['id']} **Monthly wipe** to 2026-11-21 20:30 Europe/Berlin."), moved.plain
    assert await pool.fetchval("SELECT starts_at FROM wipes") == dt.datetime(2026, 11, 21, 19, 30, tzinfo=dt.UTC)

    confirm = await browser_less.get(f"{page}/remove/{row['id']}")
    assert confirm.status == 200 and f"Remove wipe #{row['id']}?" in confirm.plain
    unconfirmed = await browser_less.post(f"{page}/remove/{row['id']}", {})
    assert unconfirmed.status == 422
    assert await pool.fetchval("SELECT cancelled_at FROM wipes") is None
    removed = await browser_less.post(f"{page}/remove/{row['id']}", {"confirm": "on"})
    assert says(removed, f"Removed wipe #{row['id']} **Monthly wipe**."), removed.plain
    assert await pool.fetchval("SELECT cancelled_at FROM wipes") is not None
    assert "No wipe is planned." in removed.plain
    gone = await browser_less.get(f"{page}/remove/{row['id']}")
    assert gone.status == 404

    assert await audit(pool, "wipe.") == [
        ("wipe.create", "dashboard", ADMIN),
        ("wipe.move", "dashboard", ADMIN),
        ("wipe.cancel", "dashboard", ADMIN),
    ]


async def test_forwarding_destinations_are_added_paused_tested_and_removed_and_no_secret_is_shown(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    server_id = await _server(runner)
    page = f"/dashboard/servers/{server_id}/s/forwarding"
    await browser_less.log_in(ADMIN)
    shown: list[str] = []  # every page seen: no secret in any of them

    async def get(path: str) -> Any:
        answer = await browser_less.get(path)
        shown.append(answer.text)
        return answer

    async def post(path: str, data: dict[str, str]) -> Any:
        answer = await browser_less.post(path, data)
        shown.append(answer.text)
        return answer

    assert "No vote destination yet." in (await get(page)).plain

    # a token that is no token: the slash command's words, the name typed shown again, the secret field empty
    refused = await post(f"{page}/add-votifier", {"name": "survival", "address": "127.0.0.1:8192", "secret": "short"})
    assert refused.status == 422 and says(refused, refusal_of(clean_token, "short"))
    assert 'value="survival"' in refused.text and 'value="short"' not in refused.text
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 0

    added = await post(
        f"{page}/add-votifier", {"name": "survival", "address": "127.0.0.1:8192", "secret": TOKEN, "version": "2"}
    )
    assert added.status == 200, added.plain
    assert says(added, "Added **survival** to **Survival**: votes from every listing site now go to the Votifier v2")
    assert added.url.endswith(page)
    assert await pool.fetchval("SELECT secret FROM forward_destinations WHERE name = 'survival'") == TOKEN
    assert fingerprint(TOKEN) in added.plain and "delivering" in added.plain

    webhook = await post(f"{page}/add-webhook", {"name": "website", "url": receiver.url})
    assert webhook.status == 200 and says(webhook, "Added **website** to **Survival**")
    found = SECRET.search(webhook.plain)
    assert found is not None and "shown only once" in webhook.plain  # the one answer that shows it, as /forward
    secret = found.group(0)
    assert await pool.fetchval("SELECT secret FROM forward_destinations WHERE name = 'website'") == secret
    listed = await get(page)
    assert secret not in listed.text and "whsec_" not in listed.text and fingerprint(secret) in listed.plain

    receiver.secret = secret
    tested = await post(f"{page}/test/website", {})
    assert says(tested, f"The test vote for **votebot_test** reached **website** (`{receiver.url}`)"), tested.plain
    assert receiver.received[0]["data"]["provider"] == "test"

    paused = await post(f"{page}/pause/survival", {})
    assert says(paused, "Paused **survival**") and "Resume" in paused.plain
    assert await pool.fetchval("SELECT paused FROM forward_destinations WHERE name = 'survival'") == "owner"
    resumed = await post(f"{page}/resume/survival", {})
    assert says(resumed, "**survival** delivers votes again.")
    assert await pool.fetchval("SELECT paused FROM forward_destinations WHERE name = 'survival'") is None

    confirm = await get(f"{page}/remove/survival")
    assert confirm.status == 200 and "Remove survival?" in confirm.plain
    unconfirmed = await post(f"{page}/remove/survival", {})
    assert unconfirmed.status == 422 and await pool.fetchval("SELECT count(*) FROM forward_destinations") == 2
    removed = await post(f"{page}/remove/survival", {"confirm": "on"})
    assert says(removed, "Removed **survival**. No vote was waiting for it"), removed.plain
    assert await pool.fetchval("SELECT array_agg(name) FROM forward_destinations") == ["website"]

    # a vote for the paused webhook waits in its queue: the list and the owners' instance page count it
    await post(f"{page}/pause/website", {})
    server = await runner.running.servers.get(server_id)
    await record_vote(pool, server, "v-1", runner.clock(), player_name="Notch")
    await delivered(pool)
    listed = await get(page)
    assert re.search(r"website .*paused 1 ", listed.plain), listed.plain
    [(_heading, facts)] = [item for item in runner.running.dashboard.instance_facts if item[0] == "Forwarding"]
    assert [(fact.label, fact.value) for fact in await facts()] == [
        ("Votes queued", "1"),
        ("Destinations failing", "0"),
        ("Dead letters", "0"),
    ]

    assert not [text for text in shown if TOKEN in text]
    assert [text for text in shown if secret in text] == [webhook.text]
    assert await audit(pool, "forwarding.") == [
        ("forwarding.add", "dashboard", ADMIN),
        ("forwarding.add", "dashboard", ADMIN),
        ("forwarding.pause", "dashboard", ADMIN),
        ("forwarding.resume", "dashboard", ADMIN),
        ("forwarding.remove", "dashboard", ADMIN),
        ("forwarding.pause", "dashboard", ADMIN),
    ]
    details = await pool.fetchval("SELECT string_agg(details::text, ' ') FROM audit_log")
    assert TOKEN not in details and secret not in details


async def test_a_member_gets_404_on_each_section_and_their_post_is_refused(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner, giveaways=True)
    await browser_less.log_in(MEMBER)
    token = (await browser_less.get("/dashboard/")).csrf
    attempts = {
        "giveaways": {"prize": "Nitro", "duration": "1h", "winners": "1", "channel_id": str(GENERAL)},
        "wipes": {"title": "Wipe", "when": "2026-11-20 18:00"},
        "forwarding/add-webhook": {"name": "website", "url": "https://example.com/votes"},
    }
    for section, data in attempts.items():
        path = f"/dashboard/servers/{server_id}/s/{section}"
        page = await browser_less.get(path.split("/add-")[0])
        assert page.status == 404 and "Survival" not in page.plain
        posted = await browser_less.post(path, data, csrf=token)
        assert posted.status == 404
    assert await pool.fetchval("SELECT count(*) FROM giveaways") == 0
    assert await pool.fetchval("SELECT count(*) FROM wipes") == 0
    assert await pool.fetchval("SELECT count(*) FROM forward_destinations") == 0
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE source = 'dashboard'") == 0
