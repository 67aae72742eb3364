"""The dashboard's settings, read from ``[dashboard]`` and ``webhooks.public_url`` (bot/app/config.py)."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DISCORD_API = "https://discord.com/api/v10"
DISCORD_AUTHORIZE = "https://discord.com/oauth2/authorize"
COOKIE_KEY_FILE = "dashboard_cookie.key"
SCOPES = ("identify", "guilds")


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    client_id: str
    client_secret: str = field(repr=False)
    public_url: str  # https://votes.example.com (no trailing slash)
    api_base_url: str = DISCORD_API
    cookie_key: bytes = field(default=b"", repr=False)  # a Fernet key (url-safe base64 of 32 bytes)
    session_seconds: int = 12 * 3600
    logins_per_minute: int = 10

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/dashboard/callback"

    @property
    def authorize_url(self) -> str:
        """Discord's consent page; for another API base (the bundled fake) the same path on that host."""
        base = self.api_base_url.rstrip("/")
        if base == DISCORD_API:
            return DISCORD_AUTHORIZE
        return re.sub(r"/api(/v\d+)?$", "", base) + "/oauth2/authorize"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are sent over https only when the dashboard is reached over https."""
        return self.public_url.startswith("https://")


def cookie_key(secret: str, data_dir: Path) -> bytes:
    """The key that encrypts the session cookies: derived from ``dashboard.cookie_secret`` when set, else made once
    and kept in the data folder (readable by the bot's user only), so a restart keeps people logged in."""
    if secret:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"votebot dashboard cookies").derive(
            secret.encode("utf-8")
        )
        return base64.urlsafe_b64encode(derived)
    path = data_dir / COOKIE_KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key
