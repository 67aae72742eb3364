"""Setting the bot up from the browser over real HTTP: linking a game server (its API key shown once), its options,
the master switch and the default server, the listing sites' secrets (never shown back), removing a server, and
the changes page — each change in the database and in the audit log as the dashboard and the admin."""

from __future__ import annotations

import logging
import re

import asyncpg
import pytest

from bot.core.audit_texts import describe
from bot.core.servers import MAX_SERVERS_PER_GUILD, hash_api_key
from bot.db.audit import AuditRepository
from bot.db.credentials import CredentialRepository, fingerprint
from tests.e2e.dashboard.client import DashboardClient
from tests.e2e.harness import ADMIN, GUILD_ID, MEMBER, BotRunner

GUILD = f"/dashboard/guilds/{GUILD_ID}"


async def _server(runner: BotRunner, name: str = "Survival") -> int:
    created = await runner.running.servers.add(guild_id=GUILD_ID, name=name, vote_url="https://example.com/vote")
    return created.server.id


async def _last_audit(pool: asyncpg.Pool, action: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT source, user_id, details FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1", action
    )
    assert row is not None, f"no {action} in the audit log"
    return row


async def _assert_logged(pool: asyncpg.Pool, action: str) -> asyncpg.Record:
    row = await _last_audit(pool, action)
    assert row["source"] == "dashboard" and row["user_id"] == ADMIN
    return row


async def test_linking_a_server_shows_its_api_key_once(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    await browser_less.log_in(ADMIN)
    guild = await browser_less.get(GUILD)
    assert guild.status == 200 and "Link a game server" in guild.plain
    answer = await browser_less.post(
        f"{GUILD}/servers",
        {
            "name": "Survival",
            "vote_url": "https://example.com/vote",
            "game": "minecraft",
            "address": "",
            "default": "on",
        },
        csrf=guild.csrf,
    )
    assert answer.status == 200, answer.plain
    key = re.search(r'value="(vb_[^"]+)"', answer.text)
    assert key is not None and "keep it secret" in answer.plain
    row = await pool.fetchrow("SELECT id, name, game, is_default, api_key_hash FROM servers")
    assert row["name"] == "Survival" and row["game"] == "minecraft" and row["is_default"]
    assert row["api_key_hash"] == hash_api_key(key.group(1))
    assert f"/dashboard/servers/{row['id']}" in answer.text
    logged = await _assert_logged(pool, "server.add")
    assert logged["details"]["name"] == "Survival"
    # never again: neither the guild page nor the server's pages show it
    for path in (GUILD, f"/dashboard/servers/{row['id']}", f"/dashboard/servers/{row['id']}/options"):
        assert key.group(1) not in (await browser_less.get(path)).text

    # the slash command's refusals: a bad vote URL, a name taken
    bad = await browser_less.post(f"{GUILD}/servers", {"name": "Creative", "vote_url": "ftp://nope"}, csrf=guild.csrf)
    assert bad.status == 422 and 'value="Creative"' in bad.text  # typed again
    assert "The vote URL must start with http:// or https://." in bad.plain
    taken = await browser_less.post(
        f"{GUILD}/servers", {"name": "survival", "vote_url": "https://e.com/v"}, csrf=guild.csrf
    )
    assert taken.status == 422 and "already has a game server called “Survival”" in taken.plain
    assert await pool.fetchval("SELECT count(*) FROM servers") == 1

    # the limit of the slash command
    for number in range(2, MAX_SERVERS_PER_GUILD + 1):
        await _server(runner, f"Server {chr(64 + number)}")
    full = await browser_less.post(
        f"{GUILD}/servers", {"name": "One more", "vote_url": "https://e.com/v"}, csrf=guild.csrf
    )
    assert full.status == 422 and f"at most {MAX_SERVERS_PER_GUILD} game servers" in full.plain
    assert await pool.fetchval("SELECT count(*) FROM servers") == MAX_SERVERS_PER_GUILD


async def test_options_change_only_what_changed(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    path = f"/dashboard/servers/{server_id}/options"
    await browser_less.log_in(ADMIN)
    page = await browser_less.get(path)
    assert page.status == 200 and 'value="https://example.com/vote"' in page.text
    fields = {
        "timezone": "UTC",
        "category": "",
        "vote_cooldown_hours": "12",
        "vote_url": "https://example.com/vote",
        "address": "",
        "game": "",
        "language": "auto",
    }
    unchanged = await browser_less.post(path, fields)
    assert unchanged.status == 200 and "Nothing changed" in unchanged.plain, unchanged.plain
    done = await browser_less.post(path, fields | {"timezone": "europe/berlin", "vote_cooldown_hours": "6"})
    assert done.status == 200 and "Saved. Options of Survival" in done.plain, done.plain
    assert "time zone Europe/Berlin" in done.plain
    row = await pool.fetchrow("SELECT timezone, vote_cooldown FROM servers WHERE id = $1", server_id)
    assert row["timezone"] == "Europe/Berlin" and row["vote_cooldown"].total_seconds() == 6 * 3600
    logged = await _assert_logged(pool, "server.options")
    assert set(logged["details"]["changes"]) == {"timezone", "vote_cooldown"}

    refused = await browser_less.post(path, fields | {"timezone": "Mars/Olympus"})
    assert refused.status == 422 and "is not a time zone" in refused.plain
    assert 'value="Mars/Olympus"' in refused.text
    bad_url = await browser_less.post(path, fields | {"vote_url": "javascript:alert(1)"})
    assert bad_url.status == 422 and "The vote URL must start with http:// or https://." in bad_url.plain
    cooldown = await browser_less.post(path, fields | {"vote_cooldown_hours": "soon"})
    assert cooldown.status == 422 and "1 to 168 hours" in cooldown.plain
    assert await pool.fetchval("SELECT timezone FROM servers WHERE id = $1", server_id) == "Europe/Berlin"

    language = await browser_less.post(path, fields | {"timezone": "Europe/Berlin", "language": "fr"})
    assert language.status == 200 and await pool.fetchval("SELECT language FROM servers") == "fr"


async def test_master_switch_and_default_server(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    first = await _server(runner)
    second = await _server(runner, "Creative")
    await browser_less.log_in(ADMIN)
    csrf = (await browser_less.get(f"/dashboard/servers/{second}/options")).csrf
    off = await browser_less.post(f"/dashboard/servers/{second}/options/master", {"enabled": "off"}, csrf=csrf)
    assert off.status == 200 and "master switch is off" in off.plain
    assert await pool.fetchval("SELECT enabled FROM servers WHERE id = $1", second) is False
    await _assert_logged(pool, "master.off")
    on = await browser_less.post(f"/dashboard/servers/{second}/options/master", {"enabled": "on"}, csrf=csrf)
    assert on.status == 200 and await pool.fetchval("SELECT enabled FROM servers WHERE id = $1", second) is True
    await _assert_logged(pool, "master.on")

    assert await pool.fetchval("SELECT is_default FROM servers WHERE id = $1", first) is True
    made = await browser_less.post(f"/dashboard/servers/{second}/options/default", {}, csrf=csrf)
    assert "Creative is now the default server" in made.plain, made.plain
    assert await pool.fetchval("SELECT id FROM servers WHERE is_default") == second
    await _assert_logged(pool, "server.default")


async def test_secrets_are_stored_never_shown_and_logged(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server_id = await _server(runner)
    path = f"/dashboard/servers/{server_id}/secrets"
    await browser_less.log_in(ADMIN)
    page = await browser_less.get(path)
    assert page.status == 200 and "Top-Server" in page.plain and "Not configured yet" in page.plain
    assert f"{runner.web_url}/webhooks/topserver/{server_id}" in page.plain  # the URL to paste

    secret = "gm-token-0123456789-very-secret"
    saved = await browser_less.post(
        f"{path}/gamemonitoring", {"secret": secret, "setting.gm_server_id": " 1234567 "}, csrf=page.csrf
    )
    assert saved.status == 200 and "GAMEMONITORING secret for Survival saved." in saved.plain, saved.plain
    stored = await CredentialRepository(pool).get(server_id, "gamemonitoring")
    assert stored is not None and stored.secret == secret and stored.settings["gm_server_id"] == "1234567"
    logged = await _assert_logged(pool, "provider.secret")
    assert logged["details"]["fingerprint"] == fingerprint(secret) and secret not in str(logged["details"])
    assert fingerprint(secret) in saved.plain and 'value="1234567"' in saved.text
    assert 'type="password"' in saved.text and 'autocomplete="off"' in saved.text

    # a bad setting: refused with the slash command's words, nothing changed, the secret not typed back
    rotated = "gm-token-rotated-0123456789"
    refused = await browser_less.post(
        f"{path}/gamemonitoring", {"secret": rotated, "setting.gm_server_id": "my server"}, csrf=page.csrf
    )
    assert refused.status == 422 and "digits only" in refused.plain
    assert rotated not in refused.text
    short = await browser_less.post(f"{path}/topserver", {"secret": "short"}, csrf=page.csrf)
    assert short.status == 422 and "only 5 characters long" in short.plain
    assert (await CredentialRepository(pool).get(server_id, "gamemonitoring")).secret == secret  # type: ignore[union-attr]

    # generated: only where the bot may choose, shown once on the answer
    own = await browser_less.post(f"{path}/topgg", {"generate": "1"}, csrf=page.csrf)
    assert own.status == 422 and "makes its webhook secret itself" in own.plain
    made = await browser_less.post(f"{path}/events", {"generate": "1"}, csrf=page.csrf)
    assert made.status == 200 and "shown only once" in made.plain
    events = await CredentialRepository(pool).get(server_id, "events")
    assert events is not None and events.secret in made.plain

    for later in (path, f"/dashboard/servers/{server_id}", f"/dashboard/servers/{server_id}/audit", GUILD):
        text = (await browser_less.get(later)).text
        assert secret not in text and events.secret not in text and rotated not in text
    assert caplog.records  # the bot logs here (the web server too)
    assert secret not in caplog.text and rotated not in caplog.text and events.secret not in caplog.text


async def test_removing_a_server_asks_first(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    confirm = await browser_less.get(f"/dashboard/servers/{server_id}/remove")
    assert confirm.status == 200 and "This cannot be undone." in confirm.plain, confirm.plain
    assert await pool.fetchval("SELECT count(*) FROM servers") == 1  # nothing deleted by looking
    unticked = await browser_less.post(f"/dashboard/servers/{server_id}/remove", {})
    assert unticked.status == 422 and "Tick the box to confirm" in unticked.plain  # a replayed form removes nothing
    assert await pool.fetchval("SELECT count(*) FROM servers") == 1
    done = await browser_less.post(f"/dashboard/servers/{server_id}/remove", {"confirm": "on"})
    assert done.status == 200 and done.url.endswith(GUILD) and "Removed Survival" in done.plain, done.plain
    assert await pool.fetchval("SELECT count(*) FROM servers") == 0
    await _assert_logged(pool, "server.remove")


async def test_the_changes_page_newest_first_with_older_pages(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    options = f"/dashboard/servers/{server_id}/options"
    base = {"timezone": "UTC", "vote_cooldown_hours": "12", "vote_url": "https://example.com/vote", "language": "auto"}
    csrf = (await browser_less.get(options)).csrf
    for hours in range(13, 64):  # 51 changes: one more than a page
        answer = await browser_less.post(options, base | {"vote_cooldown_hours": str(hours)}, csrf=csrf)
        assert answer.status == 200
    entries = await AuditRepository(pool).list_for_server(server_id, limit=100)
    assert len(entries) == 51
    texts = [describe(entry, runner.running.features) for entry in entries]  # newest first
    page = await browser_less.get(f"/dashboard/servers/{server_id}/audit")
    assert page.status == 200
    assert f"user{ADMIN} (dashboard)" in page.plain
    assert page.plain.index(texts[0]) < page.plain.index(texts[1]) < page.plain.index(texts[49])
    assert texts[50] not in page.plain  # the oldest is on the next page
    assert "UTC" in page.plain and str(entries[0].at.year) in page.plain
    older = re.search(r'href="([^"]*audit\?before=\d+)"', page.text)
    assert older is not None and "Older changes" in page.plain
    second = await browser_less.get(older.group(1).replace("&amp;", "&"))
    assert second.status == 200 and texts[50] in second.plain and texts[49] not in second.plain
    assert "Older changes" not in second.plain


async def test_a_member_gets_404_on_every_page_and_their_posts_are_refused(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(MEMBER)
    base = f"/dashboard/servers/{server_id}"
    for path in (f"{base}/options", f"{base}/secrets", f"{base}/remove", f"{base}/audit"):
        page = await browser_less.get(path)
        assert page.status == 404 and "Survival" not in page.plain, path
    csrf = (await browser_less.get("/dashboard/")).csrf
    posts = {
        f"{GUILD}/servers": {"name": "Mine", "vote_url": "https://e.com/v"},
        f"{base}/options": {"timezone": "Europe/Berlin"},
        f"{base}/options/master": {"enabled": "off"},
        f"{base}/options/default": {},
        f"{base}/secrets/events": {"secret": "a-secret-of-the-member-0123"},
        f"{base}/remove": {},
    }
    for path, data in posts.items():
        assert (await browser_less.post(path, data, csrf=csrf)).status == 404, path
    row = await pool.fetchrow("SELECT count(*) AS n, min(timezone) AS tz, bool_and(enabled) AS on FROM servers")
    assert row["n"] == 1 and row["tz"] == "UTC" and row["on"]
    assert await CredentialRepository(pool).get(server_id, "events") is None
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE source = 'dashboard'") == 0
