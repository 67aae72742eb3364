"""The real opengsq client against loopback responders speaking the real wire formats."""

from __future__ import annotations

import time

import pytest

from bot.core.addresses import PrivateAddress, is_public, resolve
from bot.core.errors import UserError
from cogs.status.query import Prober
from cogs.status.targets import Target, build_target, protocol_for
from tests.cogs.status.responders import A2SResponder, MinecraftResponder


def target(protocol: str, port: int) -> Target:
    return Target(server_id=1, protocol=protocol, host="127.0.0.1", port=port, query_port=port)


async def test_minecraft_server_list_ping() -> None:
    mc = await MinecraftResponder().start()
    mc.status["description"] = {"text": "§aHello **world** @everyone", "extra": [{"text": " tail"}]}
    try:
        result = await Prober(timeout=2).probe(target("minecraft", mc.port), "127.0.0.1")
    finally:
        await mc.stop()
    assert result.online, result.error
    assert (result.players, result.max_players, result.version) == (2, 100, "1.21.3")
    assert result.name == "Hello **world** @everyone tail"  # colour codes stripped; escaping is the UI's job
    assert result.player_names == ("Steve", "Alex")
    assert result.latency_ms is not None and result.latency_ms >= 0


async def test_a2s_with_challenge() -> None:
    a2s = await A2SResponder().start()
    try:
        result = await Prober(timeout=2).probe(target("source", a2s.port), "127.0.0.1")
    finally:
        await a2s.stop()
    assert result.online, result.error
    assert a2s.challenged >= 1 and a2s.answered == 1  # the info only came after the challenge round trip
    assert (result.name, result.map, result.players, result.max_players) == ("Test Source Server", "de_dust2", 2, 24)
    assert result.version == "1.38.0.1"
    assert result.player_names == ("alice", "bob")


@pytest.mark.parametrize("mode", ["silent", "garbage"])
async def test_a2s_failures_are_results(mode: str) -> None:
    a2s = await A2SResponder(mode=mode).start()
    try:
        result = await Prober(timeout=0.3).probe(target("source", a2s.port), "127.0.0.1")
    finally:
        await a2s.stop()
    assert not result.online and result.error


@pytest.mark.parametrize("mode", ["silent", "garbage", "huge"])
async def test_minecraft_failures_are_results(mode: str) -> None:
    mc = await MinecraftResponder(mode=mode).start()
    started = time.monotonic()
    try:
        result = await Prober(timeout=0.5).probe(target("minecraft", mc.port), "127.0.0.1")
    finally:
        await mc.stop()
    assert not result.online and result.error
    assert time.monotonic() - started < 3
    if mode == "huge":
        assert "larger than" in result.error


async def test_absurd_player_counts_are_rejected() -> None:
    mc = await MinecraftResponder().start()
    mc.status["players"] = {"max": 10, "online": -5}
    try:
        result = await Prober(timeout=1).probe(target("minecraft", mc.port), "127.0.0.1")
    finally:
        await mc.stop()
    assert not result.online and result.error and "out of range" in result.error


async def test_refused_port() -> None:
    mc = await MinecraftResponder().start()
    port = mc.port
    await mc.stop()
    result = await Prober(timeout=1).probe(target("minecraft", port), "127.0.0.1")
    assert not result.online and result.error


def test_protocol_selection() -> None:
    assert protocol_for("minecraft") == "minecraft"
    assert protocol_for("Minecraft Bedrock") == "bedrock"
    assert protocol_for("csgo") == "source"
    assert protocol_for("fivem") == "fivem"
    assert protocol_for("samp") == "samp"  # any opengsq protocol by name
    assert protocol_for(None) == "source"
    assert protocol_for("rust", "quake3") == "quake3"
    with pytest.raises(UserError, match=r"^I don.t know the query protocol “gopher”\. Start typing"):
        protocol_for("rust", "gopher")


def test_build_target_ports() -> None:
    assert build_target(1, "play.example.com", "minecraft").port == 25565
    t = build_target(1, "1.2.3.4:28015", "rust", query_port=28017)
    assert (t.port, t.query_port) == (28015, 28017)
    for bad in ("1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:abc"):
        with pytest.raises(UserError, match="port"):
            build_target(1, bad, "rust")
    with pytest.raises(UserError, match="query port"):
        build_target(1, "1.2.3.4", "rust", query_port=65536)
    with pytest.raises(UserError, match="no address"):
        build_target(1, None, "rust")


async def test_resolve_policy() -> None:
    assert await resolve("127.0.0.1", allow_private=True) == "127.0.0.1"
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "::ffff:10.0.0.1", "169.254.1.1"):
        with pytest.raises(UserError, match="private or local"):
            await resolve(private, allow_private=False)
    assert await resolve("8.8.8.8", allow_private=False) == "8.8.8.8"
    with pytest.raises(UserError, match="private or local"):
        await resolve("localhost", allow_private=False)
    with pytest.raises(UserError, match="does not resolve"):
        await resolve("no-such-host.invalid", allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64 well-known prefix
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
        "localhost",  # a name resolving to loopback
    ],
)  # fmt: skip
async def test_private_forms_are_refused_and_the_refusal_says_how_to_allow_them(address: str) -> None:
    with pytest.raises(PrivateAddress) as refused:
        await resolve(address, allow_private=False)
    assert "private or local" in str(refused.value)
    assert "VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES=true" in str(refused.value)
    assert "allow_private_addresses = true" in str(refused.value)


@pytest.mark.parametrize("address", ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::", "2606:4700::1"])
def test_public_addresses_and_their_ipv6_wrappings_pass(address: str) -> None:
    assert is_public(address)
