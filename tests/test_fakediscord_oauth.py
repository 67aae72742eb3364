"""The fake Discord's OAuth2 (log in with Discord), driven with raw aiohttp as a web app and a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord

SECRET = "s3cret-client"
REDIRECT = "http://127.0.0.1:9999/auth/callback"
GUILD_A = 1000000000000000001
GUILD_B = 1000000000000000002
GUILD_C = 1000000000000000003
ALICE = 3000000000000000001
BOB = 3000000000000000002
STAFF_ROLE = 4000000000000000001
MANAGE_GUILD = 1 << 5


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(oauth_client_secret=SECRET, oauth_redirect_uris=[REDIRECT]) as fake:
        # Alice manages guild A through a role, is a plain member of B, owns C; Bob is a plain member of A.
        fake.add_guild(
            {
                "id": GUILD_A,
                "name": "Alpha",
                "roles": [{"id": STAFF_ROLE, "name": "staff", "permissions": str(MANAGE_GUILD), "position": 1}],
                "members": [{"id": ALICE, "name": "alice", "roles": [STAFF_ROLE]}, {"id": BOB, "name": "bob"}],
            }
        )
        fake.add_guild({"id": GUILD_B, "name": "Beta", "members": [{"id": ALICE, "name": "alice"}]})
        fake.add_guild({"id": GUILD_C, "name": "Gamma", "owner_id": ALICE, "features": ["COMMUNITY"]})
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(fake: FakeDiscord, challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": str(fake.application_id),
        "scope": "identify guilds",
        "state": "st/ate+1=",
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "prompt": "consent",
    }
    params.update(extra)
    return params


async def get_code(http: aiohttp.ClientSession, fake: FakeDiscord, challenge: str, **extra: str) -> str:
    params = authorize_params(fake, challenge, user_id=str(ALICE), **extra)
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st/ate+1="]
    return query["code"][0]


async def exchange(
    http: aiohttp.ClientSession, fake: FakeDiscord, form: dict[str, str], *, basic: tuple[str, str] | None = None
) -> tuple[int, Any]:
    headers = {}
    if basic is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    async with http.post(f"{fake.api_base_url}/oauth2/token", data=form, headers=headers) as resp:
        return resp.status, await resp.json()


def code_form(fake: FakeDiscord, code: str, verifier: str, **extra: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": str(fake.application_id),
        "client_secret": SECRET,
    }
    form.update(extra)
    return form


async def api(http: aiohttp.ClientSession, fake: FakeDiscord, path: str, authorization: str) -> tuple[int, Any]:
    async with http.get(f"{fake.api_base_url}{path}", headers={"Authorization": authorization}) as resp:
        return resp.status, await resp.json()


async def test_full_flow_with_pkce(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    verifier, challenge = pkce()
    code = await get_code(http, fake, challenge)
    status, tokens = await exchange(
        http,
        fake,
        code_form(fake, code, verifier, client_id="", client_secret=""),
        basic=(str(fake.application_id), SECRET),
    )
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 604800
    assert tokens["scope"] == "identify guilds"
    assert tokens["access_token"] and tokens["refresh_token"]
    bearer = f"Bearer {tokens['access_token']}"

    status, me = await api(http, fake, "/users/@me", bearer)
    assert status == 200
    assert me["id"] == str(ALICE)
    assert me["username"] == "alice"
    assert me["global_name"] == "alice"
    assert me["discriminator"] == "0"
    assert "avatar" in me and "bot" not in me

    status, guilds = await api(http, fake, "/users/@me/guilds", bearer)
    assert status == 200
    by_id = {g["id"]: g for g in guilds}
    assert set(by_id) == {str(GUILD_A), str(GUILD_B), str(GUILD_C)}
    for g in guilds:
        assert set(g) >= {"id", "name", "icon", "owner", "permissions", "features"}
        assert isinstance(g["permissions"], str)
    assert by_id[str(GUILD_A)]["name"] == "Alpha"
    assert int(by_id[str(GUILD_A)]["permissions"]) & MANAGE_GUILD
    assert not by_id[str(GUILD_A)]["owner"]
    assert not int(by_id[str(GUILD_B)]["permissions"]) & MANAGE_GUILD
    assert by_id[str(GUILD_C)]["owner"] is True
    assert int(by_id[str(GUILD_C)]["permissions"]) == (1 << 51) - 1  # the owner has everything
    assert by_id[str(GUILD_C)]["features"] == ["COMMUNITY"]

    # Paged as Discord pages it.
    status, page = await api(http, fake, f"/users/@me/guilds?after={GUILD_A}&limit=1&with_counts=true", bearer)
    assert [g["id"] for g in page] == [str(GUILD_B)]
    assert page[0]["approximate_member_count"] == 3  # Alice, the bot, the owner

    # The bot token's side of the same route is untouched.
    status, bot = await api(http, fake, "/users/@me", f"Bot {fake.token}")
    assert status == 200
    assert bot["id"] == str(fake.bot_user_id) and bot["bot"] is True
    # A Bearer token opens nothing else.
    status, _body = await api(http, fake, f"/guilds/{GUILD_A}", bearer)
    assert status == 401


async def test_picker_lists_users_and_logs_the_chosen_one_in(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    verifier, challenge = pkce()
    params = authorize_params(fake, challenge)
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        page = await resp.text()
    assert f'name="user_id" value="{ALICE}"' in page
    assert f'name="user_id" value="{BOB}"' in page
    assert f'name="user_id" value="{fake.bot_user_id}"' not in page  # bots cannot log in
    assert 'action="/oauth2/authorize"' in page
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert hidden["state"] == "st/ate+1="  # html-escaping of this value is a no-op
    async with http.post(
        f"{fake.base_url}/oauth2/authorize", data=dict(hidden, user_id=str(BOB)), allow_redirects=False
    ) as resp:
        assert resp.status == 302
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["st/ate+1="]
    status, tokens = await exchange(http, fake, code_form(fake, query["code"][0], verifier))
    assert status == 200
    status, me = await api(http, fake, "/users/@me", f"Bearer {tokens['access_token']}")
    assert me["id"] == str(BOB)
    status, guilds = await api(http, fake, "/users/@me/guilds", f"Bearer {tokens['access_token']}")
    assert [g["id"] for g in guilds] == [str(GUILD_A)]
    assert not int(guilds[0]["permissions"]) & MANAGE_GUILD

    # Cancel on the page: access_denied, state echoed.
    async with http.post(
        f"{fake.base_url}/oauth2/authorize", data=dict(hidden, action="deny"), allow_redirects=False
    ) as resp:
        assert resp.status == 302
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["st/ate+1="]}


async def test_control_login_skips_the_page(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{fake.base_url}/_fake/oauth2/login", json={"user_id": str(BOB)}) as resp:
        assert resp.status == 200
    _verifier, challenge = pkce()
    params = authorize_params(fake, challenge, prompt="none")
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 302
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    assert fake.oauth.codes[code].user_id == BOB


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "123"}, "Unknown client_id"),
        ({"response_type": ""}, "Missing response_type"),
        ({"response_type": "token"}, "Unsupported response_type"),
        ({"scope": "guilds"}, "identify is required"),
        ({"redirect_uri": "http://evil.example/cb"}, "Invalid OAuth2 redirect_uri"),
        ({"code_challenge_method": "plain"}, "Unsupported code_challenge_method"),
    ],
)
async def test_bad_authorize_requests_show_an_error_page(
    fake: FakeDiscord, http: aiohttp.ClientSession, change: dict[str, str], message: str
) -> None:
    _verifier, challenge = pkce()
    params = authorize_params(fake, challenge, user_id=str(ALICE), **change)
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 400
        assert "Location" not in resp.headers
        assert message in await resp.text()


async def test_token_refusals(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    verifier, challenge = pkce()
    code = await get_code(http, fake, challenge)
    # Wrong secret, wrong client id: invalid_client (and the code survives a client's error).
    assert await exchange(http, fake, code_form(fake, code, verifier, client_secret="nope")) == (
        401,
        {"error": "invalid_client"},
    )
    assert (await exchange(http, fake, code_form(fake, code, verifier, client_id="42")))[0] == 401
    status, body = await exchange(http, fake, code_form(fake, code, verifier), basic=(str(fake.application_id), "x"))
    assert status == 401 and body["error"] == "invalid_client"
    # Wrong verifier: invalid_grant, and the code is spent.
    status, body = await exchange(http, fake, code_form(fake, code, "not-the-verifier"))
    assert status == 400 and body["error"] == "invalid_grant"
    status, body = await exchange(http, fake, code_form(fake, code, verifier))
    assert status == 400 and body["error"] == "invalid_grant"

    # Missing verifier.
    code = await get_code(http, fake, challenge)
    form = code_form(fake, code, verifier)
    del form["code_verifier"]
    assert (await exchange(http, fake, form))[1]["error"] == "invalid_grant"

    # Another redirect_uri than the authorize request's.
    code = await get_code(http, fake, challenge)
    status, body = await exchange(http, fake, code_form(fake, code, verifier, redirect_uri=REDIRECT + "x"))
    assert status == 400 and body["error"] == "invalid_grant"

    # A code used twice.
    code = await get_code(http, fake, challenge)
    assert (await exchange(http, fake, code_form(fake, code, verifier)))[0] == 200
    status, body = await exchange(http, fake, code_form(fake, code, verifier))
    assert status == 400 and body["error"] == "invalid_grant"

    # A code older than 10 minutes on the fake's clock.
    code = await get_code(http, fake, challenge)
    fake.ratelimits.advance(601)
    status, body = await exchange(http, fake, code_form(fake, code, verifier))
    assert status == 400 and body["error"] == "invalid_grant"
    code = await get_code(http, fake, challenge)
    fake.ratelimits.advance(590)
    assert (await exchange(http, fake, code_form(fake, code, verifier)))[0] == 200

    # Grant types.
    status, body = await exchange(http, fake, code_form(fake, code, verifier, grant_type="password"))
    assert status == 400 and body["error"] == "unsupported_grant_type"
    status, body = await exchange(http, fake, code_form(fake, code, verifier, grant_type=""))
    assert status == 400 and body["error"] == "invalid_request"


async def test_tokens_bad_expired_revoked_and_scopes(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    unauthorized = (401, {"message": "401: Unauthorized", "code": 0})
    assert await api(http, fake, "/users/@me", "Bearer nonsense") == unauthorized
    assert await api(http, fake, "/users/@me/guilds", "Bearer nonsense") == unauthorized

    verifier, challenge = pkce()
    code = await get_code(http, fake, challenge, scope="identify")
    status, tokens = await exchange(http, fake, code_form(fake, code, verifier))
    assert tokens["scope"] == "identify"
    bearer = f"Bearer {tokens['access_token']}"
    assert (await api(http, fake, "/users/@me", bearer))[0] == 200
    status, body = await api(http, fake, "/users/@me/guilds", bearer)
    assert status == 403 and body["code"] == 50001

    # Revoked (by its access token, with the client's credentials): both tokens stop working.
    revoke_form = {"token": tokens["access_token"], "client_id": str(fake.application_id), "client_secret": SECRET}
    async with http.post(f"{fake.api_base_url}/oauth2/token/revoke", data=dict(revoke_form, client_secret="x")) as r:
        assert r.status == 401
    assert (await api(http, fake, "/users/@me", bearer))[0] == 200
    async with http.post(f"{fake.api_base_url}/oauth2/token/revoke", data=revoke_form) as resp:
        assert resp.status == 200
    assert await api(http, fake, "/users/@me", bearer) == unauthorized
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refresh.update(client_id=str(fake.application_id), client_secret=SECRET)
    assert (await exchange(http, fake, refresh))[1]["error"] == "invalid_grant"

    # Expired after 7 days on the fake's clock.
    code = await get_code(http, fake, challenge)
    _status, tokens = await exchange(http, fake, code_form(fake, code, verifier))
    bearer = f"Bearer {tokens['access_token']}"
    fake.ratelimits.advance(604800 - 10)
    assert (await api(http, fake, "/users/@me/guilds", bearer))[0] == 200
    fake.ratelimits.advance(11)
    assert await api(http, fake, "/users/@me/guilds", bearer) == unauthorized


async def test_refresh_token_flow(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    verifier, challenge = pkce()
    code = await get_code(http, fake, challenge)
    _status, first = await exchange(http, fake, code_form(fake, code, verifier))
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, body = await exchange(http, fake, dict(form, client_id=str(fake.application_id), client_secret="x"))
    assert status == 401
    status, second = await exchange(http, fake, form, basic=(str(fake.application_id), SECRET))
    assert status == 200
    assert second["scope"] == "identify guilds" and second["token_type"] == "Bearer"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    status, me = await api(http, fake, "/users/@me", f"Bearer {second['access_token']}")
    assert me["id"] == str(ALICE)
    # The old pair is gone: its access token and its refresh token (a refresh token is single use).
    assert (await api(http, fake, "/users/@me", f"Bearer {first['access_token']}"))[0] == 401
    status, body = await exchange(http, fake, form, basic=(str(fake.application_id), SECRET))
    assert status == 400 and body["error"] == "invalid_grant"


async def test_app_registration_control(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.base_url}/_fake/state") as resp:
        state = await resp.json()
    assert state["oauth2"]["client_id"] == str(fake.application_id)
    assert state["oauth2"]["client_secret"] == SECRET
    assert state["oauth2"]["redirect_uris"] == [REDIRECT]
    other = "http://localhost:8080/callback"
    async with http.post(
        f"{fake.base_url}/_fake/oauth2/app", json={"client_secret": "new", "redirect_uris": [other]}
    ) as resp:
        assert (await resp.json())["redirect_uris"] == [other]
    verifier, challenge = pkce()
    params = authorize_params(fake, challenge, user_id=str(ALICE))
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 400  # the old redirect URI is no longer registered
    params["redirect_uri"] = other
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 302
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    form = code_form(fake, code, verifier, redirect_uri=other)
    assert (await exchange(http, fake, form))[0] == 401  # the old secret
    code = parse_qs(urlsplit(await _authorize_location(http, fake, params)).query)["code"][0]
    form = code_form(fake, code, verifier, redirect_uri=other, client_secret="new")
    assert (await exchange(http, fake, form))[0] == 200


async def _authorize_location(http: aiohttp.ClientSession, fake: FakeDiscord, params: dict[str, str]) -> str:
    async with http.get(f"{fake.base_url}/oauth2/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 302
        return resp.headers["Location"]
