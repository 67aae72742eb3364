"""POST /api/v1/link/confirm: the game plugin proves a player name for the member who ran /link (real HTTP, real PG)."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.link_proof import BAD_KEY_LIMIT, CODE_TTL, PLAYER_LIMIT, SERVER_LIMIT, WINDOW, LinkProof, display_code
from bot.core.servers import CreatedServer, ServerService
from bot.db.links import LinkRepository
from bot.db.votes import VoteRepository
from bot.votes.dispatcher import VoteDispatcher
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.clock import MovableClock
from tests.votes.consumers import Recorder

MEMBER, OTHER = 1_000_000_000_000_000_001, 1_000_000_000_000_000_002
URL = "/api/v1/link/confirm"


@pytest.fixture
async def created(pool: asyncpg.Pool) -> CreatedServer:
    return await ServerService(pool, features()).add(guild_id=1, name="Alpha", vote_url="https://example.com/vote")


async def issue(pool: asyncpg.Pool, server_id: int, clock: MovableClock, user: int = MEMBER, **kw: Any) -> str:
    """What /link does: a fresh code for the member (see tests/e2e/test_links.py for the command itself)."""
    player = kw.pop("player", None)
    issued = await LinkProof(pool).issue(server_id, user, player, ping=kw.pop("ping", False), now=clock())
    return display_code(issued.code)


async def confirm(http: aiohttp.ClientSession, key: str, code: str, username: str, **kw: Any) -> tuple[int, Any]:
    async with http.post(URL, json={"key": key, "code": code, "username": username}, **kw) as response:
        body = await response.json()
        return response.status, (body, response.headers.get("Retry-After")) if response.status == 429 else body


async def test_right_code_links_that_name_and_its_votes_count_for_the_member(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    server = created.server
    code = await issue(pool, server.id, clock, ping=True)  # no name asked for: the game's name is taken
    status, body = await confirm(http, created.api_key, code.lower().replace("-", ""), "Steve")  # any case, no dash
    assert status == 200
    assert body == {"ok": True, "server": "Alpha", "player": "Steve", "discordUserId": str(MEMBER)}
    link = await LinkRepository(pool).get(server.id, MEMBER)
    assert link is not None and link.player_name == "Steve" and link.ping_opt_in

    # the attribution rule applies: a Top-Server vote carrying only the player name is the member's
    await VoteLedger(pool).record(Vote(server.id, "topserver", "ts1", clock(), player_name="STEVE"))
    assert await VoteRepository(pool).points(server.id, MEMBER) == 1
    recorder = Recorder()
    assert await VoteDispatcher(pool, consumers=[recorder]).drain_once() == 1
    assert [e.discord_user_id for e in recorder.events] == [MEMBER]


async def test_used_expired_and_unknown_codes_are_refused(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    server = created.server
    code = await issue(pool, server.id, clock)
    assert (await confirm(http, created.api_key, code, "Steve"))[0] == 200
    assert await confirm(http, created.api_key, code, "Alex") == (409, {"ok": False, "error": "code already used"})
    assert (await LinkRepository(pool).get(server.id, MEMBER)).player_name == "Steve"  # type: ignore[union-attr]

    late = await issue(pool, server.id, clock, user=OTHER)
    clock.advance(seconds=CODE_TTL.total_seconds())
    assert await confirm(http, created.api_key, late, "Alex") == (410, {"ok": False, "error": "code expired"})
    assert await LinkRepository(pool).get(server.id, OTHER) is None

    assert await confirm(http, created.api_key, "ABCD-EFGH", "Alex") == (404, {"ok": False, "error": "unknown code"})
    # a new /link replaces the member's earlier code
    first = await issue(pool, server.id, clock, user=OTHER)
    second = await issue(pool, server.id, clock, user=OTHER)
    assert (await confirm(http, created.api_key, first, "Alex"))[0] == 404
    assert (await confirm(http, created.api_key, second, "Alex"))[0] == 200


async def test_the_name_asked_for_must_be_the_one_confirmed_and_proof_takes_a_name_over(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    server = created.server
    await LinkRepository(pool).link(server.id, OTHER, "Notch")  # linked earlier without proof
    code = await issue(pool, server.id, clock, player="notch")
    mismatch = {"ok": False, "error": "code was issued for another player name"}
    assert await confirm(http, created.api_key, code, "Mallory") == (409, mismatch)
    status, body = await confirm(http, created.api_key, code, "Notch")
    assert status == 200 and body["player"] == "Notch"
    assert await LinkRepository(pool).get(server.id, OTHER) is None  # the player proved the name: it moves
    assert (await LinkRepository(pool).get(server.id, MEMBER)).player_name == "Notch"  # type: ignore[union-attr]


async def test_a_wrong_key_gets_the_same_401_and_consumes_nothing(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    code = await issue(pool, created.server.id, clock)
    unauthorised = (401, {"ok": False, "error": "invalid key"})
    other = await ServerService(pool, features()).add(guild_id=2, name="Beta", vote_url="https://e.com")
    for key in ("vb_wrong", "x" * 5000, created.api_key + "x"):
        assert await confirm(http, key, code, "Steve") == unauthorised
    # another server's key is a good key, but the code is not one of that server's
    assert await confirm(http, other.api_key, code, "Steve") == (404, {"ok": False, "error": "unknown code"})
    assert await confirm(http, created.api_key, code, "Steve") == (
        200,
        {"ok": True, "server": "Alpha", "player": "Steve", "discordUserId": str(MEMBER)},
    )


async def test_guessing_is_throttled_per_player_per_server_and_per_address(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    key = created.api_key
    steve = await issue(pool, created.server.id, clock, player="Steve")
    for i in range(PLAYER_LIMIT):
        assert (await confirm(http, key, f"ZZZZ-ZZZ{i + 2}", "Mallory"))[0] == 404
    # Mallory is stopped, even with a right code; other players are not
    throttled = {"ok": False, "error": "too many failed attempts, try again later"}
    status, (body, retry_after) = await confirm(http, key, steve, "Mallory")
    assert (status, body) == (429, throttled) and 0 < int(retry_after) <= WINDOW.total_seconds()
    assert (await confirm(http, key, steve, "Steve"))[0] == 200

    # many names guessing: the whole server's confirm calls stop until the window moves on
    for i in range(SERVER_LIMIT - PLAYER_LIMIT):
        assert (await confirm(http, key, "ZZZZ-ZZZZ", f"guesser{i}"))[0] == 404
    alex = await issue(pool, created.server.id, clock, user=OTHER)
    assert (await confirm(http, key, alex, "Alex"))[0] == 429
    clock.advance(seconds=WINDOW.total_seconds())
    alex = await issue(pool, created.server.id, clock, user=OTHER)
    assert (await confirm(http, key, alex, "Alex"))[0] == 200

    # wrong API keys from one address: that address is stopped, right key or not
    for _ in range(BAD_KEY_LIMIT):
        assert (await confirm(http, "vb_guess", "ABCD-EFGH", "Steve"))[0] == 401
    assert (await confirm(http, key, "ABCD-EFGH", "Steve"))[0] == 429
    clock.advance(seconds=WINDOW.total_seconds())
    assert (await confirm(http, key, "ABCD-EFGH", "Steve"))[0] == 404


async def test_bad_input_is_refused_and_changes_nothing(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, created: CreatedServer, clock: MovableClock
) -> None:
    key, code = created.api_key, await issue(pool, created.server.id, clock)

    async def status(**kwargs: Any) -> tuple[int, str]:
        async with http.post(URL, **kwargs) as response:
            return response.status, (await response.json()).get("error", "") if response.status != 413 else ""

    missing = "missing key, code or username"
    assert await status(json={"key": key, "code": code}) == (400, missing)
    assert await status(json={"key": key, "code": 12345678, "username": "Steve"}) == (400, missing)  # not a string
    assert await status(json={"code": code, "username": "Steve"}) == (400, missing)
    as_json = {"Content-Type": "application/json"}
    assert await status(data=b"[1]", headers=as_json) == (400, "body must be a JSON object, got list")
    assert (await status(data=b"{no", headers=as_json))[1].startswith("body is not valid JSON")
    assert (await status(data=b"x" * 70_000, headers=as_json))[0] == 413
    bad_code = "code must be 8 letters and digits, e.g. ABCD-EFGH"
    for wrong in ("ABCD-EFG", "ABCD-EFG0", "ABCD-EFGI", "A" * 50):  # short, look-alikes, too long
        assert await status(json={"key": key, "code": wrong, "username": "Steve"}) == (400, bad_code)
    bad_name = "username must be 1 to 64 printable characters"
    for wrong in ("x" * 65, "Ste\nve", "Ste\u200bve"):
        assert await status(json={"key": key, "code": code, "username": wrong}) == (400, bad_name)
    assert await LinkRepository(pool).get(created.server.id, MEMBER) is None
    # a form works as for /vote/claim (and the query string of a POST)
    assert (await status(data={"key": key, "code": code, "username": "Steve"}))[0] == 200
    code = await issue(pool, created.server.id, clock, user=OTHER)
    assert (await status(params={"key": key, "code": code, "username": "Alex"}))[0] == 200
    async with http.get(URL, params={"key": key, "code": code, "username": "Steve"}) as response:
        assert response.status == 405  # it changes state: POST only
