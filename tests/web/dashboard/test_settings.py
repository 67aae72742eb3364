"""The dashboard's settings: where people are sent to log in, the cookie key, Secure cookies under https."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.fernet import Fernet

from bot.web.dashboard.session import storage
from bot.web.dashboard.settings import COOKIE_KEY_FILE, DashboardSettings, cookie_key


def settings(
    public_url: str = "https://votes.example.com", api: str = "https://discord.com/api/v10"
) -> DashboardSettings:
    return DashboardSettings("123", "secret", public_url, api, Fernet.generate_key())


def test_people_log_in_on_discord_or_on_the_api_base_they_configured() -> None:
    assert settings().authorize_url == "https://discord.com/oauth2/authorize"
    assert settings(api="http://127.0.0.1:8971/api/v10").authorize_url == "http://127.0.0.1:8971/oauth2/authorize"
    assert settings().redirect_uri == "https://votes.example.com/dashboard/callback"


def test_cookies_are_secure_under_https_only() -> None:
    assert settings().secure_cookies
    assert not settings("http://127.0.0.1:8080").secure_cookies
    cookie = storage(settings())
    assert cookie.cookie_params["secure"] is True
    assert cookie.cookie_params["samesite"] == "Lax" and cookie.cookie_params["httponly"] is True


def test_the_cookie_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = cookie_key("", tmp_path)
    assert cookie_key("", tmp_path) == first  # a restart keeps people logged in
    Fernet(first)  # a valid key
    mode = stat.S_IMODE((tmp_path / COOKIE_KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_a_configured_cookie_secret_gives_the_same_key_on_every_process(tmp_path: Path) -> None:
    one = cookie_key("a long shared cookie secret", tmp_path / "a")
    assert one == cookie_key("a long shared cookie secret", tmp_path / "b")
    assert one != cookie_key("another long shared secret", tmp_path / "a")
    assert not (tmp_path / "a" / COOKIE_KEY_FILE).exists()
