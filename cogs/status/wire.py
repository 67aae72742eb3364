"""What a game server may make a probe do, enforced under opengsq: bytes and datagrams per probe on every opengsq
socket, a bounded bz2 for Source split answers (decompressed in a worker thread, off the event loop).

opengsq reads without limits (its Source reader loops on packet numbers the server picks and bz2-decompresses
whatever it gets — a 200-byte datagram inflates to 256 MiB). Each probe runs inside :func:`probe_limits`, whose
:class:`Budget` every socket opened during the probe draws from; past it the socket drops what arrives and the
probe ends with :class:`BadAnswer`.
"""

from __future__ import annotations

import asyncio
import bz2
import contextlib
import contextvars
import functools
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import opengsq.protocols
from opengsq.binary_reader import BinaryReader
from opengsq.protocol_socket import TcpClient, UdpClient
from opengsq.protocols import WON, Source

MAX_RESPONSE_BYTES = 256 * 1024  # a real status answer is a few KiB; more is garbage or an attack
MAX_PACKETS = 64  # datagrams / TCP reads per probe; a full A2S_PLAYER of 255 players is ~10 split packets
DECOMPRESS_WORKERS = 2


class BadAnswer(Exception):
    """The server answered, but not with something we accept."""


def too_large() -> BadAnswer:
    return BadAnswer(f"answer larger than {MAX_RESPONSE_BYTES // 1024} KiB")


@dataclass(slots=True)
class Budget:
    """What one probe may still receive, over all its sockets."""

    max_bytes: int = MAX_RESPONSE_BYTES
    max_packets: int = MAX_PACKETS
    received: int = 0
    packets: int = 0
    exceeded: str | None = None

    def take(self, size: int, *, datagram: bool) -> bool:
        """Count what arrived; False (and ``exceeded`` set) once the probe has had too much. Only datagrams count
        as packets (TCP chunks are the kernel's business)."""
        if self.exceeded is not None:
            return False
        self.received += size
        self.packets += datagram
        if self.received > self.max_bytes:
            self.exceeded = str(too_large())
        elif self.packets > self.max_packets:
            self.exceeded = f"more than {self.max_packets} packets"
        return self.exceeded is None

    def check(self) -> None:
        if self.exceeded is not None:
            raise BadAnswer(self.exceeded)


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("status_probe_budget", default=None)


@contextlib.contextmanager
def probe_limits() -> Iterator[Budget]:
    """A fresh budget for the sockets opened inside (tasks created inside inherit it)."""
    budget = Budget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


class _CappedProtocol(asyncio.Protocol, asyncio.DatagramProtocol):
    """opengsq's socket protocol (a queue of what arrived) drawing every packet from the probe's budget."""

    def __init__(self, timeout: float) -> None:
        self._packets: asyncio.Queue[bytes] = asyncio.Queue()
        self._timeout = timeout
        self._budget = _BUDGET.get() or Budget()  # outside a probe: a budget of its own, never none

    async def recv(self) -> bytes:
        self._budget.check()
        data = await asyncio.wait_for(self._packets.get(), timeout=self._timeout)
        self._budget.check()
        return data

    def _arrived(self, data: bytes, *, datagram: bool) -> None:
        if self._budget.take(len(data), datagram=datagram):
            self._packets.put_nowait(data)
        elif self._packets.empty():
            self._packets.put_nowait(b"")  # wake a waiting recv, which then raises; later packets are dropped

    def data_received(self, data: bytes) -> None:
        self._arrived(data, datagram=False)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._arrived(data, datagram=True)

    def eof_received(self) -> bool | None:
        return None

    def error_received(self, exc: Exception) -> None:
        pass


class CappedUdpClient(UdpClient):
    _Socket__Protocol = _CappedProtocol  # what Socket.connect builds (name-mangled in opengsq)

    @staticmethod
    async def communicate(protocol: Any, data: bytes, source_port: int | None = None) -> bytes:
        """opengsq's one-shot request/answer (UdpClient.communicate), on a capped protocol."""
        local_addr = ("0.0.0.0", source_port or 0) if source_port or protocol._allow_broadcast else None  # noqa: S104
        remote = None if protocol._allow_broadcast else (protocol._host, protocol._port)
        loop = asyncio.get_running_loop()
        transport, capped = await loop.create_datagram_endpoint(
            lambda: _CappedProtocol(protocol._timeout),
            local_addr=local_addr,
            remote_addr=remote,
            allow_broadcast=protocol._allow_broadcast,
        )
        try:
            transport.sendto(data, (protocol._host, protocol._port) if remote is None else None)
            return await capped.recv()
        finally:
            transport.close()


class CappedTcpClient(TcpClient):
    _Socket__Protocol = _CappedProtocol

    @staticmethod
    async def communicate(protocol: Any, data: bytes) -> bytes:
        with CappedTcpClient() as client:
            client.settimeout(protocol._timeout)
            await client.connect((protocol._host, protocol._port))
            client.send(data)
            return await client.recv()


def install() -> None:
    """Point every opengsq protocol module at the capped socket clients. Idempotent; a Prober calls it."""
    for name in dir(opengsq.protocols):
        module = sys.modules.get(f"opengsq.protocols.{name}")
        if module is None:
            continue
        if getattr(module, "UdpClient", None) is UdpClient:
            module.UdpClient = CappedUdpClient  # type: ignore[attr-defined]
        if getattr(module, "TcpClient", None) is TcpClient:
            module.TcpClient = CappedTcpClient  # type: ignore[attr-defined]


@functools.cache
def _decompressor_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=DECOMPRESS_WORKERS, thread_name_prefix="status-bz2")


def bunzip_bounded(data: bytes, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """One bz2 stream, refused as soon as it would inflate past ``limit`` (never allocates more)."""
    decompressor = bz2.BZ2Decompressor()
    try:
        out = decompressor.decompress(data, max_length=limit + 1)
    except (OSError, ValueError, EOFError):
        raise BadAnswer("broken bz2 data") from None
    if len(out) > limit or (not decompressor.eof and not decompressor.needs_input):
        raise BadAnswer(f"answer larger than {limit // 1024} KiB once decompressed")
    if not decompressor.eof:
        raise BadAnswer("truncated bz2 data")
    return out


def _inflate_and_check(data: bytes, claimed: int, crc32: int) -> bytes:
    if claimed > MAX_RESPONSE_BYTES:
        raise BadAnswer(f"answer larger than {MAX_RESPONSE_BYTES // 1024} KiB once decompressed")
    out = bunzip_bounded(data)
    if zlib.crc32(out) != crc32:
        raise BadAnswer("CRC32 mismatch of the decompressed answer")
    return out


async def inflate(data: bytes, claimed: int, crc32: int) -> bytes:
    """Decompress and check a Source split answer in a small worker pool (bz2 releases the GIL)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_decompressor_pool(), _inflate_and_check, data, claimed, crc32)


class _BoundedSourceReceive:
    """Replaces opengsq's Source ``__receive``: split packets numbered inside their announced total, at most
    MAX_PACKETS of them, bz2 bounded and run off the loop. The GoldSource split format stays opengsq's (its
    packets are numbered in 4 bits, so at most 16 payloads; the budget bounds the reads)."""

    async def _Source__receive(self, client: UdpClient) -> bytes:
        payloads: dict[int, bytes] = {}
        packets: list[bytes] = []
        compressed, claimed, crc32 = False, 0, 0
        while True:
            data = await client.recv()
            packets.append(data)
            reader = BinaryReader(data)
            if reader.read_long() == -1:  # the simple (single-packet) format
                return reader.read()
            packet_id = reader.read_long(unsigned=True)
            if self._Source__is_gold_source_split(BinaryReader(reader.read())):  # type: ignore[attr-defined]
                return await self._Source__parse_gold_source_packet(client, packets)  # type: ignore[attr-defined,no-any-return]
            total, number = reader.read_byte(), reader.read_byte()
            if not 0 < total <= MAX_PACKETS or number >= total:
                raise BadAnswer(f"split packet {number} of {total}")
            if number == 0 and packet_id & 0x80000000:
                compressed = True
                claimed, crc32 = reader.read_long(unsigned=True), reader.read_long(unsigned=True)
            else:
                reader.read_short()  # the split size
            payloads[number] = reader.read()
            if len(payloads) >= total:
                break
        combined = b"".join(payloads[n] for n in sorted(payloads))
        if compressed:
            combined = await inflate(combined, claimed, crc32)
        return combined[4:] if combined.startswith(b"\xff\xff\xff\xff") else combined


class CappedSource(_BoundedSourceReceive, Source):
    pass


class CappedWON(_BoundedSourceReceive, WON):
    pass


CAPPED_PROTOCOLS: dict[str, type[Any]] = {"Source": CappedSource, "WON": CappedWON}
