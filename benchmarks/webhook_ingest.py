"""Webhook ingest benchmark: votebot's WebhookManager (every vote committed) vs topggpy 1.4's (no persistence).

    .venv/bin/python benchmarks/webhook_ingest.py [--connections 32] [--votes 10000] [--duplicates 0.1]
        [--warmup 500] [--rounds 5] [--dispatcher separate|inline] [--loop asyncio|uvloop] [--v0-bare]

Machines are often shared: compare the ratio of one run (both servers measured in alternating rounds),
repeat the run, and quote medians; the "machine" CPU column shows how much other load there was.
Tuning switches for experiments: BENCH_COMMITTERS, BENCH_WAIT, BENCH_MIN_PARALLEL (group commit),
BENCH_NO_DISPATCH and BENCH_NO_DB (diagnostics, checks then fail), BENCH_PROFILE=dir (cProfile each server).

Starts the embedded PostgreSQL (pgserver) in a temporary folder, runs each server in its own process
(the real ``WebhookManager`` — as ``votebot webhooks`` runs it — with a ``VoteDispatcher`` draining the
outbox in a process of its own, as the bot runs it, or with ``--dispatcher inline`` inside the ingest
process as ``votebot run`` does; topggpy's ``WebhookManager`` with a stub client), and drives it from
this process with N concurrent keep-alive connections (a minimal HTTP/1.1 client, so that the load
generator takes as little as possible of the CPU the servers share with it): signed Top.gg v1
``vote.create`` deliveries for votebot, v0 ``Authorization`` bot votes for topggpy (the only kind it
understands) padded to the same body size, unique votes plus a share of re-deliveries, after a
warm-up, in rounds that alternate which server goes first. Afterwards it checks that votebot recorded
exactly the unique votes and dispatched each once, and prints per round and as medians: votes/s,
p50/p99 latency, CPU µs per delivery of each process (the dispatcher's and this run's PostgreSQL
cluster's counted for votebot; "machine" is every process on the host, to spot other load), the
server's peak RSS (VmHWM), and the
throughput ratio votebot/topggpy of each round and their median. Not run by CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "whs_benchmark_secret_0123456789"  # noqa: S105 - made up
V0_AUTH = "benchmark-v0-authorization"
STATS = "/bench/stats"


# --------------------------------------------------------------------------- servers (child processes)


async def serve_votebot(database_url: str, dispatch: str, port: int) -> None:
    """The ingest server; with ``dispatch == "inline"`` the dispatcher runs in it too (as in ``votebot run``)."""

    from bot.db.pool import PoolDefaults, create_pool
    from bot.votes.group_commit import GroupCommitter
    from bot.web.app import WebhookManager

    pool = await create_pool(database_url, PoolDefaults(min_pool_size=2, max_pool_size=10))
    manager = WebhookManager(pool, host="127.0.0.1", port=port)
    if any(os.environ.get(k) for k in ("BENCH_COMMITTERS", "BENCH_WAIT", "BENCH_MIN_PARALLEL")):  # tuning
        manager.intake.committer = GroupCommitter(
            pool,
            manager.intake.ledger,
            concurrency=int(os.environ.get("BENCH_COMMITTERS", "2")),
            max_wait=float(os.environ.get("BENCH_WAIT", "0")),
            min_parallel=int(os.environ.get("BENCH_MIN_PARALLEL", "1")),
        )
    counting = _CountingDispatcher(pool) if dispatch == "inline" else None
    if os.environ.get("BENCH_NO_DB"):  # diagnostic: the request path without recording (checks then fail)
        from bot.votes.ledger import RecordResult

        async def pretend(vote: object) -> RecordResult:
            return RecordResult(1, duplicate=False)

        manager.intake.record = pretend  # type: ignore[method-assign]

    async def stats(_: object) -> aiohttp.web.Response:
        committer = manager.intake.committer
        answer = {"batches": committer.batches if committer is not None else None}
        if counting is not None:
            answer |= counting.stats()
        return aiohttp.web.json_response(answer)

    manager.webserver.router.add_get(STATS, stats)
    if counting is not None:
        await counting.start()
    await manager.run()
    await _serve_until_terminated()
    await manager.close()
    if counting is not None:
        await counting.close()
    await pool.close()


class _CountingDispatcher:
    """The real ``VoteDispatcher`` whose consumer counts deliveries per ledger id (to check exactly-once)."""

    def __init__(self, pool: Any) -> None:
        from bot.votes.dispatcher import VoteDispatcher

        self.delivered: dict[int, int] = {}
        self.name = "bench-counter"
        self.dispatcher = VoteDispatcher(pool, consumers=[self], poll_interval=1.0)

    async def handle(self, event: Any) -> None:
        """The vote consumer: count each delivery."""
        self.delivered[event.ledger_id] = self.delivered.get(event.ledger_id, 0) + 1

    def stats(self) -> dict[str, int]:
        twice = sum(1 for n in self.delivered.values() if n > 1)
        return {"dispatched": len(self.delivered), "dispatched_twice": twice}

    async def start(self) -> None:
        if not os.environ.get("BENCH_NO_DISPATCH"):  # diagnostic only: the checks then fail by design
            await self.dispatcher.start()

    async def close(self) -> None:
        await self.dispatcher.close()


async def serve_dispatcher(database_url: str, port: int) -> None:
    """The dispatcher alone, as the bot process runs it next to ``votebot webhooks`` ingest replicas."""
    from aiohttp import web

    from bot.db.pool import PoolDefaults, create_pool

    pool = await create_pool(database_url, PoolDefaults(min_pool_size=1, max_pool_size=3))
    counting = _CountingDispatcher(pool)
    app = web.Application()

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counting.stats())

    app.router.add_get(STATS, stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await counting.start()
    await _serve_until_terminated()
    await counting.close()
    await runner.cleanup()
    await pool.close()


async def serve_topggpy(port: int) -> None:
    import topgg
    from aiohttp import web

    class StubBot:
        """What topggpy's manager needs from a discord.Client: ``dispatch`` and ``loop``."""

        def __init__(self) -> None:
            self.loop = asyncio.get_running_loop()
            self.votes = 0

        def dispatch(self, event: str, data: object) -> None:
            self.votes += 1

    bot = StubBot()
    manager = topgg.WebhookManager(bot).dbl_webhook("/dbl", V0_AUTH)  # type: ignore[arg-type]

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"dispatched": bot.votes})

    manager.webserver.router.add_get(STATS, stats)
    await manager.run(port)
    await _serve_until_terminated()
    await manager.close()


async def _serve_until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    name: str
    sent: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu_us: dict[str, float]  # CPU microseconds per delivery: server, postgres, load generator, machine

    @property
    def rate(self) -> float:
        return self.sent / self.seconds

    def percentile(self, q: float) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000


@dataclass
class Summary:
    name: str
    rate: float
    p50: float
    p99: float
    peak_rss_mb: float
    statuses: dict[int, int]
    cpu_us: dict[str, float]

    def line(self) -> str:
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in self.cpu_us.items())
        return (
            f"{self.name:>9}: {self.rate:8.0f} votes/s  p50 {self.p50:6.2f} ms  p99 {self.p99:6.2f} ms  "
            f"peak RSS {self.peak_rss_mb:6.1f} MiB  CPU µs/vote: {cpu}  statuses {dict(sorted(self.statuses.items()))}"
        )


def votebot_requests(
    server_id: int, unique: int, duplicates: int, offset: int = 0
) -> list[tuple[str, bytes, dict[str, str]]]:
    from bot.web.providers import sign_topgg_v1

    now = int(time.time())
    base = time.time() - 3600
    bodies = []
    for i in range(offset, offset + unique):
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + i)) + ".1234567+00:00"
        body = json.dumps(
            {
                "type": "vote.create",
                "data": {
                    "id": str(900000000000000000 + i),
                    "weight": 1,
                    "created_at": created,
                    "expires_at": created,
                    "project": {"id": "1", "type": "bot", "platform": "discord", "platform_id": "1"},
                    "user": {"id": str(i + 1), "platform_id": str(100000000000000000 + i), "name": f"user{i}"},
                },
            },
            separators=(",", ":"),
        ).encode()
        bodies.append(body)
    bodies += random.sample(bodies, duplicates)
    random.shuffle(bodies)
    path = f"/webhooks/topgg/{server_id}"
    return [
        (path, b, {"x-topgg-signature": sign_topgg_v1(SECRET, b, now), "Content-Type": "application/json"})
        for b in bodies
    ]


def topggpy_requests(
    unique: int, duplicates: int, offset: int = 0, size: int = 0
) -> list[tuple[str, bytes, dict[str, str]]]:
    """v0 bot votes; with ``size`` the ``query`` string pads each body to that many bytes (same size class)."""
    bodies = []
    for i in range(offset, offset + unique):
        vote = {"bot": "1", "user": str(100000000000000000 + i), "type": "upvote", "isWeekend": False, "query": ""}
        bare = len(json.dumps(vote))
        if size > bare + 6:
            vote["query"] = "?ref=" + "a" * (size - bare - 5)
        bodies.append(json.dumps(vote).encode())
    bodies += random.sample(bodies, duplicates)
    random.shuffle(bodies)
    return [("/dbl", b, {"Authorization": V0_AUTH, "Content-Type": "application/json"}) for b in bodies]


def encode_request(port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One complete HTTP/1.1 keep-alive request, built before the clock starts."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Connection(asyncio.Protocol):
    """A keep-alive client connection that sends one pre-built request at a time and reads the answer.

    The load generator shares the machine's cores with the servers it measures, so it is kept as light
    as possible (no HTTP client library): requests are bytes built before the clock starts, and only
    the status line and Content-Length of each answer are parsed.
    """

    def __init__(self, queue: list[bytes], latencies: list[float], statuses: dict[int, int]) -> None:
        self.queue, self.latencies, self.statuses = queue, latencies, statuses
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.started = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send_next()

    def _send_next(self) -> None:
        assert self.transport is not None
        if not self.queue:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.started = time.perf_counter()
        self.transport.write(self.queue.pop())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                self._fail(RuntimeError(f"unexpected chunked answer: {head!r}"))
                return
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length :]
        self.latencies.append(time.perf_counter() - self.started)
        status = int(head[9:12])
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self._send_next()

    def _fail(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)
        assert self.transport is not None
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if self.queue or self.buffer:
                self.done.set_exception(exc or ConnectionError("server closed the connection"))
            else:
                self.done.set_result(None)


async def drive(
    port: int, requests: list[tuple[str, bytes, dict[str, str]]], connections: int
) -> tuple[float, list[float], dict[int, int]]:
    queue = [encode_request(port, path, body, headers) for path, body, headers in reversed(requests)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    opened = [
        await loop.create_connection(lambda: _Connection(queue, latencies, statuses), "127.0.0.1", port)
        for _ in range(connections)
    ]
    await asyncio.gather(*(protocol.done for _, protocol in opened))
    return time.perf_counter() - started, latencies, statuses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def postgres_cpu_seconds(postmaster: int) -> float:
    """CPU of this run's cluster only (postmaster, children, reaped children), not other clusters on the machine."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                pid = int(entry.name)
                if pid == postmaster:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += cpu_seconds(pid) + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
                elif parent_pid(pid) == postmaster:
                    total += cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                continue
    return total


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores, every process), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _profile(mode: str) -> list[str]:
    """``BENCH_PROFILE=dir`` profiles each server process with cProfile into ``dir/<mode>.prof``."""
    folder = os.environ.get("BENCH_PROFILE")
    return ["-m", "cProfile", "-o", f"{folder}/{mode.strip('-')}.prof"] if folder else []


def spawn(*args: str) -> tuple[subprocess.Popen[str], int]:
    """Start a server on a free port (its last argument); retried on a fresh port if another process took it."""
    for _ in range(3):
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 - this script, re-run as a server
            [sys.executable, *_profile(args[0]), __file__, *args, str(port)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() == "ready":
            return process, port
        process.kill()
        process.wait()
    raise RuntimeError(f"server {args} did not start")


async def stats(port: int) -> dict[str, int]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{STATS}") as response:
        return await response.json()


@dataclass
class Target:
    name: str
    port: int
    process: subprocess.Popen[str]
    make: Callable[[int, int, int], list[tuple[str, bytes, dict[str, str]]]]
    rounds: list[Result]
    dispatcher: subprocess.Popen[str] | None = None  # votebot's dispatcher when it runs in its own process
    dispatcher_port: int | None = None


async def measure(target: Target, args: argparse.Namespace, round_no: int, postmaster: int) -> Result:
    duplicates = int(args.votes * args.duplicates)
    requests = target.make(args.votes - duplicates, duplicates, args.warmup + round_no * args.votes)
    names = ("server", "dispatcher", "postgres", "load generator", "machine")

    def sample() -> tuple[float, ...]:
        return (
            cpu_seconds(target.process.pid),
            cpu_seconds(target.dispatcher.pid) if target.dispatcher is not None else 0.0,
            postgres_cpu_seconds(postmaster),
            time.process_time(),
            machine_busy_seconds(),
        )

    before = sample()
    seconds, latencies, statuses = await drive(target.port, requests, args.connections)
    after = sample()
    n = len(requests)
    cpu_us = {
        name: (a - b) / n * 1e6
        for name, a, b in zip(names, after, before, strict=True)
        if name != "dispatcher" or target.dispatcher is not None
    }
    result = Result(target.name, n, seconds, latencies, statuses, cpu_us)
    busy = (after[-1] - before[-1]) / seconds / (os.cpu_count() or 1)
    print(
        f"  round {round_no + 1} {target.name:>7}: {result.rate:7.0f} votes/s  p50 {result.percentile(0.5):6.2f} ms  "
        f"p99 {result.percentile(0.99):6.2f} ms; CPU µs/vote: "
        + ", ".join(f"{k} {v:.0f}" for k, v in cpu_us.items())
        + f"; machine busy {busy:.0%}",
        flush=True,
    )
    target.rounds.append(result)
    return result


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def summary(target: Target) -> Summary:
    statuses: dict[int, int] = {}
    for r in target.rounds:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Summary(
        target.name,
        median([r.rate for r in target.rounds]),
        median([r.percentile(0.5) for r in target.rounds]),
        median([r.percentile(0.99) for r in target.rounds]),
        peak_rss_mb(target.process.pid),
        statuses,
        {k: median([r.cpu_us[k] for r in target.rounds]) for k in target.rounds[0].cpu_us},
    )


async def check_votebot(target: Target, args: argparse.Namespace, pool: Any) -> bool:
    duplicates = int(args.votes * args.duplicates)
    unique = (args.votes - duplicates) * args.rounds
    recorded = await pool.fetchval("SELECT count(*) FROM votes") - args.warmup
    for _ in range(600):
        if await pool.fetchval("SELECT count(*) FROM vote_outbox") == 0:
            break
        await asyncio.sleep(0.1)
    dispatched = await stats(target.port)
    if target.dispatcher_port is not None:
        dispatched |= await stats(target.dispatcher_port)
    left = await pool.fetchval("SELECT count(*) FROM vote_outbox")
    print(
        f"votebot checks: sent {args.votes * args.rounds} "
        f"({unique} unique + {duplicates * args.rounds} re-deliveries), "
        f"recorded {recorded}, outbox left {left}, dispatched {dispatched['dispatched'] - args.warmup} "
        f"(twice: {dispatched['dispatched_twice']}), {dispatched['batches']} commits"
    )
    ok = recorded == unique and dispatched["dispatched"] - args.warmup == unique and not dispatched["dispatched_twice"]
    print(f"votebot exactly-once: {'OK' if ok else 'FAILED'}")
    return ok


async def main(args: argparse.Namespace) -> int:

    from bot.app.extensions import features
    from bot.core.servers import ServerService
    from bot.db.credentials import CredentialRepository
    from bot.db.migrations import migrate_pool
    from bot.db.pool import EmbeddedPostgres

    print(
        f"{args.votes} deliveries per round ({args.duplicates:.0%} re-deliveries), {args.rounds} rounds, "
        f"{args.connections} connections, {os.cpu_count()} CPUs, {args.loop} event loop in the servers"
    )
    with tempfile.TemporaryDirectory(prefix="votebot-bench-") as data_dir:
        os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="votebot-bench-run-"))
        embedded = EmbeddedPostgres(Path(data_dir))
        url = await embedded.start()
        targets: list[Target] = []
        try:
            from bot.db.pool import PoolDefaults, create_pool

            pool = await create_pool(url, PoolDefaults(min_pool_size=1, max_pool_size=2))
            await migrate_pool(pool)
            created = await ServerService(pool, features()).add(
                guild_id=1, name="Bench", vote_url="https://example.com"
            )
            server_id = created.server.id
            await CredentialRepository(pool).set_secret(server_id, "topgg", SECRET)
            process, port = spawn("--serve-votebot", url, args.dispatcher)
            targets.append(Target("votebot", port, process, lambda u, d, o: votebot_requests(server_id, u, d, o), []))
            if args.dispatcher == "separate":
                targets[0].dispatcher, targets[0].dispatcher_port = spawn("--serve-dispatcher", url)
            size = 0 if args.v0_bare else len(votebot_requests(server_id, 1, 0, 0)[0][1])
            process, port = spawn("--serve-topggpy")
            targets.append(Target("topggpy", port, process, lambda u, d, o: topggpy_requests(u, d, o, size), []))
            sizes = [len(t.make(1, 0, 0)[0][1]) for t in targets]
            print(f"body bytes: votebot {sizes[0]}, topggpy {sizes[1]}")
            postmaster = int((Path(data_dir) / "postgres" / "postmaster.pid").read_text().split()[0])
            for target in targets:
                await drive(target.port, target.make(args.warmup, 0, 0), args.connections)
            ratios = []
            for round_no in range(args.rounds):
                # Alternate which server goes first, so drift (table growth, other load) hits both alike.
                order = targets if round_no % 2 == 0 else targets[::-1]
                rates = {t.name: (await measure(t, args, round_no, postmaster)).rate for t in order}
                ratios.append(rates["votebot"] / rates["topggpy"])
            ok = await check_votebot(targets[0], args, pool)
            results = [summary(t) for t in targets]
            await pool.close()
        finally:
            for target in targets:
                for child in (target.process, target.dispatcher):
                    if child is not None:
                        child.send_signal(signal.SIGTERM)
                        child.wait(30)
            await embedded.stop()
    for result in results:
        print(result.line())
    print(
        f"throughput ratio votebot/topggpy: median of rounds {median(ratios):.2f}x "
        f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}); p99 votebot {results[0].p99:.1f} ms"
    )
    return 0 if ok else 1


def use_loop(name: str, *, server: bool) -> None:
    """``--loop uvloop`` runs both servers (and votebot's dispatcher) on uvloop; the load stays on asyncio."""
    os.environ["BENCH_LOOP"] = name  # inherited by the server processes
    if name == "uvloop" and server:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if __name__ == "__main__":
    use_loop(os.environ.get("BENCH_LOOP", "asyncio"), server=len(sys.argv) > 1 and sys.argv[1].startswith("--serve-"))
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-votebot":
        asyncio.run(serve_votebot(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve-dispatcher":
        asyncio.run(serve_dispatcher(sys.argv[2], int(sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve-topggpy":
        asyncio.run(serve_topggpy(int(sys.argv[2])))
    else:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--votes", type=int, default=10000)
        parser.add_argument("--duplicates", type=float, default=0.1)
        parser.add_argument("--warmup", type=int, default=500)
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument(
            "--dispatcher",
            choices=("separate", "inline"),
            default="separate",
            help="separate: the dispatcher in its own process, as the bot runs it beside `votebot webhooks` "
            "replicas (its CPU is counted for votebot); inline: in the ingest server's process (`votebot run`)",
        )
        parser.add_argument(
            "--loop",
            choices=("asyncio", "uvloop"),
            default="asyncio",
            help="event loop of both servers alike (uvloop: pip install -e '.[bench]'); the load stays on asyncio",
        )
        parser.add_argument(
            "--v0-bare",
            action="store_true",
            help="send topggpy its minimal v0 body instead of padding it to votebot's size",
        )
        arguments = parser.parse_args()
        use_loop(arguments.loop, server=False)
        sys.exit(asyncio.run(main(arguments)))
