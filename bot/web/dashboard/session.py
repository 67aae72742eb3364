"""The person logged in, kept in an encrypted cookie (aiohttp-session's Fernet storage from ``cryptography``).

The cookie holds who logged in and when, the guilds they managed at login where the bot was present (their ids:
the names come from the bot's own view), a few they manage without the bot (to invite it), the CSRF token and
the language they chose. No Discord token is kept. A cookie that does not decrypt — tampered with, or made with
another key — is a new, empty session: the person is logged out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import Session, get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.core.time import Clock
from bot.web.dashboard.settings import DashboardSettings

COOKIE = "votebot_dashboard"
MAX_GUILDS = 100  # guild ids kept in the cookie (the cookie stays under the browsers' 4 KB)
MAX_INVITES = 10


def storage(settings: DashboardSettings) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        Fernet(settings.cookie_key),
        cookie_name=COOKIE,
        max_age=settings.session_seconds,
        path="/dashboard",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is logged in, as Discord said at login."""

    user_id: int
    name: str
    avatar: str | None
    guild_ids: frozenset[int]  # managed at login, with the bot present
    invitable: tuple[tuple[int, str], ...]  # managed at login, without the bot: (id, name)


def csrf_token(session: Session) -> str:
    """The session's CSRF token (made on first use): every form carries it, every POST is checked against it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def viewer_in(session: Session, clock: Clock, lifetime: int) -> Viewer | None:
    """The person of this session, or None when nobody is logged in or the login is older than ``lifetime``."""
    user = session.get("user")
    at = session.get("at")
    if not isinstance(user, dict) or not isinstance(at, int | float):
        return None
    if clock().timestamp() - at > lifetime:
        log_out(session)
        return None
    guilds = session.get("guilds") or []
    invitable = session.get("invite") or []
    return Viewer(
        int(user["id"]),
        str(user.get("name", "")),
        user.get("avatar"),
        frozenset(int(g) for g in guilds),
        tuple((int(g), str(name)) for g, name in invitable),
    )


def log_in(session: Session, viewer: Viewer, at: float) -> None:
    """A new login: the session is renewed (a new CSRF token), the language the person chose is kept."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["user"] = {"id": str(viewer.user_id), "name": viewer.name, "avatar": viewer.avatar}
    session["guilds"] = [str(g) for g in sorted(viewer.guild_ids)[:MAX_GUILDS]]
    session["invite"] = [[str(g), name[:40]] for g, name in viewer.invitable[:MAX_INVITES]]
    session["at"] = at
    csrf_token(session)


def log_out(session: Session) -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


async def session_of(request: web.Request) -> Session:
    return await get_session(request)
