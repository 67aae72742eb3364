"""Bedrock (RakNet) and FiveM (HTTP JSON) through opengsq on loopback, including an oversized FiveM answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cogs.status.query import Prober, QueryResult
from cogs.status.targets import Target
from tests.cogs.status.responders import BedrockResponder


def target(protocol: str, port: int) -> Target:
    return Target(server_id=1, protocol=protocol, host="127.0.0.1", port=port, query_port=port)


async def test_bedrock_unconnected_ping() -> None:
    bedrock = await BedrockResponder().start()
    try:
        result = await Prober(timeout=1).probe(target("bedrock", bedrock.port), "127.0.0.1")
    finally:
        await bedrock.stop()
    assert result.online, result.error
    assert (result.name, result.map, result.version, result.players, result.max_players) == (
        "Bedrock Test", "Survival World", "1.21.20", 4, 30
    )  # fmt: skip


@pytest.fixture
async def fivem() -> AsyncIterator[tuple[int, dict[str, bytes]]]:
    """A FiveM HTTP server on loopback: ``bodies`` by file name; a body ``redirect:<url>`` answers 302 to it."""
    bodies = {"dynamic": json.dumps({"clients": 3, "hostname": "^1Red ^7**RP**", "mapname": "fivem-map-skater",
                                     "sv_maxclients": "48"}).encode()}  # fmt: skip

    async def handler(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in bodies:
            return web.Response(status=404)
        if bodies[name].startswith(b"redirect:"):
            raise web.HTTPFound(bodies[name].removeprefix(b"redirect:").decode())
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()  # no Content-Length: the reader must stop at the cap by itself
        await response.prepare(request)
        for start in range(0, len(bodies[name]), 65536):
            await response.write(bodies[name][start : start + 65536])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/{name}.json", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, bodies
    finally:
        await runner.cleanup()


async def test_fivem_dynamic(fivem: tuple[int, dict[str, bytes]]) -> None:
    port, bodies = fivem
    result = await Prober(timeout=1, allow_private=True).probe(target("fivem", port), "127.0.0.1")
    assert result.online, result.error
    assert (result.name, result.map, result.players, result.max_players) == ("Red **RP**", "fivem-map-skater", 3, 48)

    bodies["dynamic"] = b"[" * (2 * 1024 * 1024)
    result = await Prober(timeout=1, allow_private=True).probe(target("fivem", port), "127.0.0.1")
    assert not result.online and result.error and "larger than" in result.error

    bodies["dynamic"] = b"<html>not json</html>"
    result = await Prober(timeout=1, allow_private=True).probe(target("fivem", port), "127.0.0.1")
    assert not result.online and result.error == "bad answer: not JSON"


@pytest.fixture
async def internal() -> AsyncIterator[tuple[str, list[str]]]:
    """An "internal" HTTP service (a metadata endpoint, an admin API …) recording what was asked of it."""
    asked: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        asked.append(request.path)
        if request.path == "/redirect":
            raise web.HTTPFound("/latest/meta-data")
        return web.json_response({"clients": 1, "hostname": "internal secret", "sv_maxclients": 2})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/latest/meta-data", asked
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("allow_private", [True, False])
async def test_fivem_redirect_is_a_bad_answer_and_never_followed(
    fivem: tuple[int, dict[str, bytes]], internal: tuple[str, list[str]], allow_private: bool
) -> None:
    port, bodies = fivem
    url, asked = internal
    bodies["dynamic"] = f"redirect:{url}".encode()
    result = await Prober(timeout=1, allow_private=allow_private).probe(target("fivem", port), "127.0.0.1")
    assert not result.online and result.error and result.error.startswith("bad answer:")
    assert "internal secret" not in str(result)
    assert asked == []  # the redirect target was never requested


async def test_probe_http_connections_obey_the_address_policy(fivem: tuple[int, dict[str, bytes]]) -> None:
    port, _ = fivem
    result = await Prober(timeout=1).probe(target("fivem", port), "127.0.0.1")  # public-only, the default
    assert result == QueryResult(
        online=False, error="bad answer: HTTP connection to a private or local address (127.0.0.1) refused"
    )


async def test_opengsq_http_protocols_get_probe_sessions(internal: tuple[str, list[str]]) -> None:
    """ElDewrito, Palworld, Satisfactory … build their own aiohttp sessions: after a Prober exists those are probe
    sessions, which refuse redirects and private addresses like FiveM's."""
    import opengsq.protocols.eldewrito as eldewrito
    import opengsq.protocols.palworld as palworld

    # One generation of the status modules: a bot started earlier in the session unloaded its extensions, and the
    # imports here see the modules loaded again (the Prober of this module's imports would be the old ones).
    from cogs.status.http_probe import address_policy
    from cogs.status.query import Prober
    from cogs.status.wire import BadAnswer

    Prober()
    url, asked = internal
    with address_policy(allow_private=False):
        async with eldewrito.aiohttp.ClientSession() as session:
            with pytest.raises(BadAnswer, match="private or local"):
                await session.get(url)
    with address_policy(allow_private=True):
        async with palworld.aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                assert response.status == 200
            with pytest.raises(BadAnswer, match=r"redirect \(HTTP 302\) refused"):
                await session.get(url.replace("/latest/meta-data", "/redirect"), allow_redirects=True)
    assert asked == ["/latest/meta-data", "/redirect"]
