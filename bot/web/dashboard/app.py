"""The dashboard's aiohttp application, mounted at ``/dashboard`` on the webhook server.

Its own middlewares (the webhook routes never pay for them): security headers on every answer, the encrypted
session, the reader's language, refusal pages, and the CSRF check of every state-changing request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.core import i18n
from bot.core.i18n import LANGUAGES, _, n_, p_
from bot.core.ratelimit import SourceBudget
from bot.core.time import Clock, format_duration
from bot.web.backend import backend_of
from bot.web.dashboard import auth, pages
from bot.web.dashboard.access import DASHBOARD_KEY, Dashboard, Refusal, is_owner, viewer_of
from bot.web.dashboard.markup import discord_markup
from bot.web.dashboard.oauth import DiscordOAuth
from bot.web.dashboard.sections import DashboardPages
from bot.web.dashboard.session import csrf_token, storage
from bot.web.dashboard.settings import DashboardSettings
from bot.web.guard import Network

log = logging.getLogger(__name__)

MAX_FORM = 64 * 1024
STATIC = Path(__file__).parent / "static"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data: https://cdn.discordapp.com",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def reader_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages in the language the person chose, else the best their browser asks for."""
    session = await get_session(request)
    chosen = i18n.language(session.get("lang")) if isinstance(session.get("lang"), str) else None
    with i18n.speaking(chosen or i18n.for_accept_language(request.headers.get("Accept-Language", ""))):
        return await handler(request)


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as missing:
        refusal = Refusal(missing.status, _("This page does not exist."))
        context = {**await page_context(request), "title": _("Not possible"), "text": refusal.text}
        return aiohttp_jinja2.render_template("message.html", request, context, status=refusal.status)
    except Refusal as refusal:
        context = {**await page_context(request), "title": _("Not possible"), "text": refusal.text}
        response = aiohttp_jinja2.render_template("message.html", request, context, status=refusal.status)
        if refusal.retry_after is not None:
            response.headers["Retry-After"] = str(refusal.retry_after)
        return response


@web.middleware
async def csrf_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every state-changing request carries the session's token (and comes from this site when the browser says)."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return await handler(request)
    settings = request.config_dict[DASHBOARD_KEY].settings
    origin = request.headers.get("Origin")
    if origin is not None and origin != _origin(settings.public_url):
        log.warning("dashboard %s %s refused: Origin %s", request.method, request.path, origin[:100])
        raise Refusal(403, _("This form was sent from another site, so it was refused. Nothing was changed."))
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    sent = form.get("csrf_token")
    if not isinstance(expected, str) or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Refusal(
            403,
            _("This form has expired (its security token did not match). Open the page again. Nothing was changed."),
        )
    return await handler(request)


def _origin(url: str) -> str:
    scheme, _sep, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


async def page_context(request: web.Request) -> dict[str, Any]:
    """What every template may use: the person, the CSRF token, the languages, a message shown once."""
    session = await get_session(request)
    flash = session.pop("flash", None)
    viewer = await viewer_of(request)
    return {
        "viewer": viewer,
        "is_owner": viewer is not None and await is_owner(backend_of(request), viewer),
        "guild": None,
        "error": "",
        "csrf_token": csrf_token(session),
        "languages": LANGUAGES,
        "language": i18n.current(),
        "flash": flash if isinstance(flash, str) else "",
        "request_path": request.path,
    }


def build(
    settings: DashboardSettings,
    pages_added: DashboardPages,
    clock: Clock,
    trusted_proxies: tuple[Network, ...] = (),
) -> web.Application:
    """The dashboard application (mount it with ``app.add_subapp("/dashboard", …)``)."""
    app = web.Application(client_max_size=MAX_FORM)
    app[DASHBOARD_KEY] = Dashboard(
        settings, pages_added, DiscordOAuth(settings), SourceBudget(settings.logins_per_minute, clock), trusted_proxies
    )
    app.middlewares.extend([security_headers, aiohttp_session.session_middleware(storage(settings))])
    app.middlewares.extend([reader_language, refusals, csrf_check])
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("bot.web.dashboard", "templates")]
    for section in pages_added.sections:
        loaders.append(jinja2.PrefixLoader({section.name: jinja2.PackageLoader(section.package, "templates")}))
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        context_processors=[page_context],
        undefined=jinja2.StrictUndefined,
    )
    environment.globals.update({"_": _, "n_": n_, "p_": p_, "number": i18n.number, "duration": format_duration})
    environment.filters["discord"] = discord_markup
    app.router.add_get("/login", auth.login)
    app.router.add_get("/callback", auth.callback)
    app.router.add_post("/logout", auth.logout)
    app.router.add_static("/static", STATIC)
    pages.add_routes(app)
    return app
