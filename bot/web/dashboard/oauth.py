"""Log in with Discord: the OAuth2 authorization code grant with PKCE (RFC 7636), on aiohttp.

The person is sent to Discord's consent page with a random ``state`` and a PKCE challenge kept in their session;
Discord sends them back with a code, which is exchanged (with the verifier and the client secret) for an access
token, used once to read who they are and their guilds, then revoked: the dashboard keeps no Discord token.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import aiohttp

from bot.web.dashboard.settings import SCOPES, DashboardSettings

log = logging.getLogger(__name__)

MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
TIMEOUT = aiohttp.ClientTimeout(total=15)


class LoginFailed(Exception):
    """Discord refused the code or answered something unexpected (the reason is for the log, not for people)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What is kept in the session between the redirect to Discord and the way back."""

    state: str
    verifier: str

    @classmethod
    def new(cls) -> Attempt:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(64))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True, slots=True)
class OAuthGuild:
    id: int
    name: str
    icon: str | None
    manages: bool  # owner, Administrator or Manage Server, as Discord said at login


@dataclass(frozen=True, slots=True)
class LoggedIn:
    user_id: int
    name: str
    avatar: str | None
    guilds: tuple[OAuthGuild, ...]


class DiscordOAuth:
    def __init__(self, settings: DashboardSettings) -> None:
        self._settings = settings

    def authorize_url(self, attempt: Attempt) -> str:
        query = urlencode(
            {
                "client_id": self._settings.client_id,
                "response_type": "code",
                "redirect_uri": self._settings.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": attempt.state,
                "code_challenge": attempt.challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._settings.authorize_url}?{query}"

    async def log_in(self, code: str, attempt: Attempt) -> LoggedIn:
        """Exchange ``code`` and read the person and their guilds; :class:`LoginFailed` when Discord refuses."""
        api = self._settings.api_base_url.rstrip("/")
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            tokens = await self._post(
                http,
                f"{api}/oauth2/token",
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self._settings.redirect_uri,
                    "code_verifier": attempt.verifier,
                },
            )
            access = tokens.get("access_token")
            if not isinstance(access, str) or not access:
                raise LoginFailed("the token answer has no access_token")
            try:
                headers = {"Authorization": f"Bearer {access}"}
                user = await self._get(http, f"{api}/users/@me", headers)
                guilds = await self._get(http, f"{api}/users/@me/guilds", headers)
            finally:
                await self._revoke(http, f"{api}/oauth2/token/revoke", access)
        return _logged_in(user, guilds)

    def _client_auth(self) -> dict[str, str]:
        """HTTP Basic client authentication (RFC 6749 2.3.1: id and secret form-encoded, then base64)."""
        pair = f"{quote_plus(self._settings.client_id)}:{quote_plus(self._settings.client_secret)}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")}

    async def _post(self, http: aiohttp.ClientSession, url: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            async with http.post(url, data=form, headers=self._client_auth()) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise LoginFailed(f"token request failed: {type(exc).__name__}") from None
        if response.status != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise LoginFailed(f"token request answered {response.status} {str(error)[:60]}")
        return body

    async def _get(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
        try:
            async with http.get(url, headers=headers) as response:
                if response.status != 200:
                    raise LoginFailed(f"{url.rsplit('/', 1)[-1]} answered {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise LoginFailed(f"reading {url.rsplit('/', 1)[-1]} failed: {type(exc).__name__}") from None

    async def _revoke(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        try:
            form = {"token": token, "token_type_hint": "access_token"}
            async with http.post(url, data=form, headers=self._client_auth()):
                pass
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("could not revoke a dashboard login's token: %s", type(exc).__name__)


def _snowflake(value: object) -> int:
    text = str(value)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**64:
        raise LoginFailed("an id is not a snowflake")
    return int(text)


def _logged_in(user: Any, guilds: Any) -> LoggedIn:
    if not isinstance(user, dict) or not isinstance(guilds, list):
        raise LoginFailed("unexpected shape of /users/@me or /users/@me/guilds")
    found = []
    for guild in guilds:
        if not isinstance(guild, dict):
            continue
        permissions = str(guild.get("permissions", "0"))
        bits = int(permissions) if permissions.isascii() and permissions.isdigit() else 0
        manages = bool(guild.get("owner")) or bool(bits & (MANAGE_GUILD | ADMINISTRATOR))
        icon = guild.get("icon")
        found.append(
            OAuthGuild(
                _snowflake(guild.get("id")),
                str(guild.get("name", ""))[:100],
                icon if isinstance(icon, str) else None,
                manages,
            )
        )
    name = user.get("global_name") or user.get("username") or ""
    avatar = user.get("avatar")
    return LoggedIn(
        _snowflake(user.get("id")), str(name)[:100], avatar if isinstance(avatar, str) else None, tuple(found)
    )
