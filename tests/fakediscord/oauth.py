"""OAuth2 ("log in with Discord"): the authorization code grant with PKCE, as Discord does it.

``GET``/``POST /oauth2/authorize`` (the consent page, here a picker of fake users), ``POST /api/v10/oauth2/token``
(``authorization_code`` and ``refresh_token`` grants), ``POST /api/v10/oauth2/token/revoke``, and the Bearer side
of ``GET /api/v10/users/@me`` and ``/users/@me/guilds``. The fake's one application (the bot's) is the OAuth
client: its id is the application id, its secret and redirect URIs are set with
``FakeDiscord(oauth_client_secret=..., oauth_redirect_uris=[...])`` or ``POST /_fake/oauth2/app``. Codes and tokens
expire on the fake's clock (the limiter's: ``POST /_fake/ratelimits/clock`` moves it).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from aiohttp import web

from .httputil import json_response
from .payloads import user_json

if TYPE_CHECKING:
    from .server import FakeDiscord

CODE_LIFETIME = 600.0  # seconds: Discord's authorization codes last 10 minutes
TOKEN_LIFETIME = 604800  # seconds: an access token lasts 7 days
KNOWN_SCOPES = frozenset({"identify", "email", "guilds", "guilds.join", "guilds.members.read", "connections"})
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}


@dataclass
class Grant:
    """What a person approved: the user, the scopes, and (for a code) where and how it may be redeemed."""

    user_id: int
    scopes: tuple[str, ...]
    redirect_uri: str = ""
    code_challenge: str | None = None
    created: float = 0.0


@dataclass
class Token:
    user_id: int
    scopes: tuple[str, ...]
    expires_at: float
    refresh_token: str


@dataclass
class OAuth:
    """The OAuth client registration and the live codes and tokens."""

    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: list[str] = field(default_factory=list)
    logged_in: int | None = None  # the user a browser "is logged in to Discord" as (POST /_fake/oauth2/login)
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    code_lifetime: float = CODE_LIFETIME

    def configure(self, spec: dict[str, Any]) -> None:
        if spec.get("client_secret") is not None:
            self.client_secret = str(spec["client_secret"])
        if spec.get("redirect_uris") is not None:
            self.redirect_uris = [str(u) for u in spec["redirect_uris"]]

    def summary(self, client_id: int) -> dict[str, Any]:
        return {
            "client_id": str(client_id),
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "logged_in": str(self.logged_in) if self.logged_in is not None else None,
        }


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --------------------------------------------------------------------------------------------- authorize
def _error_page(message: str) -> web.Response:
    """Discord shows a bad authorize request on its own page, never redirecting to an unchecked redirect_uri."""
    body = (
        "<!doctype html><html><head><title>Discord</title></head><body>"
        f'<h1>Invalid OAuth2 request</h1><p class="error">{html.escape(message)}</p></body></html>'
    )
    return web.Response(status=400, text=body, content_type="text/html")


def _check_authorize(fake: FakeDiscord, params: dict[str, str]) -> tuple[str, tuple[str, ...]] | str:
    """(redirect_uri, scopes), or the error message shown on the page."""
    oauth = fake.oauth
    if params.get("client_id") != str(fake.application_id):
        return "Unknown client_id"
    if not params.get("response_type"):
        return "Missing response_type"
    if params["response_type"] != "code":
        return "Unsupported response_type"
    scopes = tuple(params.get("scope", "").split())
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        return "Invalid scope"
    if "identify" not in scopes:
        return "Invalid scope: identify is required"
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None and len(oauth.redirect_uris) == 1:
        redirect_uri = oauth.redirect_uris[0]
    if redirect_uri is None or redirect_uri not in oauth.redirect_uris:
        return "Invalid OAuth2 redirect_uri"
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "S256"):
        return "Unsupported code_challenge_method"
    if method is not None and not params.get("code_challenge"):
        return "Missing code_challenge"
    return redirect_uri, scopes


def _picker(fake: FakeDiscord, params: dict[str, str], scopes: tuple[str, ...]) -> web.Response:
    """The consent page: every (non-bot) user, with the guilds they are in; each is a button that logs them in."""
    state = fake.state
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("user_id", "action")
    )
    rows = []
    for uid, user in state.users.items():
        if user.get("bot"):
            continue
        guilds = [g["name"] for g in state.guilds.values() if uid in g["members"]]
        checked = " (logged in)" if uid == fake.oauth.logged_in else ""
        rows.append(
            f'<li><button type="submit" name="user_id" value="{uid}">Log in as '
            f"{html.escape(user['global_name'] or user['username'])} (@{html.escape(user['username'])}, {uid})"
            f"</button>{checked} <small>{html.escape(', '.join(guilds))}</small></li>"
        )
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Discord — Authorize</title>'
        '<meta name="viewport" content="width=device-width"></head><body>'
        f"<h1>{html.escape(state.users[state.bot_user_id]['username'])} wants to access your account</h1>"
        f"<p>Scopes: {html.escape(' '.join(scopes))}</p>"
        f'<form method="post" action="/oauth2/authorize">{hidden}<ul class="users">{"".join(rows)}</ul>'
        '<button type="submit" name="action" value="deny">Cancel</button></form></body></html>'
    )
    return web.Response(text=body, content_type="text/html")


async def authorize(fake: FakeDiscord, request: web.Request) -> web.StreamResponse:
    params = dict(request.query)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.post()).items()})
    checked = _check_authorize(fake, params)
    if isinstance(checked, str):
        return _error_page(checked)
    redirect_uri, scopes = checked
    echo = {"state": params["state"]} if "state" in params else {}
    if params.get("action") == "deny":
        raise web.HTTPFound(with_query(redirect_uri, {"error": "access_denied", **echo}))
    user_id: int | None = None
    if params.get("user_id"):
        user_id = int(params["user_id"])
    elif fake.oauth.logged_in is not None and params.get("prompt") != "consent":
        user_id = fake.oauth.logged_in
    if user_id is None:
        return _picker(fake, params, scopes)
    user = fake.state.users.get(user_id)
    if user is None or user.get("bot"):
        return _error_page("Unknown user")
    fake.oauth.logged_in = user_id
    code = secrets.token_urlsafe(24)
    fake.oauth.codes[code] = Grant(
        user_id, scopes, redirect_uri, params.get("code_challenge") or None, fake.ratelimits.now()
    )
    raise web.HTTPFound(with_query(redirect_uri, {"code": code, **echo}))


# ------------------------------------------------------------------------------------------------- token
def _oauth_error(error: str, status: int = 400, description: str | None = None) -> web.Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, status)


def _client_ok(fake: FakeDiscord, request: web.Request, form: dict[str, str]) -> bool:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:  # RFC 6749 2.3.1: "client_id:client_secret", each form-urlencoded, in base64
            login, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except ValueError:
            return False
        client_id, secret = unquote_plus(login), unquote_plus(password)
    return (
        client_id == str(fake.application_id)
        and secret is not None
        and secrets.compare_digest(secret, fake.oauth.client_secret)
    )


def _issue(fake: FakeDiscord, grant: Grant) -> dict[str, Any]:
    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    fake.oauth.access_tokens[access] = Token(
        grant.user_id, grant.scopes, fake.ratelimits.now() + TOKEN_LIFETIME, refresh
    )
    fake.oauth.refresh_tokens[refresh] = Grant(grant.user_id, grant.scopes)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "refresh_token": refresh,
        "scope": " ".join(grant.scopes),
    }


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


async def token(fake: FakeDiscord, request: web.Request) -> web.StreamResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", description="the body must be application/x-www-form-urlencoded")
    form = await _form(request)
    if not _client_ok(fake, request, form):
        return _oauth_error("invalid_client", 401)
    oauth = fake.oauth
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = form.get("code", "")
        grant = oauth.codes.pop(code, None)  # single use: a second try finds nothing
        if grant is None or fake.ratelimits.now() - grant.created > oauth.code_lifetime:
            return _oauth_error("invalid_grant", description='Invalid "code" in request.')
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant", description='Invalid "redirect_uri" in request.')
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier or not secrets.compare_digest(pkce_challenge(verifier), grant.code_challenge):
                return _oauth_error("invalid_grant", description='Invalid "code_verifier" in request.')
        return json_response(_issue(fake, grant))
    if grant_type == "refresh_token":
        refresh = oauth.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if refresh is None:
            return _oauth_error("invalid_grant", description='Invalid "refresh_token" in request.')
        _revoke_refresh(fake, form["refresh_token"])
        return json_response(_issue(fake, refresh))
    if not grant_type:
        return _oauth_error("invalid_request", description='Missing "grant_type" in request.')
    return _oauth_error("unsupported_grant_type")


def _revoke_refresh(fake: FakeDiscord, refresh: str) -> None:
    fake.oauth.refresh_tokens.pop(refresh, None)
    for access, tok in list(fake.oauth.access_tokens.items()):
        if tok.refresh_token == refresh:
            del fake.oauth.access_tokens[access]


async def revoke(fake: FakeDiscord, request: web.Request) -> web.StreamResponse:
    """RFC 7009: the access token and its refresh token (either given) stop working; an unknown token is no error."""
    form = await _form(request)
    if not _client_ok(fake, request, form):
        return _oauth_error("invalid_client", 401)
    given = form.get("token", "")
    tok = fake.oauth.access_tokens.get(given)
    _revoke_refresh(fake, tok.refresh_token if tok is not None else given)
    return json_response({})


# ---------------------------------------------------------------------------------------- Bearer routes
def bearer(fake: FakeDiscord, request: web.Request) -> Token | None:
    """The live access token of a ``Bearer`` request, else None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    tok = fake.oauth.access_tokens.get(header[7:])
    if tok is None or tok.expires_at <= fake.ratelimits.now():
        return None
    return tok


def me(fake: FakeDiscord, tok: Token, query: Any) -> web.Response:
    return json_response(dict(user_json(fake.state, tok.user_id), locale="en-US", mfa_enabled=False))


def my_guilds(fake: FakeDiscord, tok: Token, query: Any) -> web.Response:
    """Partial guilds, by id, paged as Discord pages them (``before``, ``after``, ``limit`` 1-200, ``with_counts``)."""
    if "guilds" not in tok.scopes:
        return json_response({"message": "Missing Access", "code": 50001}, 403)
    state = fake.state
    limit = int(query.get("limit", 200))
    if not 1 <= limit <= 200:
        return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
    after, before = int(query.get("after", 0)), int(query.get("before", 0))
    with_counts = query.get("with_counts", "false").lower() in ("true", "1")
    guilds = []
    for g in sorted(state.guilds.values(), key=lambda g: g["id"]):
        if tok.user_id not in g["members"] or g["id"] <= after or (before and g["id"] >= before):
            continue
        partial = {
            "id": str(g["id"]),
            "name": g["name"],
            "icon": None,
            "banner": None,
            "owner": g["owner_id"] == tok.user_id,
            "permissions": str(state.base_permissions(g, tok.user_id)),  # the owner and Administrator: all
            "features": list(g["features"]),
        }
        if with_counts:
            partial.update(approximate_member_count=len(g["members"]), approximate_presence_count=0)
        guilds.append(partial)
    return json_response(guilds[:limit])


def install(app: web.Application, fake: FakeDiscord) -> None:
    """Before ``rest.install``: these routes must win over the ``/api/v10/{tail}`` catch-all."""
    from . import rest

    def record(request: web.Request, status: int) -> None:
        entry = {"method": request.method, "path": request.path, "query": dict(request.query), "json": None}
        fake.state.record(dict(entry, status=status, time=time.time(), auth="oauth"))

    async def handle_authorize(request: web.Request) -> web.StreamResponse:
        return await authorize(fake, request)

    async def handle_token(request: web.Request) -> web.StreamResponse:
        response = await token(fake, request)
        record(request, response.status)
        return response

    async def handle_revoke(request: web.Request) -> web.StreamResponse:
        response = await revoke(fake, request)
        record(request, response.status)
        return response

    def user_route(answer: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            if not request.headers.get("Authorization", "").startswith("Bearer "):
                return await rest.dispatch(fake, request)  # the bot token's side of the route
            tok = bearer(fake, request)
            response = answer(fake, tok, request.query) if tok is not None else json_response(UNAUTHORIZED, 401)
            record(request, response.status)
            return response

        return handle

    app.router.add_route("GET", "/oauth2/authorize", handle_authorize)
    app.router.add_route("POST", "/oauth2/authorize", handle_authorize)
    for prefix in ("/api/v10", "/api/v9", "/api"):
        app.router.add_post(f"{prefix}/oauth2/token", handle_token)
        app.router.add_post(f"{prefix}/oauth2/token/revoke", handle_revoke)
    for prefix in ("/api/v10", "/api/v9"):
        app.router.add_get(f"{prefix}/users/@me", user_route(me))
        app.router.add_get(f"{prefix}/users/@me/guilds", user_route(my_guilds))
