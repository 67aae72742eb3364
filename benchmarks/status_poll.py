"""Status polling benchmark: the real StatusMonitor probing N loopback game servers once a minute each.

    .venv/bin/python benchmarks/status_poll.py [--servers 2000] [--duration 180] [--concurrency 64]

A child process runs the game servers: half Minecraft (Server List Ping over TCP), half Source (A2S_INFO
with the S2C_CHALLENGE round trip, plus A2S_PLAYER), each on its own loopback port. This process starts
the embedded PostgreSQL, links the servers (status board on), and runs the monitor exactly as the bot
does (the scheduler's ``status:tick`` job every second, as the status cog registers it; probes spread over
the 60 s interval, concurrency bound, every result recorded with its state in PostgreSQL). It prints the
monitor process's CPU % of one core (and PostgreSQL's), its peak RSS, probe latency p50/p99, failed probes
and missed probes (started more than one interval late, or servers with fewer probes than whole minutes
elapsed). Target: < 25 % of one core,
no missed probes. ``--render`` also runs the status service's per-probe work (``on_result``: the board's
queries, embed and digest), stopping before the Discord request. Not run by CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# --------------------------------------------------------------------------- game servers (child process)

MC_STATUS = json.dumps(
    {
        "version": {"name": "1.21.3", "protocol": 768},
        "players": {"max": 100, "online": 3, "sample": [{"name": f"player{i}", "id": str(i)} for i in range(3)]},
        "description": {"text": "Benchmark Minecraft server"},
    }
).encode()


def _varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


MC_ANSWER = (lambda body: _varint(len(body)) + body)(b"\x00" + _varint(len(MC_STATUS)) + MC_STATUS)
CHALLENGE = b"\x01\x02\x03\x04"
A2S_INFO = (
    b"\xff\xff\xff\xffI\x11Benchmark Source server\x00de_dust2\x00csgo\x00Counter-Strike\x00"
    + struct.pack("<h", 730) + bytes([2, 24, 0]) + b"dl\x00\x011.38.0.1\x00"
)  # fmt: skip
A2S_PLAYERS = b"\xff\xff\xff\xffD\x02" + b"".join(
    bytes([i]) + name + b"\x00" + struct.pack("<lf", 1, 5.0) for i, name in enumerate((b"alice", b"bob"))
)


async def _minecraft(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.read(1024)
        writer.write(MC_ANSWER)
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class _A2S(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data.startswith(b"\xff\xff\xff\xffTSource Engine Query\x00"):
            answer = A2S_INFO if data.endswith(CHALLENGE) else b"\xff\xff\xff\xffA" + CHALLENGE
        elif data.startswith(b"\xff\xff\xff\xffU"):
            answer = A2S_PLAYERS if data.endswith(CHALLENGE) else b"\xff\xff\xff\xffA" + CHALLENGE
        else:
            return
        self.transport.sendto(answer, addr)


async def serve_game_servers(count: int) -> None:
    loop = asyncio.get_running_loop()
    minecraft, source = [], []
    for i in range(count):
        if i % 2 == 0:
            server = await asyncio.start_server(_minecraft, "127.0.0.1", 0, backlog=64)
            minecraft.append(server.sockets[0].getsockname()[1])
        else:
            transport, _ = await loop.create_datagram_endpoint(_A2S, local_addr=("127.0.0.1", 0))
            source.append(transport.get_extra_info("sockname")[1])
    print(json.dumps({"minecraft": minecraft, "source": source}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin


# --------------------------------------------------------------------------- measuring (this process)


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(entry, "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def link_servers(pool: object, ports: dict[str, list[int]]) -> int:
    import asyncpg

    from bot.app.extensions import features
    from bot.core.servers import ServerService

    assert isinstance(pool, asyncpg.Pool)
    service = ServerService(pool, features())
    linked = 0
    games = [("minecraft", p) for p in ports["minecraft"]] + [("csgo", p) for p in ports["source"]]
    for index, (game, port) in enumerate(games):
        created = await service.add(
            guild_id=1 + index // 25, name=f"{game}-{index}", vote_url="https://example.com", game=game,
            address=f"127.0.0.1:{port}",
        )  # fmt: skip
        await service.switch_feature(created.server, "status_board", enabled=True, channel_id=1)
        linked += 1
    return linked


class DigestOnlyBoards:
    """The BoardKeeper's work before its Discord request: read the board's setting, digest the content."""

    def __init__(self, servers: Any) -> None:
        self._servers = servers

    async def refresh(self, server: Any, feature: str, content: Any) -> None:
        await self._servers.setting(server.id, feature)
        content.digest()


def status_service(pool: object, monitor: Any) -> Any:
    """The status cog's service as the bot builds it, its board keeper stopping short of Discord."""
    import asyncpg

    from bot.app.extensions import features
    from bot.core.charts import ChartRenderer
    from bot.core.servers import ServerService
    from bot.core.shards import ShardOwnership
    from bot.core.time import utcnow
    from cogs.status.service import StatusService
    from cogs.wipes.service import WipeCalendar

    assert isinstance(pool, asyncpg.Pool)
    servers = ServerService(pool, features())
    calendar = WipeCalendar(pool, servers)
    return StatusService(
        monitor, servers, messenger=None, notices=None, boards=DigestOnlyBoards(servers),  # type: ignore[arg-type]
        clock=utcnow, ownership=ShardOwnership(), next_wipe=calendar.next_start, charts=ChartRenderer(),
    )  # fmt: skip


def _spawn_game_servers(count: int) -> tuple[subprocess.Popen[str], dict[str, list[int]]]:
    child = subprocess.Popen(  # noqa: S603 - this script, re-run as the game servers
        [sys.executable, __file__, "--serve", str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=ROOT,
    )  # fmt: skip
    assert child.stdout is not None
    return child, json.loads(child.stdout.readline())


async def main(args: argparse.Namespace) -> int:

    from bot.core.scheduling import Scheduler, spread_offset
    from bot.db.migrations import migrate_pool
    from bot.db.pool import EmbeddedPostgres
    from cogs.status import TICK_EVERY_S
    from cogs.status.monitor import StatusMonitor
    from cogs.status.query import Prober

    child, ports = _spawn_game_servers(args.servers)
    assert child.stdin is not None
    print(f"{args.servers} game servers on loopback ({len(ports['minecraft'])} Minecraft, {len(ports['source'])} A2S); "
          f"{args.duration:.0f} s, concurrency {args.concurrency}, boards {'on' if args.render else 'off'}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="votebot-bench-") as data_dir:
        os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="votebot-bench-run-"))
        embedded = EmbeddedPostgres(Path(data_dir))
        url = await embedded.start()
        try:
            from bot.db.pool import PoolDefaults, create_pool

            pool = await create_pool(url, PoolDefaults(min_pool_size=2, max_pool_size=10))
            await migrate_pool(pool)
            await link_servers(pool, ports)
            monitor = StatusMonitor(
                pool,
                prober=Prober(timeout=5.0, allow_private=True),
                concurrency=args.concurrency,
                allow_private=True,  # loopback fleet
            )
            service = status_service(pool, monitor)
            if args.render:
                monitor.on_result = service.on_result
            monitor.stats.keep_latencies = True
            scheduler = Scheduler()
            cpu0, pg0, wall0 = _self_cpu(), _postgres_cpu(), time.monotonic()
            scheduler.every("status:tick", TICK_EVERY_S, service.tick)
            scheduler.start()
            await asyncio.sleep(args.duration)
            scheduler.shutdown()  # a tick already running still starts its probes: let it, then wait for them
            await asyncio.sleep(2 * TICK_EVERY_S)
            await monitor.drain()
            cpu, pg, wall = _self_cpu() - cpu0, _postgres_cpu() - pg0, time.monotonic() - wall0
            counts = dict(await pool.fetch("SELECT server_id, count(*) FROM status_samples GROUP BY 1"))
            await pool.close()
        finally:
            await embedded.stop()
            child.stdin.close()
            child.wait(30)

    # each server's slots: its fixed offset, then every 60 s; a slot in the last tick may not have started yet
    def slots(server_id: int) -> int:
        offset = spread_offset(server_id, 60).total_seconds()
        return sum(1 for k in range(int(args.duration // 60) + 2) if offset + 60 * k < args.duration - 1.5)

    short = sum(1 for n in range(1, args.servers + 1) if counts.get(n, 0) < slots(n))
    stats = monitor.stats
    lat = sorted(stats.latencies_ms)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    print(f"probes: {stats.probes} ({stats.probes / wall:.1f}/s), failed: {stats.failures}")
    print(f"monitor CPU: {100 * cpu / wall:.1f}% of one core; PostgreSQL CPU: {100 * pg / wall:.1f}%")
    print(f"peak RSS (monitor process): {_peak_rss_mb():.0f} MiB")
    print(f"probe latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"missed probes: {stats.missed} started late; {short} servers with fewer probes than their slots")
    return 0 if stats.missed == 0 and short == 0 and stats.failures == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        asyncio.run(serve_game_servers(int(sys.argv[2])))
    else:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--servers", type=int, default=2000)
        parser.add_argument("--duration", type=float, default=180.0, help="seconds of polling (default 180)")
        parser.add_argument("--concurrency", type=int, default=64)
        parser.add_argument("--render", action="store_true", help="also build each board (queries, embed, digest)")
        sys.exit(asyncio.run(main(parser.parse_args())))
