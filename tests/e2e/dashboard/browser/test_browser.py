"""The dashboard in a real Chromium, as a person uses it: log in through the fake Discord's consent page, switch a
feature on and see the bot's notice in the channel, get the slash command's words for a value out of bounds, every
page reachable from the home page (status, a heading, labelled inputs, a phone's width), and the language switch.
Each step is kept as a screenshot (see conftest.py)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from bot.core import i18n
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.web.dashboard.markup import discord_markup
from tests.e2e.dashboard.browser.conftest import NO_BROWSER, PHONE, Screenshots, chromium_path, new_page
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, BotRunner, reply_text

pytestmark = pytest.mark.skipif(chromium_path() is None, reason=NO_BROWSER)  # before the bot starts for nothing

MAX_PAGES = 150  # a crawl that finds more is following links that never end (say, pages of pages)
NOT_CRAWLED = ("/dashboard/login", "/dashboard/logout", "/dashboard/callback", "/dashboard/static/")


async def _server(runner: BotRunner, name: str = "Survival") -> int:
    created = await runner.running.servers.add(guild_id=GUILD_ID, name=name, vote_url="https://example.com/vote")
    return created.server.id


def _plain(text: str) -> str:
    """A bot's answer (Discord markdown) as the dashboard shows it: the words, without the markup."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(discord_markup(text))))


async def log_in(page: Page, user_id: int, shots: Screenshots | None = None) -> None:
    """From the dashboard's front page through the fake Discord's consent page, picking ``user_id`` there."""
    await page.goto("/dashboard/")
    if shots:
        await shots.take(page, "login")
    await page.get_by_role("link", name="Log in with Discord").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access your account")
    if shots:
        await shots.take(page, "discord-consent")
    await page.get_by_role("button", name=re.compile(rf"^Log in as .*, {user_id}\)$")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your Discord servers")
    assert urlsplit(page.url).path == "/dashboard/"


async def test_log_in_switch_a_feature_on_with_a_channel_and_see_the_notice_there(
    runner: BotRunner, page: Page, screenshots: Screenshots, pool: asyncpg.Pool
) -> None:
    await _server(runner)
    await log_in(page, ADMIN, screenshots)
    await screenshots.take(page, "home")
    await page.get_by_role("link", name="Test Guild").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Test Guild")
    await screenshots.take(page, "guild")
    await page.get_by_role("link", name="Survival", exact=True).last.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Survival")
    await screenshots.take(page, "server")
    await page.get_by_role("link", name="Vote reminders").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vote reminders")
    await page.get_by_label("On", exact=True).check()
    await page.get_by_label("Channel", exact=True).select_option(label="#general")
    await screenshots.take(page, "reminders-filled")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Turned on Vote reminders for Survival in #general.")
    await screenshots.take(page, "reminders-saved")
    # the form shows what is stored now
    await expect(page.get_by_label("On", exact=True)).to_be_checked()
    await expect(page.get_by_label("Channel", exact=True)).to_have_value(str(GENERAL))
    notices = [m["content"] for m in runner.fake.messages(GENERAL)]
    assert any("Survival" in text and "posted in this channel" in text for text in notices), notices
    row = await pool.fetchrow("SELECT enabled, channel_id FROM server_features WHERE feature = 'reminders'")
    assert row["enabled"] and row["channel_id"] == GENERAL
    audit = await pool.fetchrow("SELECT source, user_id, details FROM audit_log ORDER BY id DESC LIMIT 1")
    assert audit["source"] == "dashboard" and audit["user_id"] == ADMIN, dict(audit)


async def test_a_setting_out_of_bounds_shows_the_slash_commands_message(
    runner: BotRunner, page: Page, screenshots: Screenshots, pool: asyncpg.Pool
) -> None:
    server_id = await _server(runner)
    try:
        runner.running.features.get("top10_board").setting("refresh_minutes").parse("0")
    except UserError as refusal:
        expected = str(refusal)
    else:
        raise AssertionError("0 minutes should be out of bounds")
    slash = reply_text(await runner.command(ADMIN, "leaderboards settings", board_refresh=0))
    assert slash == expected  # what the slash command answers …
    await log_in(page, ADMIN)
    await page.goto(f"/dashboard/servers/{server_id}")
    await page.get_by_role("link", name="Live top-10 voters board").click()
    await page.get_by_label("On", exact=True).check()
    await page.get_by_label("Channel", exact=True).select_option(label="#general")
    refresh = page.get_by_label("Board refresh")
    await refresh.fill("0")
    async with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        await page.get_by_role("button", name="Save").click()
    assert (await posted.value).status == 422
    await expect(page.get_by_role("alert")).to_have_text(_plain(expected))  # … the page says, word for word
    await screenshots.take(page, "refused")
    await expect(refresh).to_have_value("0")  # what was typed is shown again, to correct it
    await expect(page.get_by_label("On", exact=True)).to_be_checked()
    assert await pool.fetchval("SELECT enabled FROM server_features WHERE feature = 'top10_board'") is False
    assert not [m for m in runner.fake.messages(GENERAL) if "posted in this channel" in m["content"]]


def _crawlable(url: str, origin: str) -> str | None:
    """The path (with its query) of a link the crawl follows, or None."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path.startswith("/dashboard"):
        return None
    if any(parts.path.startswith(prefix) for prefix in NOT_CRAWLED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => {
    const labelled = [...(el.labels || [])].some((label) => label.textContent.trim());
    const aria = (el.getAttribute('aria-label') || '').trim();
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || '').trim());
    const own = el.tagName === 'BUTTON' ? el.textContent.trim()
      : ['submit', 'reset', 'button'].includes(el.type) ? (el.value || '').trim() : '';
    return !(labelled || aria || by || own);
  })
  .map((el) => el.outerHTML.slice(0, 160))"""
LINKS = "() => [...document.querySelectorAll('a[href]')].map((a) => a.href)"
# On a phone (``is_mobile``) Chromium zooms out a page wider than the screen, widening innerWidth to the page:
# compare with the screen's width too.
SCROLLS_SIDEWAYS = """(screen) => document.documentElement.scrollWidth > window.innerWidth
  || window.innerWidth > screen"""


async def test_every_page_answers_has_a_heading_and_labelled_inputs(
    runner: BotRunner, browser: Browser, page: Page, screenshots: Screenshots
) -> None:
    """Every /dashboard page a link leads to from the home page (pages added later are found too), on a desktop
    and on a phone."""
    created = await runner.running.servers.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/vote")
    server_id = created.server.id
    await runner.running.switches.enable(  # a page with a feature on, its channel shown
        created.server, "reminders", channel_id=GENERAL, role_id=None, confirm_in=None
    )
    await log_in(page, ADMIN)
    queue, seen = ["/dashboard/"], {"/dashboard/"}
    answered: list[str] = []
    problems: list[str] = []
    missing: list[str] = []
    while queue:
        path = queue.pop(0)
        answer = await page.goto(path)
        assert answer is not None
        await screenshots.take(page, _step(path))
        if answer.status != 200:
            (missing if answer.status == 404 else problems).append(f"{path}: HTTP {answer.status}")
            continue
        answered.append(path)
        if await page.locator("h1").count() < 1:
            problems.append(f"{path}: no <h1>")
        unnamed = await page.evaluate(UNNAMED_CONTROLS)
        problems.extend(f"{path}: no accessible name: {element}" for element in unnamed)
        for link in await page.evaluate(LINKS):
            found = _crawlable(link, runner.web_url)
            if found is not None and found not in seen:
                seen.add(found)
                queue.append(found)
        assert len(seen) <= MAX_PAGES, f"more than {MAX_PAGES} pages: {sorted(seen)}"
    assert f"/dashboard/servers/{server_id}/features/reminders" in answered  # the crawl got to the forms
    problems.extend(await _too_wide_on_a_phone(browser, page, answered, screenshots))
    assert not problems, "\n".join(problems)
    assert not missing, "links to pages that do not exist:\n" + "\n".join(missing)


def _step(path: str) -> str:
    return path.removeprefix("/dashboard").strip("/") or "home"


async def _too_wide_on_a_phone(browser: Browser, page: Page, paths: list[str], shots: Screenshots) -> list[str]:
    """The pages (as the person logged in on ``page`` sees them) that scroll sideways on a 390-pixel-wide phone."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    phone = await new_page(browser, origin, phone=True, storage_state=await page.context.storage_state())
    wide = []
    try:
        for path in paths:
            await phone.goto(path)
            if await phone.evaluate(SCROLLS_SIDEWAYS, PHONE["width"]):
                wide.append(f"{path}: scrolls sideways on a phone")
            await shots.take(phone, "phone-" + _step(path))
    finally:
        await phone.context.close()
    return wide


async def test_the_pages_fit_a_phone_without_scrolling_sideways(
    runner: BotRunner, browser: Browser, screenshots: Screenshots
) -> None:
    server_id = await _server(runner)
    phone = await new_page(browser, runner.web_url, phone=True)
    try:
        await log_in(phone, ADMIN)
        for step, path in (
            ("home", "/dashboard/"),
            ("server", f"/dashboard/servers/{server_id}"),
            ("feature", f"/dashboard/servers/{server_id}/features/top10_board"),
        ):
            answer = await phone.goto(path)
            assert answer is not None and answer.status == 200, path
            assert not await phone.evaluate(SCROLLS_SIDEWAYS, PHONE["width"]), f"{path} scrolls sideways on a phone"
            await screenshots.take(phone, f"phone-{step}")
    finally:
        await phone.context.close()


async def test_choosing_francais_in_the_footer_shows_the_pages_in_french(
    runner: BotRunner, page: Page, screenshots: Screenshots
) -> None:
    server_id = await _server(runner)
    await log_in(page, ADMIN)
    await page.goto(f"/dashboard/servers/{server_id}")
    await expect(page.get_by_role("link", name="Vote reminders")).to_be_visible()
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    french = i18n.language("fr")
    assert french is not None
    with i18n.speaking(french):
        words = {text: _(text) for text in ("Vote reminders", "Log out", "Language")}
    assert words["Vote reminders"] != "Vote reminders" and words["Log out"] != "Log out"
    await page.get_by_label("Language", exact=True).select_option(label="Français")
    await page.get_by_role("button", name="Change language").click()
    assert urlsplit(page.url).path == f"/dashboard/servers/{server_id}"  # back on the page it was chosen on
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_role("link", name=words["Vote reminders"])).to_be_visible()
    await expect(page.get_by_role("link", name="Vote reminders")).to_have_count(0)
    await screenshots.take(page, "server-fr")
    await page.get_by_role("link", name="Test Guild").first.click()  # it stays French on the next page
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.locator("#language-choice")).to_have_value("fr")
    await screenshots.take(page, "guild-fr")
    await expect(page.get_by_role("button", name=words["Log out"], exact=True)).to_be_visible()  # its own words
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_have_count(0)
    await expect(page.get_by_label(words["Language"], exact=True)).to_have_value("fr")
