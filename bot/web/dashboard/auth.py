"""``/dashboard/login`` → Discord → ``/dashboard/callback``; ``POST /dashboard/logout``."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from aiohttp_session import get_session

from bot.core.i18n import _
from bot.web.backend import backend_of
from bot.web.dashboard.access import VIEWER_KEY, Refusal, dashboard_of, sign_out
from bot.web.dashboard.oauth import Attempt, LoggedIn, LoginFailed
from bot.web.dashboard.session import Viewer, log_in
from bot.web.guard import client_address

log = logging.getLogger(__name__)

MAX_CODE = 200


async def login(request: web.Request) -> web.StreamResponse:
    """Start a login: a fresh state and PKCE verifier in the session, then Discord's consent page."""
    dashboard = dashboard_of(request)
    source = client_address(request, dashboard.trusted_proxies)
    if not dashboard.logins.allows(source):
        retry = max(1, round(dashboard.logins.retry_after(source)))
        raise Refusal(429, _("Too many logins from your address. Try again in a minute."), retry_after=retry)
    dashboard.logins.charge(source)
    attempt = Attempt.new()
    session = await get_session(request)
    session["oauth"] = {"state": attempt.state, "verifier": attempt.verifier}
    raise web.HTTPSeeOther(dashboard.oauth.authorize_url(attempt))


async def callback(request: web.Request) -> web.StreamResponse:
    """Discord sent the person back: check the state, exchange the code, keep who they are."""
    dashboard = dashboard_of(request)
    session = await get_session(request)
    pending = session.pop("oauth", None)
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if request.query.get("error"):
        raise Refusal(400, _("The login was cancelled on Discord. Nothing was changed."))
    if (
        not isinstance(pending, dict)
        or not state
        or not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
    ):
        raise Refusal(400, _("This login link has expired or was not started here. Log in again."))
    if not code or len(code) > MAX_CODE:
        raise Refusal(400, _("Discord did not send a login code. Log in again."))
    try:
        person = await dashboard.oauth.log_in(code, Attempt(str(pending["state"]), str(pending.get("verifier", ""))))
    except LoginFailed as exc:
        log.warning("dashboard login refused: %s", exc)
        raise Refusal(502, _("Discord did not confirm the login. Log in again.")) from None
    backend = backend_of(request)
    log_in(session, viewer_for(person, backend.get_guild), backend.clock().timestamp())
    request.pop(VIEWER_KEY, None)
    log.info("dashboard login by user %s", person.user_id)
    raise web.HTTPSeeOther("/dashboard/")


def viewer_for(person: LoggedIn, bot_guild: object) -> Viewer:
    """The guilds the person manages with the bot in them, and a few they manage without it (to invite it)."""
    managed = [guild for guild in person.guilds if guild.manages]
    present = frozenset(guild.id for guild in managed if bot_guild(guild.id) is not None)  # type: ignore[operator]
    invitable = tuple((guild.id, guild.name) for guild in managed if guild.id not in present)
    return Viewer(person.user_id, person.name, person.avatar, present, invitable)


async def logout(request: web.Request) -> web.StreamResponse:
    await sign_out(request)
    raise web.HTTPSeeOther("/dashboard/")
