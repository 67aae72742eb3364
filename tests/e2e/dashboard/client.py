"""A person using the dashboard over real HTTP: logs in through the fake Discord's OAuth2, reads pages, sends forms
with the page's CSRF token — as a browser without JavaScript would."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import aiohttp

CLIENT_SECRET = "dashboard-client-secret"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dashboard_environ(port: int, client_id: int) -> dict[str, str]:
    """The settings that switch the dashboard on for a bot on ``port``."""
    return {
        "VOTEBOT_WEBHOOKS__PORT": str(port),
        "VOTEBOT_WEBHOOKS__HOST": "127.0.0.1",
        "VOTEBOT_WEBHOOKS__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VOTEBOT_DASHBOARD__ENABLED": "true",
        "VOTEBOT_DASHBOARD__CLIENT_ID": str(client_id),
        "VOTEBOT_DASHBOARD__CLIENT_SECRET": CLIENT_SECRET,
    }


@dataclass
class Answer:
    status: int
    text: str
    headers: Any
    url: str

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, "the page has no form with a CSRF token"
        return unescape(found.group(1))

    @property
    def plain(self) -> str:
        """The page's text without tags, spaces collapsed (what a person reads)."""
        body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", self.text, flags=re.S)
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@dataclass
class DashboardClient:
    base: str  # http://127.0.0.1:port
    http: aiohttp.ClientSession = field(init=False)

    def __post_init__(self) -> None:
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def log_in(self, user_id: int) -> Answer:
        """The whole login: our /login → the fake's consent page (``user_id`` picked) → our /callback → home."""
        async with self.http.get(f"{self.base}/dashboard/login", allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            consent = response.headers["Location"]
        async with self.http.get(f"{consent}&user_id={user_id}", allow_redirects=False) as response:
            assert response.status in (302, 303), await response.text()
            back = response.headers["Location"]
        return await self.get(back)

    async def get(self, path: str) -> Answer:
        url = path if path.startswith("http") else f"{self.base}{path}"
        async with self.http.get(url) as response:
            return Answer(response.status, await response.text(), response.headers, str(response.url))

    async def post(self, path: str, data: dict[str, str], *, csrf: str | None = None, follow: bool = True) -> Answer:
        """Send a form as the page at ``path`` would (its CSRF token unless one is given)."""
        if csrf is None:
            csrf = (await self.get(path)).csrf
        url = path if path.startswith("http") else f"{self.base}{path}"
        async with self.http.post(url, data={**data, "csrf_token": csrf}, allow_redirects=follow) as response:
            return Answer(response.status, await response.text(), response.headers, str(response.url))


_LINK = re.compile(r'href="(/dashboard[^"#?]*)"')
NOT_PAGES = ("/dashboard/static/", "/dashboard/login", "/dashboard/logout", "/dashboard/callback")


async def crawl(client: DashboardClient, start: str = "/dashboard/", limit: int = 200) -> dict[str, Answer]:
    """Every dashboard page reachable from ``start`` by its links (pictures and the login excluded)."""
    seen: dict[str, Answer] = {}
    todo = [start]
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen or path.startswith(NOT_PAGES) or path.endswith((".svg", ".png")):
            continue
        answer = await client.get(path)
        seen[path] = answer
        todo.extend(unescape(link) for link in _LINK.findall(answer.text) if unescape(link) not in seen)
    return seen
