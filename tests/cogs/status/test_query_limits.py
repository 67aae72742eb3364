"""What a hostile game server cannot make a probe do: inflate a bz2 bomb, stall the event loop, flood packets."""

from __future__ import annotations

import asyncio
import bz2
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cogs.status.query import Prober, QueryResult
from cogs.status.targets import Target
from cogs.status.wire import BadAnswer, bunzip_bounded
from tests.cogs.status.responders import BZ2_BOMB, A2SResponder

MIB = 1024 * 1024


def target(protocol: str, port: int) -> Target:
    return Target(server_id=1, protocol=protocol, host="127.0.0.1", port=port, query_port=port)


def resident() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident() -> int:
    """VmHWM (peak RSS since the last reset through /proc/self/clear_refs), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


async def measured(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float, int]:
    """Run ``work`` beside a 10 ms ticker: its result, the longest gap the ticker saw, and the peak RSS growth."""
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = resident()
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    try:
        result = await work()
    finally:
        done.set()
        await ticking
    return result, max(gaps), peak_resident() - before


@pytest.fixture
async def bomb() -> AsyncIterator[A2SResponder]:
    responder = await A2SResponder(mode="bomb").start()
    yield responder
    await responder.stop()


async def test_a2s_bz2_bomb_is_refused_without_memory_or_stall(bomb: A2SResponder) -> None:
    result, stall, growth = await measured(lambda: Prober(timeout=2).probe(target("source", bomb.port), "127.0.0.1"))
    assert isinstance(result, QueryResult)
    assert not result.online
    assert result.error == "bad answer: answer larger than 256 KiB once decompressed"
    assert bomb.answered >= 1  # the bomb was really sent
    assert growth < 32 * MIB, f"RSS grew by {growth / MIB:.0f} MiB"
    assert stall < 0.25, f"the event loop stalled for {stall:.2f} s"


async def test_a2s_split_flood_stops_at_the_packet_cap() -> None:
    flood = await A2SResponder(mode="flood").start()
    started = time.monotonic()
    try:
        result = await Prober(timeout=2).probe(target("source", flood.port), "127.0.0.1")
    finally:
        await flood.stop()
    assert not result.online and result.error == "bad answer: more than 64 packets"
    assert time.monotonic() - started < 1.5  # refused when the cap is hit, not when the timeout runs out


@pytest.mark.parametrize("mode", ["split", "compressed"])
async def test_real_split_and_compressed_a2s_answers_still_work(mode: str) -> None:
    a2s = await A2SResponder(mode=mode).start()
    try:
        result = await Prober(timeout=2).probe(target("source", a2s.port), "127.0.0.1")
    finally:
        await a2s.stop()
    assert result.online, result.error
    assert (result.name, result.map, result.max_players) == ("Test Source Server", "de_dust2", 24)


def test_bounded_bunzip() -> None:
    assert bunzip_bounded(bz2.compress(b"abc" * 1000)) == b"abc" * 1000
    with pytest.raises(BadAnswer, match="once decompressed"):
        bunzip_bounded(BZ2_BOMB)
    with pytest.raises(BadAnswer, match="truncated"):
        bunzip_bounded(bz2.compress(b"abc" * 1000)[:-10])
    with pytest.raises(BadAnswer, match="broken"):
        bunzip_bounded(b"BZh9 not bz2 at all")
