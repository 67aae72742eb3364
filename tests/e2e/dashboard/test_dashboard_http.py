"""The dashboard over real HTTP against the running bot and the fake Discord's OAuth2: who sees what, the forms
generated from the feature declarations, and every refusal (CSRF, tampered cookie, a lost permission)."""

from __future__ import annotations

import asyncpg
import yarl

from bot.core.errors import UserError
from tests.e2e.dashboard.client import DashboardClient
from tests.e2e.harness import (
    ADMIN,
    BASIC,
    GENERAL,
    GUILD_ID,
    LOCKED,
    MANAGE_GUILD,
    MEMBER,
    ROLE_HIGH,
    ROLE_VOTER,
    BotRunner,
)

MODERATOR = 1_100_000_000_000_000_102


async def _server(runner: BotRunner, name: str = "Survival") -> int:
    created = await runner.running.servers.add(guild_id=GUILD_ID, name=name, vote_url="https://example.com/vote")
    return created.server.id


async def test_nobody_logged_in_sees_the_login_and_the_security_headers(browser_less: DashboardClient) -> None:
    page = await browser_less.get("/dashboard/")
    assert page.status == 200
    assert "Log in with Discord" in page.plain
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    refused = await browser_less.get("/dashboard/guilds/1100000000000000001")
    assert refused.url.endswith("/dashboard/")  # sent to the login first


async def test_login_state_pkce_and_the_guild_list(runner: BotRunner, browser_less: DashboardClient) -> None:
    home = await browser_less.log_in(ADMIN)
    assert home.status == 200, home.plain
    assert "Test Guild" in home.plain
    assert f"user{ADMIN}" in home.plain  # the name Discord gave at login
    cookie = next(iter(browser_less.http.cookie_jar))
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/dashboard"
    assert not cookie["secure"]  # http here; https public URLs get Secure (tests/web/dashboard)
    # a callback with a state nobody started is refused
    forged = await browser_less.get("/dashboard/callback?code=abc&state=forged")
    assert forged.status == 400


async def test_a_member_without_manage_server_sees_nothing_and_their_post_is_refused(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    home = await browser_less.log_in(MEMBER)
    assert "Test Guild" not in home.plain
    for path in (f"/dashboard/guilds/{GUILD_ID}", f"/dashboard/servers/{server_id}"):
        page = await browser_less.get(path)
        assert page.status == 404 and "Survival" not in page.plain
    posted = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/reminders",
        {"enabled": "on", "channel_id": str(GENERAL)},
        csrf=(await browser_less.get("/dashboard/")).csrf,
    )
    assert posted.status == 404
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'reminders'") is False


async def test_switching_a_feature_on_with_a_channel_posts_the_notice_there(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    overview = await browser_less.get(f"/dashboard/servers/{server_id}")
    assert overview.status == 200 and "Vote reminders" in overview.plain, overview.plain
    form = await browser_less.get(f"/dashboard/servers/{server_id}/features/reminders")
    assert "#general" in form.plain and "#announcements" in form.plain
    done = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/reminders",
        {"enabled": "on", "channel_id": str(GENERAL), "setting.channel_ping": "on"},
    )
    assert done.status == 200, done.plain
    assert "Turned on Vote reminders for Survival in #general." in done.plain, done.plain
    notices = [m["content"] for m in runner.fake.messages(GENERAL)]
    assert any("Survival" in text and "posted in this channel" in text for text in notices)
    row = await pool.fetchrow("SELECT enabled, channel_id, settings FROM server_features WHERE feature = 'reminders'")
    assert row["enabled"] and row["channel_id"] == GENERAL and row["settings"]["channel_ping"] is True
    audit = await pool.fetch("SELECT source, user_id, action, details FROM audit_log WHERE server_id = $1", server_id)
    assert [(a["source"], a["user_id"], a["action"]) for a in audit] == [("dashboard", ADMIN, "feature.on")]
    assert audit[0]["details"]["channel_id"] == [None, GENERAL]
    # a channel the bot can't post in is refused with the slash command's words, and nothing changes
    refused = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/reminders", {"enabled": "on", "channel_id": str(LOCKED)}
    )
    assert refused.status == 422
    assert "I can't post in #announcements" in refused.plain
    assert await pool.fetchval("SELECT channel_id FROM server_features WHERE feature = 'reminders'") == GENERAL


async def test_a_setting_out_of_bounds_gets_the_slash_commands_message(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    spec = runner.running.features.get("top10_board").setting("refresh_minutes")
    try:
        spec.parse("0")
    except UserError as refusal:
        expected = str(refusal)
    page = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/top10_board",
        {"enabled": "on", "channel_id": str(GENERAL), "setting.refresh_minutes": "0"},
    )
    assert page.status == 422
    assert expected in page.plain  # "The board refresh must be 1 to 60 minutes, not 0."
    assert 'value="0"' in page.text  # what was typed is shown again
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'top10_board'") is False
    assert not [m for m in runner.fake.messages(GENERAL) if "posted in this channel" in m["content"]]


async def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    path = f"{browser_less.base}/dashboard/servers/{server_id}/features/reminders"
    async with browser_less.http.post(path, data={"enabled": "on", "channel_id": str(GENERAL)}) as response:
        assert response.status == 403
    async with browser_less.http.post(
        path, data={"enabled": "on", "channel_id": str(GENERAL), "csrf_token": "wrong"}
    ) as response:
        assert response.status == 403
    token = (await browser_less.get(f"/dashboard/servers/{server_id}")).csrf
    async with browser_less.http.post(
        path,
        data={"enabled": "on", "channel_id": str(GENERAL), "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    ) as response:
        assert response.status == 403
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'reminders'") is False


async def test_a_tampered_cookie_logs_out(runner: BotRunner, browser_less: DashboardClient) -> None:
    await browser_less.log_in(ADMIN)
    jar = browser_less.http.cookie_jar
    cookie = next(iter(jar))
    value = cookie.value
    tampered = value[:-6] + ("AAAAAA" if not value.endswith("AAAAAA") else "BBBBBB")
    jar.update_cookies({cookie.key: tampered}, response_url=yarl.URL(f"{browser_less.base}/dashboard/"))
    page = await browser_less.get("/dashboard/")
    assert "Log in with Discord" in page.plain and "Test Guild" not in page.plain


async def test_losing_manage_server_after_login_refuses_the_next_write(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    runner.fake.add_member(
        {"guild_id": str(GUILD_ID), "id": str(MODERATOR), "name": "mod", "permissions": str(BASIC | MANAGE_GUILD)}
    )
    home = await browser_less.log_in(MODERATOR)
    assert "Test Guild" in home.plain
    token = (await browser_less.get(f"/dashboard/servers/{server_id}")).csrf
    runner.fake.add_member({"guild_id": str(GUILD_ID), "id": str(MODERATOR), "name": "mod", "permissions": str(BASIC)})
    refused = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/reminders",
        {"enabled": "on", "channel_id": str(GENERAL)},
        csrf=token,
    )
    assert refused.status == 403
    assert "Manage Server" in refused.plain
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'reminders'") is False


async def test_the_login_is_rate_limited_per_address(runner: BotRunner, browser_less: DashboardClient) -> None:
    statuses = []
    for _ in range(12):
        async with browser_less.http.get(f"{browser_less.base}/dashboard/login", allow_redirects=False) as response:
            statuses.append(response.status)
    assert statuses[:10] == [303] * 10
    assert statuses[10] == 429


async def test_a_login_lasts_the_configured_hours(runner: BotRunner, browser_less: DashboardClient) -> None:
    await browser_less.log_in(ADMIN)
    runner.clock.advance(hours=11, minutes=59)
    assert "Test Guild" in (await browser_less.get("/dashboard/")).plain
    runner.clock.advance(minutes=2)  # past dashboard.session_hours (12)
    page = await browser_less.get("/dashboard/")
    assert "Log in with Discord" in page.plain and "Test Guild" not in page.plain


async def test_the_role_rules_of_the_slash_commands_apply(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    form = await browser_less.get(f"/dashboard/servers/{server_id}/features/top_voter_role")
    assert "@Voter" in form.plain and "@Staff" in form.plain and "@everyone" not in form.plain
    refused = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/top_voter_role", {"enabled": "on", "role_id": str(ROLE_HIGH)}
    )
    assert refused.status == 422
    assert "@Staff is above my highest role" in refused.plain, refused.plain
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'top_voter_role'") is False
    done = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/top_voter_role", {"enabled": "on", "role_id": str(ROLE_VOTER)}
    )
    assert done.status == 200 and "with the role @Voter" in done.plain, done.plain
    assert await pool.fetchval("SELECT role_id FROM server_features WHERE feature = 'top_voter_role'") == ROLE_VOTER


async def test_the_vote_features_thank_you_channel_is_chosen_like_any_other(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    form = await browser_less.get(f"/dashboard/servers/{server_id}/features/vote")
    assert "(no channel)" in form.plain and "#general" in form.plain  # optional: /vote works without one
    done = await browser_less.post(
        f"/dashboard/servers/{server_id}/features/vote",
        {"enabled": "on", "channel_id": str(GENERAL), "setting.thank_you": "on", "setting.role_hours": "12"},
    )
    assert done.status == 200, done.plain
    assert any("thank-yous for votes" in m["content"] for m in runner.fake.messages(GENERAL))
    row = await pool.fetchrow("SELECT channel_id, settings FROM server_features WHERE feature = 'vote'")
    assert row["channel_id"] == GENERAL and row["settings"]["role_hours"] == 12


async def test_logging_out_ends_the_session_even_where_the_cookie_was_copied(
    runner: BotRunner, browser_less: DashboardClient
) -> None:
    home = await browser_less.log_in(ADMIN)
    copied = {cookie.key: cookie.value for cookie in browser_less.http.cookie_jar}
    runner.clock.advance(minutes=5)
    out = await browser_less.post("/dashboard/logout", {}, csrf=home.csrf)
    assert "Log in with Discord" in out.plain
    other = DashboardClient(runner.web_url)  # another browser, holding the cookie from before the logout
    try:
        other.http.cookie_jar.update_cookies(copied, response_url=yarl.URL(f"{runner.web_url}/dashboard/"))
        replayed = await other.get("/dashboard/")
        assert "Log in with Discord" in replayed.plain and "Test Guild" not in replayed.plain
    finally:
        await other.close()
    runner.clock.advance(minutes=1)
    again = await browser_less.log_in(ADMIN)  # a new login works again
    assert "Test Guild" in again.plain


async def test_page_views_reuse_a_recent_check_and_every_write_asks_discord_again(
    runner: BotRunner, browser_less: DashboardClient
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)

    def lookups() -> int:
        path = f"/guilds/{GUILD_ID}/members/{ADMIN}"
        return sum(1 for r in runner.fake.requests if r["method"] == "GET" and str(r["path"]).endswith(path))

    before = lookups()
    for page in ("", "/options", "/charts", "/features/reminders"):
        assert (await browser_less.get(f"/dashboard/servers/{server_id}{page}")).status == 200
    assert lookups() == before + 1  # four pages, one question to Discord
    token = (await browser_less.get(f"/dashboard/servers/{server_id}")).csrf
    for _ in range(2):
        await browser_less.post(
            f"/dashboard/servers/{server_id}/features/reminders", {"channel_id": str(GENERAL)}, csrf=token
        )
    assert lookups() == before + 3  # each write asked again
    runner.clock.advance(seconds=31)
    await browser_less.get(f"/dashboard/servers/{server_id}")
    assert lookups() == before + 4  # and a page view after 30 seconds does too


async def test_a_section_whose_feature_is_off_says_so_and_links_to_its_switch(
    runner: BotRunner, browser_less: DashboardClient
) -> None:
    server_id = await _server(runner)
    await browser_less.log_in(ADMIN)
    off = await browser_less.get(f"/dashboard/servers/{server_id}/s/giveaways")
    assert "Giveaways is off for Survival, so nothing here runs until it is on." in off.plain
    assert f'href="/dashboard/servers/{server_id}/features/giveaways"' in off.text
    await browser_less.post(
        f"/dashboard/servers/{server_id}/features/giveaways", {"enabled": "on", "channel_id": str(GENERAL)}
    )
    on = await browser_less.get(f"/dashboard/servers/{server_id}/s/giveaways")
    assert on.status == 200 and "is off for" not in on.plain
