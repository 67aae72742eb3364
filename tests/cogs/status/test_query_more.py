"""Bedrock (RakNet) and FiveM (HTTP JSON) through opengsq on loopback, including an oversized FiveM answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cogs.status.query import Prober
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
    bodies = {"dynamic": json.dumps({"clients": 3, "hostname": "^1Red ^7**RP**", "mapname": "fivem-map-skater",
                                     "sv_maxclients": "48"}).encode()}  # fmt: skip

    async def handler(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in bodies:
            return web.Response(status=404)
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
    result = await Prober(timeout=1).probe(target("fivem", port), "127.0.0.1")
    assert result.online, result.error
    assert (result.name, result.map, result.players, result.max_players) == ("Red **RP**", "fivem-map-skater", 3, 48)

    bodies["dynamic"] = b"[" * (2 * 1024 * 1024)
    result = await Prober(timeout=1).probe(target("fivem", port), "127.0.0.1")
    assert not result.online and result.error and "larger than" in result.error

    bodies["dynamic"] = b"<html>not json</html>"
    result = await Prober(timeout=1).probe(target("fivem", port), "127.0.0.1")
    assert not result.online and result.error == "bad answer: not JSON"
