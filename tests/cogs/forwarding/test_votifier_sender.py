"""The Votifier senders against real servers: the project's own NuVotifier-compatible listener in a second process,
and minimal independent v2 and v1 servers written here (greeting, frame, HMAC / RSA, answer)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Kind
from cogs.forwarding.votifier import (
    BAD_SETTINGS,
    CLOSED,
    NO_ANSWER,
    NOT_VOTIFIER,
    PRIVATE,
    SPEAKS_V1,
    TOKEN_REFUSED,
    UNEXPECTED,
    VotifierV1Sender,
    VotifierV2Sender,
)
from tests.cogs.forwarding.servers import MiniServer, hang_up, nuvotifier, running, votifier_v1

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "the-nuvotifier-token-1234"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=123000)  # the listener replaces a timestamp a day off


def destination(
    kind: Kind, port: int, secret: str, *, host: str = "127.0.0.1", service: str = "votebot"
) -> Destination:
    return Destination(
        id=3, server_id=1, name="game", kind=kind, host=host, port=port, url=None, service_name=service,
        secret=secret, providers=(), paused=None, failing_since=None, last_success_at=None, last_error=None,
        last_error_text=None, last_error_at=None, created_at=NOW,
    )  # fmt: skip


def vote(username: str = "Notch") -> ForwardedVote:
    return ForwardedVote(
        ledger_id=42, server_id=1, server_name="Survival", provider="topserver", external_id="ckv1",
        username=username, discord_user_id=None, voted_at=NOW, weight=1,
    )  # fmt: skip


class Written:
    """The ``written`` callback: counts its calls and what the server had seen at that moment."""

    def __init__(self, server: MiniServer | None = None) -> None:
        self.server = server
        self.calls = 0
        self.seen: list[tuple[bool, int]] = []  # (greeting sent, bytes received) when written() was awaited

    async def __call__(self) -> None:
        self.calls += 1
        if self.server is not None:
            self.seen.append((self.server.greeted, self.server.received))


@pytest.fixture(scope="module")
def rsa_key() -> tuple[rsa.RSAPrivateKey, str, str]:
    """(private key, its public.key and private.key as NuVotifier writes them: base64 DER)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    return key, base64.b64encode(public).decode(), base64.b64encode(private).decode()


# --------------------------------------------------------------------------- v2


async def test_v2_delivers_to_an_independent_nuvotifier_and_written_comes_after_the_greeting() -> None:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN), greeting_delay=0.2)) as server:
        written = Written(server)
        answer = await VotifierV2Sender(allow_private=True).send(
            destination(Kind.VOTIFIER_V2, server.port, TOKEN, service="TopServer"), vote(), written
        )
    assert answer == '{"status": "ok"}'
    assert written.calls == 1 and written.seen == [(True, 0)]  # once: after the greeting, before the vote's bytes
    assert server.votes == [
        {"serviceName": "TopServer", "username": "Notch", "address": "0.0.0.0",
         "timestamp": int(NOW.timestamp() * 1000), "challenge": server.challenge}
    ]  # fmt: skip


async def test_v2_wrong_token_is_said_plainly_and_not_echoed() -> None:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN))) as server:
        with pytest.raises(DeliveryFailed) as failed:
            await VotifierV2Sender(allow_private=True).send(
                destination(Kind.VOTIFIER_V2, server.port, "a-wrong-token-5678", service="TopServer"), vote(), Written()
            )
    assert failed.value.reason == TOKEN_REFUSED and failed.value.retry is False
    assert (
        failed.value.shown == "the game server refused the token (check the NuVotifier token for service “TopServer”)"
    )
    assert "a-wrong-token" not in failed.value.english and not server.votes


async def test_v2_on_a_v1_only_server_says_to_use_its_public_key() -> None:
    async with running(MiniServer(b"VOTIFIER 1.9\n")) as server:
        written = Written(server)
        with pytest.raises(DeliveryFailed) as failed:
            await VotifierV2Sender(allow_private=True).send(
                destination(Kind.VOTIFIER_V2, server.port, TOKEN), vote(), written
            )
    assert failed.value.reason == SPEAKS_V1
    assert failed.value.shown == "this server speaks Votifier v1: add it with its public key"
    assert failed.value.retry is False and written.calls == 0 and server.received == 0


@pytest.mark.parametrize("greeting", [b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 400 Bad Request\r\n", b"", b"x" * 5000])
async def test_a_server_that_does_not_greet_as_votifier_gets_nothing(greeting: bytes) -> None:
    async with running(MiniServer(greeting, None if greeting else hang_up)) as server:
        written = Written(server)
        for sender, kind in ((VotifierV2Sender(True), Kind.VOTIFIER_V2), (VotifierV1Sender(True), Kind.VOTIFIER_V1)):
            secret = TOKEN if kind is Kind.VOTIFIER_V2 else _public_key_b64()
            with pytest.raises(DeliveryFailed) as failed:
                await sender.send(destination(kind, server.port, secret), vote(), written)
            assert failed.value.reason == NOT_VOTIFIER
            assert failed.value.shown == f"127.0.0.1:{server.port} did not greet as a Votifier server"
    assert written.calls == 0 and server.received == 0


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"", CLOSED),
        (b"HTTP/1.1 200 OK\r\n", UNEXPECTED),
        (b'{"status":"maybe"}\r\n', UNEXPECTED),
        (b"[1]\n", UNEXPECTED),
    ],
)
async def test_v2_without_a_confirmation_is_a_failure(reply: bytes, reason: str) -> None:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN, reply=reply))) as server:
        written = Written(server)
        with pytest.raises(DeliveryFailed) as failed:
            await VotifierV2Sender(True).send(destination(Kind.VOTIFIER_V2, server.port, TOKEN), vote(), written)
    assert failed.value.reason == reason and failed.value.retry is True
    assert written.calls == 1  # it may have arrived: the service retries v2 until acknowledged


async def test_v2_answer_that_never_comes_times_out() -> None:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN, answer=False))) as server:
        written = Written(server)
        with pytest.raises(DeliveryFailed) as failed:
            await VotifierV2Sender(True, timeout=0.5).send(
                destination(Kind.VOTIFIER_V2, server.port, TOKEN), vote(), written
            )
    assert failed.value.reason == NO_ANSWER and written.calls == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_private_addresses_are_refused_unless_allowed(host: str) -> None:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN))) as server:
        senders = ((VotifierV2Sender(allow_private=False), Kind.VOTIFIER_V2, TOKEN),
                   (VotifierV1Sender(allow_private=False), Kind.VOTIFIER_V1, _public_key_b64()))  # fmt: skip
        for sender, kind, secret in senders:
            written = Written()
            with pytest.raises(DeliveryFailed) as failed:
                await sender.send(destination(kind, server.port, secret, host=host), vote(), written)
            assert failed.value.reason == PRIVATE and written.calls == 0
            assert "is a private or local address" in failed.value.shown and host in failed.value.shown
        assert server.connections == 0
        if host != "::1":  # the test server listens on IPv4 loopback only
            allowed = VotifierV2Sender(allow_private=True)
            assert await allowed.send(destination(Kind.VOTIFIER_V2, server.port, TOKEN, host=host), vote(), Written())
            assert server.connections == 1 and len(server.votes) == 1


async def test_connection_refused_is_a_network_error() -> None:
    async with running(MiniServer(b"")) as server:
        port = server.port
    with pytest.raises(DeliveryFailed) as failed:
        await VotifierV2Sender(True).send(destination(Kind.VOTIFIER_V2, port, TOKEN), vote(), Written())
    assert failed.value.english.startswith("network error: ") and failed.value.retry is True


# --------------------------------------------------------------------------- v1


def _public_key_b64() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return base64.b64encode(key.public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)).decode()  # fmt: skip


@pytest.mark.parametrize("greeting", [b"VOTIFIER 1.9\n", b"VOTIFIER 2 {challenge}\n"])
async def test_v1_delivers_to_an_independent_server(
    rsa_key: tuple[rsa.RSAPrivateKey, str, str], greeting: bytes
) -> None:
    private, public_b64, _private_b64 = rsa_key
    async with running(MiniServer(greeting, votifier_v1(private), greeting_delay=0.2)) as server:
        written = Written(server)
        answer = await VotifierV1Sender(True).send(
            destination(Kind.VOTIFIER_V1, server.port, public_b64, service="MinecraftMP"), vote("Steve\nEvil"), written
        )
        for _ in range(50):
            if server.votes:
                break
            await asyncio.sleep(0.02)
    assert answer is None and written.calls == 1 and written.seen == [(True, 0)]
    assert server.votes == [
        {
            "service": "MinecraftMP",
            "username": "SteveEvil",
            "address": "0.0.0.0",
            "timestamp": str(int(NOW.timestamp())),
        }
    ]  # a line break in a name cannot shift the fields after it


async def test_v1_key_that_does_not_load_is_refused_without_connecting() -> None:
    async with running(MiniServer(b"VOTIFIER 1.9\n")) as server:
        written = Written(server)
        with pytest.raises(DeliveryFailed) as failed:
            await VotifierV1Sender(True).send(
                destination(Kind.VOTIFIER_V1, server.port, "bm90IGEga2V5"), vote(), written
            )
    assert failed.value.reason == BAD_SETTINGS and failed.value.retry is False
    assert written.calls == 0 and server.connections == 0


# --------------------------------------------------------------------------- the project's listener, another process

LISTENER = """
import asyncio, json, os, sys
from bot.votes.votifier.listener import VotifierListener
from bot.votes.votifier.protocol import StaticVotifierKeys

async def main():
    keys = StaticVotifierKeys()
    keys.add_server(1, default_token=os.environ["VOTIFIER_TOKEN"], private_key=os.environ["VOTIFIER_PRIVATE_KEY"])

    async def record(vote):
        print(json.dumps({"player": vote.player_name, "raw": vote.raw}), flush=True)

    listener = VotifierListener(keys, record)
    await listener.start("127.0.0.1", 0)
    print(listener.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the test closes stdin
    await listener.close()

asyncio.run(main())
"""


@dataclass
class ListenerProcess:
    process: asyncio.subprocess.Process
    port: int

    async def next_vote(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), 10))


@pytest.fixture
async def listener_process(rsa_key: tuple[rsa.RSAPrivateKey, str, str]) -> AsyncIterator[ListenerProcess]:
    env = {**os.environ, "VOTIFIER_TOKEN": TOKEN, "VOTIFIER_PRIVATE_KEY": rsa_key[2], "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LISTENER, cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), 30))
        yield ListenerProcess(process, port)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_against_the_projects_listener_in_another_process(
    listener_process: ListenerProcess, rsa_key: tuple[rsa.RSAPrivateKey, str, str]
) -> None:
    port = listener_process.port
    written = Written()
    answer = await VotifierV2Sender(True).send(destination(Kind.VOTIFIER_V2, port, TOKEN, service="TopServer"),
                                               vote(), written)  # fmt: skip
    assert answer == '{"status":"ok"}' and written.calls == 1
    assert await listener_process.next_vote() == {
        "player": "Notch",
        "raw": {"protocol": 2, "service": "TopServer", "timestamp": str(int(NOW.timestamp() * 1000))},
    }

    with pytest.raises(DeliveryFailed) as failed:  # the listener's own error: cause "signature"
        await VotifierV2Sender(True).send(destination(Kind.VOTIFIER_V2, port, "wrong-token"), vote(), Written())
    assert failed.value.reason == TOKEN_REFUSED and failed.value.retry is False

    written = Written()
    assert await VotifierV1Sender(True).send(destination(Kind.VOTIFIER_V1, port, rsa_key[1], service="MCSL"),
                                             vote("Alex"), written) is None  # fmt: skip
    assert written.calls == 1
    assert await listener_process.next_vote() == {
        "player": "Alex",
        "raw": {"protocol": 1, "service": "MCSL", "timestamp": str(int(NOW.timestamp()))},
    }
