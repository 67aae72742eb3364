"""Pieces of ``benchmarks/scale.py``: loopback game servers whose player counts change, ``votebot run`` as a
process of its own (its log, its memory), and the figures (percentiles, the busiest second)."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import os
import re
import signal
import socket
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- game servers


def _varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def _status_packet(players: int) -> bytes:
    status = json.dumps(
        {
            "version": {"name": "1.21.3", "protocol": 768},
            "players": {"max": 500, "online": players, "sample": []},
            "description": {"text": "Scale benchmark server"},
        }
    ).encode()
    body = b"\x00" + _varint(len(status)) + status
    return _varint(len(body)) + body


class GameServers:
    """One Minecraft Server List Ping responder per status server, each on its own loopback port (so a probe says
    which server it was for). ``change(i)`` raises server ``i``'s player count; every answer is logged."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.players = [1] * count
        self.ports: list[int] = []
        self.probes: list[list[tuple[float, int]]] = [[] for _ in range(count)]  # (time answered, players)
        self._servers: list[asyncio.base_events.Server] = []

    async def start(self) -> None:
        for index in range(self.count):
            server = await asyncio.start_server(lambda r, w, i=index: self._answer(i, r, w), "127.0.0.1", 0, backlog=32)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _answer(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1024)
            players = self.players[index]
            writer.write(_status_packet(players))
            await writer.drain()
            self.probes[index].append((time.time(), players))
        except ConnectionError:
            pass
        finally:
            writer.close()

    def change(self, index: int) -> int:
        self.players[index] += 1
        return self.players[index]

    def first_probe(self, index: int, after: float, showing: int) -> float | None:
        """When the first probe after ``after`` answered at least ``showing`` players."""
        for when, players in self.probes[index]:
            if when >= after and players >= showing:
                return when
        return None

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()


# --------------------------------------------------------------------------- the bot's process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(p) for p in text)
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


READY = re.compile(r"logged in as .* in (\d+) guilds?")
LEVEL = re.compile(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) +(\S+): (.*)$")


class BotProcess:
    """``python -m bot run`` against the fake, its log read line by line (time to ready, warnings by logger)."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k != "DISCORD_TOKEN"}
        self.env |= env
        data_dir.mkdir(parents=True, exist_ok=True)
        self.config = data_dir / "bot.toml"
        self.config.write_text("")
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0
        self.ready_at: float | None = None
        self.ready_guilds = 0
        self.levels: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()  # "logger: first words" → count, WARNING and above
        self.examples: dict[str, str] = {}  # the first whole message of each
        self.tail: deque[str] = deque(maxlen=60)
        self.peak_rss_kib = 0
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.started = time.time()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(self.config),
            env=self.env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            limit=1 << 20,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            text = line.decode(errors="replace").rstrip()
            self.tail.append(text)
            found = LEVEL.search(text)
            if found:
                level, logger, message = found.groups()
                self.levels[level] += 1
                if level in ("WARNING", "ERROR", "CRITICAL"):
                    words = " ".join(re.sub(r"\d+", "N", message).split()[:7])
                    self.warnings[f"{level} {logger}: {words}"] += 1
                    self.examples.setdefault(f"{level} {logger}: {words}", message[:300])
            ready = READY.search(text)
            if ready and self.ready_at is None:
                self.ready_at = time.time()
                self.ready_guilds = int(ready.group(1))

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def rss_mib(self) -> tuple[float, float]:
        """(the bot process's RSS, its child processes' RSS) in MiB; notes the peak."""
        own = _rss_kib(self.pid)
        self.peak_rss_kib = max(self.peak_rss_kib, own)
        children = sum(_rss_kib(child) for child in _children(self.pid))
        return own / 1024, children / 1024

    async def wait_ready(self, within: float) -> float:
        """Seconds from the start to discord.py's on_ready (READY and every GUILD_CREATE handled)."""
        deadline = time.time() + within
        while self.ready_at is None:
            if not self.alive:
                raise RuntimeError("votebot run exited:\n" + "\n".join(self.tail))
            if time.time() > deadline:
                raise TimeoutError(f"not ready after {within:.0f} s:\n" + "\n".join(list(self.tail)[-15:]))
            self.rss_mib()
            await asyncio.sleep(0.1)
        return self.ready_at - self.started

    async def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def busiest(times: Sequence[float], width: float) -> int:
    """The most events any ``width`` seconds saw (a sliding window)."""
    ordered = sorted(times)
    best = 0
    for index, start in enumerate(ordered):
        best = max(best, bisect.bisect_left(ordered, start + width, lo=index) - index)
    return best


def ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds:.1f} s"
