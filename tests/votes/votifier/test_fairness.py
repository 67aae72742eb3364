"""Votifier fairness on one port shared by every listing site: per-source limits, over real loopback TCP.

Two source addresses on one host: 127.0.0.1 (the honest list) and 127.0.0.2 (the hostile one); Linux
routes all of 127.0.0.0/8 to the loopback interface, so the client socket is simply bound to the address.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.ratelimit import SourceBudget
from bot.votes.model import Vote
from bot.votes.votifier.fairness import source_of
from bot.votes.votifier.listener import VotifierListener
from bot.votes.votifier.protocol import (
    StaticVotifierKeys,
    VotifierRsaKey,
    build_v2_frame,
    generate_keypair,
    load_private_key,
    send_test_vote,
)

HONEST = "127.0.0.1"
HOSTILE = "127.0.0.2"
TOKEN = "token-for-server-one"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Recorder:
    def __init__(self) -> None:
        self.votes: list[Vote] = []
        self.event = asyncio.Event()

    async def __call__(self, vote: Vote) -> None:
        self.votes.append(vote)
        self.event.set()

    async def wait(self, timeout: float = 5.0) -> Vote:
        await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()
        return self.votes[-1]


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture(scope="module")
def private_key(keypair: tuple[str, str]) -> rsa.RSAPrivateKey:
    return load_private_key(keypair[0])


@pytest.fixture
def keys(private_key: rsa.RSAPrivateKey) -> StaticVotifierKeys:
    keys = StaticVotifierKeys()
    keys.add_server(1, default_token=TOKEN, private_key=private_key)
    return keys


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


ListenerFactory = Callable[..., Any]


@pytest.fixture
async def make_listener(keys: StaticVotifierKeys, recorder: Recorder) -> AsyncIterator[ListenerFactory]:
    listeners: list[VotifierListener] = []

    async def factory(listener_keys: Any = None, **options: Any) -> VotifierListener:
        options.setdefault("clock", lambda: NOW)
        listener = VotifierListener(listener_keys or keys, recorder, **options)
        await listener.start("127.0.0.1", 0)
        listeners.append(listener)
        return listener

    yield factory
    for listener in listeners:
        await listener.close(grace=0.2)


async def open_from(source: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


def close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        with contextlib.suppress(Exception):
            writer.transport.abort()


# --------------------------------------------------------------------------- connections per source


async def test_other_source_votes_while_one_source_holds_hundreds_of_idle_sockets(
    make_listener: ListenerFactory, recorder: Recorder, keypair: tuple[str, str]
) -> None:
    # the global cap stays at its default (256); the hostile source opens more than that and sends nothing
    listener = await make_listener(read_timeout=30, first_byte_timeout=30)
    held: list[asyncio.StreamWriter] = []
    try:
        for _ in range(300):
            _, writer = await open_from(HOSTILE, listener.port)
            held.append(writer)
        await asyncio.sleep(0)  # let the listener accept (and refuse) what is queued
        assert listener.connections_from(HOSTILE) == 16  # the default per-source limit
        reply = await send_test_vote(HONEST, listener.port, username="Notch", token=TOKEN, timeout=5)
        assert reply == {"status": "ok"}
        assert (await recorder.wait()).raw["protocol"] == 2
        await send_test_vote(HONEST, listener.port, username="Alex", public_key=keypair[1], timeout=5)
        assert (await recorder.wait()).raw["protocol"] == 1
    finally:
        close_all(held)


@pytest.mark.parametrize(
    ("peer", "source"),
    [
        (("203.0.113.7", 40000), "203.0.113.7"),
        (("::ffff:203.0.113.7", 40000, 0, 0), "203.0.113.7"),
        (("2001:db8:1:2:aaaa::1", 40000, 0, 0), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:ffff::9", 40000, 0, 0), "2001:db8:1:2::/64"),
        (("fe80::1%lo", 40000, 0, 1), "fe80::/64"),
        (None, "None"),
    ],
)
def test_source_of_counts_an_ipv6_slash_64_as_one_source(peer: object, source: str) -> None:
    assert source_of(peer) == source


# --------------------------------------------------------------------------- first byte


async def test_connection_that_sends_nothing_is_closed_after_the_first_byte_timeout(
    make_listener: ListenerFactory,
) -> None:
    listener = await make_listener(read_timeout=30, first_byte_timeout=0.2)
    reader, writer = await open_from(HOSTILE, listener.port)
    try:
        assert (await asyncio.wait_for(reader.readline(), 2)).startswith(b"VOTIFIER 2 ")
        started = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed well before the 30 s read timeout
        assert 0.15 <= asyncio.get_running_loop().time() - started < 3
        assert listener.connections_from(HOSTILE) == 0
    finally:
        writer.close()


async def test_after_the_first_byte_the_read_timeout_applies(
    make_listener: ListenerFactory, recorder: Recorder
) -> None:
    listener = await make_listener(read_timeout=30, first_byte_timeout=0.2)
    reader, writer = await open_from(HONEST, listener.port)
    try:
        challenge = (await asyncio.wait_for(reader.readline(), 2)).split()[2].decode()
        frame = build_v2_frame(
            TOKEN, service_name="TestList", username="Notch", address="", timestamp_ms=1, challenge=challenge
        )
        writer.write(frame[:1])
        await writer.drain()
        await asyncio.sleep(0.4)  # twice the first-byte timeout, far within the read timeout
        writer.write(frame[1:])
        await writer.drain()
        assert json.loads(await asyncio.wait_for(reader.readline(), 5)) == {"status": "ok"}
    finally:
        writer.close()
    assert (await recorder.wait()).player_name == "Notch"


# --------------------------------------------------------------------------- v1 decryption


class CountingKey:
    """An RSA private key that counts its decryptions and notes the threads and overlap they ran with."""

    def __init__(self, key: rsa.RSAPrivateKey, stats: dict[str, Any]) -> None:
        self._key = key
        self._stats = stats
        self.key_size = key.key_size

    def decrypt(self, block: bytes, pad: Any) -> bytes:
        stats = self._stats
        with stats["lock"]:
            stats["calls"] += 1
            stats["threads"].add(threading.current_thread().name)
            stats["running"] += 1
            stats["most_at_once"] = max(stats["most_at_once"], stats["running"])
        try:
            stats["gate"].wait(10)  # a test holds the worker here
            time.sleep(stats["delay"])  # widen the window in which decryptions could overlap
            return self._key.decrypt(block, pad)
        finally:
            with stats["lock"]:
                stats["running"] -= 1


@pytest.fixture(scope="module")
def second_keypair() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture
def counting(private_key: rsa.RSAPrivateKey, second_keypair: tuple[str, str]) -> tuple[Any, dict[str, Any]]:
    stats: dict[str, Any] = {"calls": 0, "running": 0, "most_at_once": 0, "threads": set(), "delay": 0.0}
    stats["lock"] = threading.Lock()
    stats["gate"] = threading.Event()
    stats["gate"].set()

    class Keys(StaticVotifierKeys):
        async def rsa_keys(self) -> Sequence[VotifierRsaKey]:
            return [VotifierRsaKey(k.server_id, CountingKey(k.private_key, stats)) for k in await super().rsa_keys()]  # type: ignore[arg-type]

    keys = Keys()
    keys.add_server(1, private_key=private_key)
    keys.add_server(2, private_key=second_keypair[0])
    return keys, stats


async def send_block(source: str, port: int, block: bytes) -> None:
    """One v1 exchange: the block, then wait for the listener to close (v1 has no reply)."""
    reader, writer = await open_from(source, port)
    try:
        await asyncio.wait_for(reader.readline(), 5)
        writer.write(block)
        await writer.drain()
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 5) == b""
    finally:
        writer.close()


async def test_a_flood_of_bogus_v1_blocks_is_throttled_per_source(
    make_listener: ListenerFactory, recorder: Recorder, counting: tuple[Any, dict[str, Any]], keypair: tuple[str, str]
) -> None:
    keys, stats = counting
    # the clock stands still: the hostile source's budget (4 key trials = 2 bogus blocks of 2 keys) never refills
    listener = await make_listener(keys, v1_failed_decrypts_per_minute=4)
    for _ in range(20):
        await send_block(HOSTILE, listener.port, secrets.token_bytes(256))
    assert stats["calls"] == 4  # two blocks tried against both keys, the other 18 dropped undecrypted
    assert recorder.votes == []

    await send_test_vote(HONEST, listener.port, username="Alex", public_key=keypair[1], timeout=5)
    vote = await recorder.wait()
    assert (vote.server_id, vote.player_name) == (1, "Alex")
    assert stats["calls"] == 5  # server 1's key is tried first


async def test_v1_decryption_runs_in_its_own_bounded_pool(
    make_listener: ListenerFactory, counting: tuple[Any, dict[str, Any]]
) -> None:
    keys, stats = counting
    stats["delay"] = 0.02
    listener = await make_listener(keys, v1_workers=1)
    await asyncio.gather(*(send_block(HOSTILE, listener.port, secrets.token_bytes(256)) for _ in range(6)))
    assert stats["calls"] == 12
    assert stats["most_at_once"] == 1  # one worker: never two decryptions at once, whatever the flood
    assert all(name.startswith("votifier-v1") for name in stats["threads"]), stats["threads"]


def test_source_budget_refills_with_the_clock_and_carries_debt() -> None:
    now = [NOW]
    budget = SourceBudget(60, lambda: now[0], max_sources=2)  # one token a second, at most 60
    assert budget.allows("a")
    budget.charge("a", 100)  # one spend may cost more than the bucket holds: 40 owed
    assert not budget.allows("a")
    assert budget.allows("b")  # other sources are not touched
    now[0] += dt.timedelta(seconds=40)
    assert not budget.allows("a")
    now[0] += dt.timedelta(seconds=1)
    assert budget.allows("a")
    now[0] += dt.timedelta(hours=1)
    assert budget.balance("a") == 60  # never more than one bucket
    for source in ("b", "c", "d"):
        budget.charge(source, 1)
    assert len(budget._buckets) <= 2  # memory stays bounded whatever the number of sources


# --------------------------------------------------------------------------- logging


def listener_lines(caplog: Any, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.votes.votifier") and r.levelno == level]


async def test_warnings_are_rate_limited_per_source(make_listener: ListenerFactory, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    now = [NOW]
    listener = await make_listener(clock=lambda: now[0])

    async def bad_vote(source: str) -> None:
        reader, writer = await open_from(source, listener.port)
        try:
            challenge = (await asyncio.wait_for(reader.readline(), 5)).split()[2].decode()
            frame = build_v2_frame(  # the wrong token: every frame fails its signature check
                "not-the-token",
                service_name="TestList",
                username="Notch",
                address="",
                timestamp_ms=1,
                challenge=challenge,
            )
            writer.write(frame)
            await writer.drain()
            assert json.loads(await asyncio.wait_for(reader.readline(), 5))["cause"] == "signature"
        finally:
            writer.close()

    for _ in range(10):
        await bad_vote(HOSTILE)
    lines = listener_lines(caplog)
    assert len(lines) == 1, lines
    assert HOSTILE in lines[0]
    await bad_vote(HONEST)  # another source has its own allowance
    assert len(listener_lines(caplog)) == 2
    now[0] += dt.timedelta(seconds=61)
    await bad_vote(HOSTILE)
    lines = listener_lines(caplog)
    assert len(lines) == 3
    assert HOSTILE in lines[2]
    assert "9 more" in lines[2], lines[2]  # the left-out lines are counted
    assert "not-the-token" not in caplog.text


async def test_refusals_and_timeouts_are_rate_limited_per_source(make_listener: ListenerFactory, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    listener = await make_listener(max_connections_per_source=2, first_byte_timeout=0.1)
    held = [(await open_from(HOSTILE, listener.port))[1] for _ in range(30)]
    try:
        await asyncio.sleep(0.5)  # the two served connections time out, the other 28 were refused
        assert len(listener_lines(caplog, logging.WARNING)) == 1
        assert len(listener_lines(caplog, logging.INFO)) <= 2  # the listener's start, one timeout
    finally:
        close_all(held)


async def test_bogus_v1_blocks_sent_at_once_are_throttled_too(
    make_listener: ListenerFactory, counting: tuple[Any, dict[str, Any]]
) -> None:
    keys, stats = counting
    stats["delay"] = 0.01
    listener = await make_listener(keys, v1_failed_decrypts_per_minute=4, v1_workers=1)
    blocks = [secrets.token_bytes(256) for _ in range(12)]
    await asyncio.gather(*(send_block(HOSTILE, listener.port, block) for block in blocks))
    assert stats["calls"] == 4  # the budget is checked once a worker is free, after the blocks ahead were charged


async def test_the_v1_queue_is_bounded(make_listener: ListenerFactory, counting: tuple[Any, dict[str, Any]]) -> None:
    keys, stats = counting
    listener = await make_listener(keys, read_timeout=30, v1_workers=1, v1_queue=2)
    stats["gate"].clear()  # the first block holds the only worker until the test lets it go
    sends = [asyncio.create_task(send_block(HOSTILE, listener.port, secrets.token_bytes(256))) for _ in range(8)]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while sum(t.done() for t in sends) < 5 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # time enough for a sixth to be dropped too, were the queue longer
        assert sum(t.done() for t in sends) == 5  # one running, two waiting: the other five dropped at once
        assert stats["calls"] == 1
    finally:
        stats["gate"].set()
    await asyncio.gather(*sends)
    assert stats["calls"] == 6  # three blocks tried against both keys
