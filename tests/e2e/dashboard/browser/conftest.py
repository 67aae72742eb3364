"""A real browser on the dashboard: Playwright (the pip package, no browser download) driving Debian's ``chromium``.

The browser is found with :func:`shutil.which` and launched through ``executable_path``; without one the tests skip
with the reason. Chromium is started headless (Playwright's ``--headless``, the new headless mode), with
``--no-sandbox`` when running as root (Chromium refuses its sandbox then), and without its background connections
(component updates, sync, the first-run page, safe-browsing lists …): they would only hit the closed network of CI.

The project's event loops are function-scoped, so each test starts its own Playwright and Chromium (about a second).
Every test keeps full-page screenshots of its steps under ``$VOTEBOT_TEST_ARTIFACTS/screenshots`` (default
``test-artifacts/screenshots`` in the checkout), named ``<test>-<step>.png``; a failing test also keeps the page it
failed on as ``<test>-failed.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.app.config import Config, load_config
from tests.conftest import bot_environ
from tests.e2e.dashboard.client import dashboard_environ
from tests.e2e.harness import ADMIN, BotRunner
from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[4]
NO_BROWSER = "no chromium found: install Debian's chromium (apt-get install chromium) to run the browser tests"
CHROMIUM_ARGS = (
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB: Chromium writes to /tmp instead
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
TIMEOUT_MS = 10_000  # a step that takes longer is broken: the pages are served on localhost
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def artifacts_dir() -> Path:
    root = os.environ.get("VOTEBOT_TEST_ARTIFACTS")
    return (Path(root) if root else REPO / "test-artifacts") / "screenshots"


@pytest.fixture
def config(tmp_path, database_url: str, fake: FakeDiscord, port: int) -> Config:
    """The dashboard's settings of tests/e2e/dashboard, with the admin also an owner of the bot (so the crawl sees
    the owners' pages too)."""
    environ = bot_environ(database_url, str(tmp_path / "data"))
    environ |= dashboard_environ(port, fake.application_id)
    environ["VOTEBOT_DISCORD__OWNER_IDS"] = f"1100000000000000999,{ADMIN}"
    environ["VOTEBOT_DISCORD__API_BASE_URL"] = fake.api_base_url
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=environ)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(NO_BROWSER)
    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Screenshots:
    """Full-page screenshots of one test's steps: ``<test>-<step>.png``."""

    folder: Path
    test: str
    taken: list[Path] = field(default_factory=list)

    async def take(self, page: Page, step: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.test}-{step}").strip("-")
        path = self.folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    for stale in folder.glob(f"{test}-*.png"):  # an earlier run's steps that this run may no longer take
        stale.unlink()
    return Screenshots(folder, test)


async def new_page(
    browser: Browser, base_url: str, *, phone: bool = False, storage_state: Any = None, locale: str = "en-US"
) -> Page:
    """A page in a fresh context (no cookies, unless ``storage_state`` gives another context's) on ``base_url``;
    ``phone``: a 390×844 touch screen."""
    options: dict[str, Any] = {"base_url": base_url, "locale": locale, "storage_state": storage_state}
    if phone:
        # the layout of a phone's CSS pixels; a scale of 1 keeps the screenshots small and quick
        options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
    context = await browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return await context.new_page()


@pytest.fixture
async def page(
    request: pytest.FixtureRequest, browser: Browser, runner: BotRunner, screenshots: Screenshots
) -> AsyncIterator[Page]:
    opened = await new_page(browser, runner.web_url)
    try:
        yield opened
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed and not opened.is_closed():
            await screenshots.take(opened, "failed")
        await opened.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.report_call = report  # type: ignore[attr-defined]  # read by the `page` fixture's teardown
    return report
