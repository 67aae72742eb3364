"""Vote forwarding benchmark: a burst of votes handed on to Votifier v2 and signed-webhook destinations.

    .venv/bin/python benchmarks/forwarding.py [--votes 10000] [--destinations 100] [--per-server 2]
        [--slow 4] [--failing 4] [--recovering 2] [--slow-ms 50] [--recover-after 8] [--parallel N]
        [--pool 10] [--handover during|before] [--no-sync] [--timeout 900]

Starts the embedded PostgreSQL (pgserver) in a temporary folder with the real migrations, and, in a child process
(so that this process's CPU is the bot's alone), ``--destinations`` loopback receivers: half Votifier v2 (an
independent NuVotifier v2 listener: greeting with a challenge, HMAC-SHA256 frame checked, ``{"status":"ok"}``),
half signed webhooks (aiohttp, every request verified with ``standardwebhooks``, the ``webhook-id`` recorded).
Each receiver counts the connections open at once. Some destinations are ``--slow`` (answer after ``--slow-ms``),
some ``--failing`` for the whole run (Votifier: connection refused; webhook: HTTP 500), some ``--recovering``
(refuse the vote — Votifier error status, HTTP 503 — for ``--recover-after`` seconds, then take it).
``--per-server`` destinations belong to each game server (alternately Votifier and webhook), so every vote of a
server goes to each of them.

1. **Baseline**: the real senders called directly, no queue and no database — each healthy destination's votes
   one at a time, ``PARALLEL_DESTINATIONS`` destinations at once, as the queue sends them: the transport's
   ceiling on this machine, measured in the same run.
2. **Queue**: ``--votes`` votes recorded in one burst through the real ``VoteLedger.record_many``, handed to
   ``ForwardingService.handle`` as the dispatcher does (one ``VoteEvent`` per vote, in order per server, 4 servers
   at once), delivered by ``deliver_due`` driven as in the bot (``DueWork`` on the real ``Scheduler`` with the
   real clock, woken by ``handle``, the cog's 10 s tick) until every healthy destination has every vote.

Prints: votes × destinations, delivered/s (all healthy destinations, and the fast ones alone) and its ratio to the
baseline, p50/p99 delay from the vote's record time to its arrival at the receiver (per kind of destination),
votes in flight and connections per destination (most at once, and connections in all), each ``deliver_due`` run
(when, how many destinations were due, how long it took), the longest pause with no delivery, the scheduler's
wake-ups dropped while a run was under way, the bot's CPU (getrusage, µs per delivery; this
run's PostgreSQL counted apart), peak RSS; then the checks — every healthy destination got every vote exactly once
(webhooks by ``webhook-id``, Votifier by the vote's unique player name) and in vote order, the failing ones hold
their whole backlog in the queue (nothing lost, nothing dead) — and a one-line verdict (exit status 1 when a
check fails). For comparisons: ``--parallel`` overrides ``PARALLEL_DESTINATIONS``, ``--pool`` the pool size,
``--handover before`` hands every vote over before delivery starts (the drain rate alone), ``--no-sync`` turns
PostgreSQL's ``synchronous_commit`` off (what the commits' fsync costs). Not run by CI.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import os
import resource
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VOTIFIER, WEBHOOK = "votifier", "webhook"
OK, SLOW, FAILING, RECOVERING = "ok", "slow", "failing", "recovering"
TOKEN = "bench-nuvotifier-token-0123456789"  # noqa: S105 - made up
BASELINE_OFFSET = 1_000_000_000  # baseline votes' ids, apart from the ledger's


# --------------------------------------------------------------------------- receivers (child process)


@dataclass
class Receiver:
    """One destination's receiver: what it took (key, arrival time) and how many connections it had at once."""

    kind: str
    behaviour: str
    slow: float
    secret: str = ""
    open: int = 0
    most_open: int = 0
    connections: int = 0
    refused: int = 0  # attempts answered with a failure (failing, recovering, bad signature)
    in_flight: int = 0  # votes being received (frame read or request body in, answer not yet written)
    most_in_flight: int = 0
    taken: list[tuple[str, float]] = field(default_factory=list)
    recovered_at: float = 0.0  # recovering: fails until then (set by "go")
    verifier: Any = None

    def opened(self) -> None:
        self.open += 1
        self.connections += 1
        self.most_open = max(self.most_open, self.open)

    def closed(self) -> None:
        self.open -= 1

    def begin(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def end(self) -> None:
        self.in_flight -= 1

    def failing_now(self) -> bool:
        return self.behaviour == FAILING or (self.behaviour == RECOVERING and time.time() < self.recovered_at)

    def reset(self) -> None:
        self.most_open, self.connections, self.refused, self.taken = self.open, 0, 0, []
        self.most_in_flight = self.in_flight


async def _votifier(receiver: Receiver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """NuVotifier v2: greeting with a challenge, a ``0x733a`` frame signed with the token, ok or error."""
    receiver.opened()
    receiving = False
    try:
        challenge = secrets.token_hex(8)
        writer.write(f"VOTIFIER 2 {challenge}\n".encode())
        head = await reader.readexactly(4)
        if head[:2] != b"\x73\x3a":
            return
        receiver.begin()
        receiving = True
        message = json.loads(await reader.readexactly(int.from_bytes(head[2:], "big")))
        payload_text = message["payload"]
        expected = hmac.new(TOKEN.encode(), payload_text.encode(), hashlib.sha256).digest()
        payload = json.loads(payload_text)
        if not hmac.compare_digest(expected, base64.b64decode(message["signature"])):
            result = {"status": "error", "cause": "CorruptedFrameException", "error": "Signature is not valid"}
        elif payload["challenge"] != challenge:
            result = {"status": "error", "cause": "CorruptedFrameException", "error": "Challenge is not valid"}
        elif receiver.failing_now():
            result = {"status": "error", "cause": "Maintenance", "error": "the server is restarting"}
        else:
            if receiver.slow:
                await asyncio.sleep(receiver.slow)
            receiver.taken.append((payload["username"], time.time()))
            result = {"status": "ok"}
        if result["status"] != "ok":
            receiver.refused += 1
        receiver.end()
        receiving = False
        writer.write(json.dumps(result).encode() + b"\r\n")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError):
        receiver.refused += 1
    finally:
        if receiving:
            receiver.end()
        writer.close()
        receiver.closed()


def _webhook_handler(receiver: Receiver) -> Callable[[Any], Awaitable[Any]]:
    from aiohttp import web
    from standardwebhooks.webhooks import WebhookVerificationError

    async def hook(request: web.BaseRequest) -> web.Response:
        receiver.begin()
        try:
            return await take(request)
        finally:
            receiver.end()

    async def take(request: web.BaseRequest) -> web.Response:
        body = await request.read()
        try:
            receiver.verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            receiver.refused += 1
            return web.Response(status=401, text="bad signature")
        if receiver.failing_now():
            receiver.refused += 1
            return web.Response(status=500 if receiver.behaviour == FAILING else 503)
        if receiver.slow:
            await asyncio.sleep(receiver.slow)
        receiver.taken.append((request.headers["webhook-id"], time.time()))
        return web.Response(status=204)

    return hook


async def _start_webhook(receiver: Receiver) -> tuple[Any, int]:
    from aiohttp import web
    from aiohttp.web_protocol import RequestHandler

    class Counting(RequestHandler):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            receiver.opened()
            super().connection_made(transport)

        def connection_lost(self, exc: BaseException | None) -> None:
            receiver.closed()
            super().connection_lost(exc)

    loop = asyncio.get_running_loop()
    manager = web.Server(_webhook_handler(receiver), access_log=None)
    server = await loop.create_server(
        lambda: Counting(manager, loop=loop, access_log=None),  # type: ignore[arg-type]  # no access log
        "127.0.0.1",
        0,
    )
    return server, server.sockets[0].getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as probe:  # bound, never listened on, closed: connecting is refused
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve_receivers() -> None:
    """The child: one JSON command per stdin line, one JSON answer per stdout line (see the bot side)."""
    from standardwebhooks.webhooks import Webhook

    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    receivers: list[Receiver] = []
    servers: list[Any] = []

    def answer(value: object) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    while line := await stdin.readline():
        command, _space, argument = line.decode().strip().partition(" ")
        data: Any = json.loads(argument) if argument else None
        if command == "spec":
            ports = []
            for spec in data:
                receiver = Receiver(spec["kind"], spec["behaviour"], spec["slow"])
                receivers.append(receiver)
                if receiver.kind == VOTIFIER and receiver.behaviour == FAILING:
                    ports.append(_closed_port())
                elif receiver.kind == VOTIFIER:
                    tcp = await asyncio.start_server(functools.partial(_votifier, receiver), "127.0.0.1", 0)
                    servers.append(tcp)
                    ports.append(tcp.sockets[0].getsockname()[1])
                else:
                    server, port = await _start_webhook(receiver)
                    servers.append(server)
                    ports.append(port)
            answer(ports)
        elif command == "secrets":
            for receiver, secret in zip(receivers, data, strict=True):
                if secret:
                    receiver.secret, receiver.verifier = secret, Webhook(secret)
            answer("ok")
        elif command == "go":  # the burst starts: the recovering ones fail for the next `data` seconds
            for receiver in receivers:
                receiver.recovered_at = time.time() + data
            answer("ok")
        elif command == "reset":
            for receiver in receivers:
                receiver.reset()
            answer("ok")
        elif command == "expect":  # answered once every receiver has taken at least its count (or on timeout)
            counts, deadline = data["counts"], time.monotonic() + data["timeout"]
            while time.monotonic() < deadline and any(  # noqa: ASYNC110 - polls the counts, 20 times a second
                len(receivers[i].taken) < n for i, n in enumerate(counts) if n
            ):
                await asyncio.sleep(0.05)
            answer("done" if time.monotonic() < deadline else "timeout")
        elif command == "report":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            answer(
                {
                    "receivers": [
                        {
                            "taken": r.taken,
                            "most_open": r.most_open,
                            "most_in_flight": r.most_in_flight,
                            "connections": r.connections,
                            "refused": r.refused,
                        }
                        for r in receivers
                    ],
                    "cpu": usage.ru_utime + usage.ru_stime,
                }
            )
    for server in servers:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


class Receivers:
    """The bot's side of the child process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Receivers:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=1 << 26,  # a report is one JSON line: every arrival of the phase
        )
        return cls(process)

    async def ask(self, command: str, data: object = None) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{command} {json.dumps(data) if data is not None else ''}\n".encode())
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the receivers' process ended")
        return json.loads(line)

    async def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Planned:
    index: int
    server: int  # index of its game server
    kind: str
    behaviour: str

    @property
    def healthy(self) -> bool:
        return self.behaviour != FAILING


def plan(args: argparse.Namespace) -> list[Planned]:
    """Destinations alternately Votifier and webhook; the special ones spread out, their kinds alternating too."""
    special = [SLOW] * args.slow + [FAILING] * args.failing + [RECOVERING] * args.recovering
    if len(special) > args.destinations:
        raise SystemExit("more slow, failing and recovering destinations than destinations")
    behaviour = [OK] * args.destinations
    step = args.destinations // max(1, len(special))
    for j, kind in enumerate(special):
        index = j * step
        if index % 2 != j % 2 and index + 1 < args.destinations:  # kinds alternate: even Votifier, odd webhook
            index += 1
        while behaviour[index] != OK:
            index = (index + 1) % args.destinations
        behaviour[index] = kind
    return [
        Planned(i, i // args.per_server, VOTIFIER if i % 2 == 0 else WEBHOOK, behaviour[i])
        for i in range(args.destinations)
    ]


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds of this run's cluster: its postmaster and the backends it forked (not other runs' clusters)."""
    if postmaster is None:
        return float("nan")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _proc_stat(int(entry.name))
            except OSError:
                continue
            if int(entry.name) == postmaster or int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _postmaster(data_dir: Path) -> int | None:
    for pid_file in data_dir.rglob("postmaster.pid"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pid_file.read_text().split()[0])
    return None


def _rss_mb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Phase:
    """What the receivers took in one phase: per destination, the keys in arrival order and their arrival times."""

    name: str
    started: float  # wall clock: the burst's record time (queue) or the first send (baseline)
    report: dict[str, Any]
    cpu: float
    wall: float

    def arrivals(self, index: int) -> list[tuple[str, float]]:
        return [(key, at) for key, at in self.report["receivers"][index]["taken"]]

    def rate(self, destinations: list[Planned]) -> tuple[int, float]:
        """(deliveries, per second) to these destinations: from the start to the last arrival among them."""
        times = [at for d in destinations for _key, at in self.arrivals(d.index)]
        if not times:
            return 0, float("nan")
        return len(times), len(times) / max(1e-9, max(times) - self.started)


# --------------------------------------------------------------------------- the bot's side


class Counted(logging.Handler):
    """Counts log records instead of printing them: APScheduler's "skipped: maximum number of running instances"
    (a ``DueWork.wake`` that came while a run was under way, dropped) and the forwarding service's warnings (one
    per failed attempt)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.skipped_wakes = 0
        self.failed_attempts = 0
        self.other: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("apscheduler") and "maximum number of running instances" in message:
            self.skipped_wakes += 1
        elif record.name.startswith("cogs.forwarding") and "failed" in message:
            self.failed_attempts += 1
        else:
            self.other.append(f"{record.name}: {message}")


async def baseline(
    destinations: list[Any], planned: list[Planned], expected: dict[int, list[int]], senders: dict, parallel: int
) -> tuple[float, float, float]:
    """The senders alone, same shape as the queue: each destination sequential, ``parallel`` at once."""
    from cogs.forwarding.model import ForwardedVote

    now = dt.datetime.now(dt.UTC)
    limit = asyncio.Semaphore(parallel)
    failures = 0

    async def nothing() -> None:
        return None

    async def drain(destination: Any, votes: list[int]) -> None:
        nonlocal failures
        async with limit:
            for n in votes:
                vote = ForwardedVote(
                    ledger_id=BASELINE_OFFSET + n,
                    server_id=destination.server_id,
                    server_name="bench",
                    provider="topserver",
                    external_id=f"b{n}",
                    username=f"b{n}",
                    discord_user_id=None,
                    voted_at=now,
                    weight=1,
                )
                try:
                    await senders[destination.kind].send(destination, vote, nothing)
                except Exception:  # counted: the baseline's check says so
                    failures += 1

    started, cpu = time.time(), _self_cpu()
    await asyncio.gather(*(drain(destinations[p.index], expected[p.index]) for p in planned if p.healthy))
    return started, _self_cpu() - cpu, failures


async def main(args: argparse.Namespace) -> int:
    import cogs.forwarding.service as service_module
    from bot.app.extensions import features
    from bot.core.scheduling import DueWork, Scheduler
    from bot.core.servers import ServerService
    from bot.core.shards import ShardOwnership
    from bot.core.time import utcnow
    from bot.db.migrations import migrate_pool
    from bot.db.pool import EmbeddedPostgres, PoolDefaults, create_pool
    from bot.votes.events import VoteEvent
    from bot.votes.ledger import VoteLedger
    from bot.votes.model import Vote
    from cogs.forwarding import INTERVAL
    from cogs.forwarding.model import Destination, Kind, Sender
    from cogs.forwarding.service import ForwardingService
    from cogs.forwarding.votifier import VotifierV1Sender, VotifierV2Sender
    from cogs.forwarding.webhook import WebhookSender

    counted = Counted()
    logging.getLogger().addHandler(counted)
    logging.getLogger().setLevel(logging.WARNING)
    if args.parallel:
        service_module.PARALLEL_DESTINATIONS = args.parallel
    parallel = service_module.PARALLEL_DESTINATIONS
    planned = plan(args)
    server_count = planned[-1].server + 1
    expected: dict[int, list[int]] = {
        p.index: [n for n in range(args.votes) if n % server_count == p.server] for p in planned
    }
    deliveries = sum(len(v) for v in expected.values())
    healthy = [p for p in planned if p.healthy]
    fast = [p for p in planned if p.behaviour == OK]
    counts = [len(expected[p.index]) if p.healthy else 0 for p in planned]
    print(
        f"{args.votes} votes × {args.per_server} destinations per game server ({server_count} servers, "
        f"{args.destinations} destinations: {sum(p.kind == VOTIFIER for p in planned)} Votifier v2, "
        f"{sum(p.kind == WEBHOOK for p in planned)} webhook; {args.slow} slow ({args.slow_ms:g} ms), {args.failing} "
        f"failing, {args.recovering} recovering after {args.recover_after:g} s) = {deliveries} deliveries; "
        f"PARALLEL_DESTINATIONS {parallel}, pool of {args.pool}{', synchronous_commit off' if args.no_sync else ''}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    receivers = await Receivers.start()
    ports = await receivers.ask(
        "spec",
        [
            {"kind": p.kind, "behaviour": p.behaviour, "slow": args.slow_ms / 1000 if p.behaviour == SLOW else 0}
            for p in planned
        ],
    )
    webhook_sender = WebhookSender(True)
    senders: dict[Kind, Sender] = {
        Kind.VOTIFIER_V2: VotifierV2Sender(True),
        Kind.VOTIFIER_V1: VotifierV1Sender(True),
        Kind.WEBHOOK: webhook_sender,
    }
    data_dir = Path(tempfile.mkdtemp(prefix="votebot-bench-"))
    runtime_dir = None
    if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver's lock files: a private folder, removed at the end
        runtime_dir = os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="votebot-bench-run-")
        atexit.register(shutil.rmtree, runtime_dir, ignore_errors=True)  # after pgserver's own exit handler
    embedded = EmbeddedPostgres(data_dir)
    pool = None
    failed: list[str] = []
    try:
        url = await embedded.start()
        pool = await create_pool(url, PoolDefaults(min_pool_size=2, max_pool_size=args.pool))
        assert pool is not None
        await migrate_pool(pool)
        postmaster = _postmaster(data_dir)
        if args.no_sync:  # diagnostic: commits do not wait for the WAL flush (what fsync costs the queue)
            await pool.execute("ALTER SYSTEM SET synchronous_commit = off")
            await pool.execute("SELECT pg_reload_conf()")

        class Notices:
            told: list[str] = []  # noqa: RUF012

            async def once(self, server: object, key: str, text: str) -> None:
                self.told.append(key)

        server_service = ServerService(pool, features())
        servers = [
            (
                await server_service.add(guild_id=1000 + s, name=f"Server {s}", vote_url=f"https://example.com/{s}")
            ).server
            for s in range(server_count)
        ]
        service = ForwardingService(
            pool,
            server_service,
            Notices(),  # type: ignore[arg-type]
            senders,
            clock=utcnow,
            ownership=ShardOwnership.of(None, None),
            allow_private=True,
        )
        destinations: list[Destination] = []
        webhook_secrets: list[str | None] = []
        for p in planned:
            server = servers[p.server]
            if p.kind == VOTIFIER:
                destinations.append(
                    await service.add_votifier(
                        server, name=f"game{p.index}", address=f"127.0.0.1:{ports[p.index]}", secret=TOKEN
                    )
                )
                webhook_secrets.append(None)
            else:
                added, secret = await service.add_webhook(
                    server, name=f"hook{p.index}", url=f"http://127.0.0.1:{ports[p.index]}/votes"
                )
                destinations.append(added)
                webhook_secrets.append(secret)
        await receivers.ask("secrets", webhook_secrets)

        # 1. baseline: the senders alone
        started, cpu, baseline_failures = await baseline(destinations, planned, expected, senders, parallel)
        base = Phase("baseline", started, await receivers.ask("report"), cpu, time.time() - started)
        await receivers.ask("reset")
        await webhook_sender.close()  # the queue starts with a fresh session, as the bot does
        await asyncio.sleep(0.5)  # let the receivers see the baseline's connections close

        # 2. the queue: record the burst, hand it over, deliver as the bot does
        at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        votes = [
            Vote(
                server_id=servers[n % server_count].id,
                provider="topserver",
                external_id=f"bench-{n:07d}",
                voted_at=at,
                player_name=f"p{n}",
            )
            for n in range(args.votes)
        ]
        rss_before = _rss_mb("VmRSS")
        runs: list[list[float]] = []  # per deliver_due run: start (wall), destinations due, end
        due_destinations = service.repository.due_destinations

        async def counted_due(now: dt.datetime) -> list[Any]:
            due = await due_destinations(now)
            runs[-1][1] = len(due)
            return due

        async def deliver_due(now: dt.datetime) -> dt.datetime | None:
            runs.append([time.time(), 0, float("nan")])
            try:
                return await service.deliver_due(now)
            finally:
                runs[-1][2] = time.time()

        service.repository.due_destinations = counted_due  # type: ignore[method-assign]
        scheduler = Scheduler()
        work = DueWork(scheduler, "forwarding", deliver_due, interval=INTERVAL)
        service.work = work if args.handover == "during" else None  # "before": nothing delivered until handed over
        scheduler.start()
        work.start()
        await receivers.ask("go", args.recover_after)
        cpu0, pg0, wall0 = _self_cpu(), _postgres_cpu(postmaster), time.monotonic()
        results = await VoteLedger(pool).record_many(votes)
        recorded = time.time()
        events: dict[int, list[VoteEvent]] = {}
        for n, result in enumerate(results):
            assert result.vote_id is not None
            server = servers[n % server_count]
            events.setdefault(server.id, []).append(
                VoteEvent(result.vote_id, server, "topserver", f"bench-{n:07d}", f"p{n}", None, 1, at, None)
            )
        ledger_of = {f"p{n}": int(r.vote_id or 0) for n, r in enumerate(results)}

        async def hand_over(worker: int) -> None:  # the dispatcher: in order per server, 4 servers at once
            for server_id, server_events in events.items():
                if server_id % 4 == worker:
                    for event in server_events:
                        await service.handle(event)

        async def hand_over_all() -> float:
            await asyncio.gather(*(hand_over(w) for w in range(4)))
            if service.work is None:
                service.work = work
                work.wake()
            return time.time()

        handed = asyncio.ensure_future(hand_over_all())
        outcome = await receivers.ask("expect", {"counts": counts, "timeout": args.timeout})
        handed_at = await handed
        cpu1, pg1, wall1 = _self_cpu(), _postgres_cpu(postmaster), time.monotonic()
        work.stop()
        scheduler.shutdown()
        async with work.lock:  # a run under way (a failing destination's retry) ends first
            pass
        queue = Phase("queue", recorded, await receivers.ask("report"), cpu1 - cpu0, wall1 - wall0)
        states = {
            (r["destination_id"], r["state"]): r["count"]
            for r in await pool.fetch("SELECT destination_id, state, count(*) FROM forward_deliveries GROUP BY 1, 2")
        }
        if outcome != "done":
            failed.append(f"timed out after {args.timeout:g} s")
    finally:
        await webhook_sender.close()
        if pool is not None:
            await pool.close()
        await embedded.stop()
        await receivers.close()
        shutil.rmtree(data_dir, ignore_errors=True)

    # ------------------------------------------------------------------ checks
    def keys(p: Planned, n_list: list[int], phase: str) -> list[str]:
        """What the receiver should have taken, in order: the baseline sends in list order; the queue in vote
        (ledger id) order."""
        if phase == "baseline":
            ledger = {n: BASELINE_OFFSET + n for n in n_list}
        else:
            ledger = {n: ledger_of[f"p{n}"] for n in n_list}
            n_list = sorted(n_list, key=ledger.__getitem__)
        if p.kind == WEBHOOK:
            return [f"vote_{ledger[n]}_{destinations[p.index].id}" for n in n_list]
        return [f"{'b' if phase == 'baseline' else 'p'}{n}" for n in n_list]

    base_short = [
        p.index for p in healthy if [k for k, _ in base.arrivals(p.index)] != keys(p, expected[p.index], "baseline")
    ]
    if base_short or baseline_failures:
        failed.append(f"baseline: {baseline_failures} send failures, {len(base_short)} destinations short")
    wrong: list[str] = []
    for p in healthy:
        got = [k for k, _ in queue.arrivals(p.index)]
        want = keys(p, expected[p.index], "queue")
        if got != want:
            position = {key: i for i, key in enumerate(want)}
            known = [position[k] for k in got if k in position]
            wrong.append(
                f"#{p.index} {p.kind}/{p.behaviour}: {len(got)} taken of {len(want)}, "
                f"{len(got) - len(set(got))} twice, {len(set(want) - set(got))} missing, "
                f"{len(got) - len(known)} unknown, {'in order' if known == sorted(known) else 'OUT OF ORDER'}"
            )
        db_id = destinations[p.index].id
        if states.get((db_id, "delivered"), 0) != len(want):
            wrong.append(f"#{p.index}: {states.get((db_id, 'delivered'), 0)} marked delivered of {len(want)}")
    if wrong:
        failed.append(f"{len(wrong)} healthy destinations wrong: " + "; ".join(wrong[:5]))
    held, lost = 0, []
    for p in planned:
        if p.healthy:
            continue
        db_id = destinations[p.index].id
        backlog = states.get((db_id, "pending"), 0) + states.get((db_id, "sending"), 0)
        held += backlog
        if backlog != len(expected[p.index]) or queue.arrivals(p.index):
            lost.append(
                f"#{p.index}: backlog {backlog} of {len(expected[p.index])}, {len(queue.arrivals(p.index))} taken"
            )
    if lost:
        failed.append("failing destinations: " + "; ".join(lost[:5]))
    most_open = {p.index: queue.report["receivers"][p.index]["most_open"] for p in healthy}
    base_open = {p.index: base.report["receivers"][p.index]["most_open"] for p in healthy}
    in_flight = {p.index: queue.report["receivers"][p.index]["most_in_flight"] for p in healthy}
    over = [i for i, n in in_flight.items() if n > 1]
    if over:
        failed.append(f"{len(over)} destinations received more than 1 vote at once (most {max(in_flight.values())})")
    overlapping = [
        f"#{p.index} {p.kind}: {most_open[p.index]} open, {in_flight[p.index]} vote in flight"
        for p in healthy
        if most_open[p.index] > 1
    ]

    # ------------------------------------------------------------------ figures
    n_all, rate_all = queue.rate(healthy)
    times = sorted(at for p in healthy for _k, at in queue.arrivals(p.index))
    _n_fast, rate_fast = queue.rate(fast)
    b_all, base_all = base.rate(healthy)
    _b_fast, base_fast = base.rate(fast)
    print(
        f"\nbaseline (senders alone, no queue, no database): {b_all} deliveries, {base_all:.0f}/s to all healthy "
        f"destinations, {base_fast:.0f}/s to the {len(fast)} fast ones; bot CPU {base.cpu * 1e6 / max(1, b_all):.0f} "
        f"µs per delivery; most connections open at once per destination {max(base_open.values(), default=0)}"
    )
    print(
        f"queue: {n_all} deliveries in {max(times, default=recorded) - recorded:.1f} s from the burst's record "
        f"time; hand-over of {args.votes} votes ({args.handover} delivery) done after {handed_at - recorded:.1f} s"
    )
    print(
        f"delivered/s: {rate_all:.0f} to all {len(healthy)} healthy destinations ({rate_all / base_all:.2f}× the "
        f"baseline's {base_all:.0f}), {rate_fast:.0f} to the {len(fast)} fast ones ({rate_fast / base_fast:.2f}× "
        f"the baseline's {base_fast:.0f})"
    )
    after = [at for p in healthy for _k, at in queue.arrivals(p.index) if at >= handed_at]
    if after and max(after) - handed_at > 0.5:
        print(f"  after the hand-over: {len(after)} deliveries at {len(after) / (max(after) - handed_at):.0f}/s")
    print("delay from the vote's record time to its arrival:")
    for label, group in (
        ("fast Votifier", [p for p in fast if p.kind == VOTIFIER]),
        ("fast webhook", [p for p in fast if p.kind == WEBHOOK]),
        ("slow", [p for p in healthy if p.behaviour == SLOW]),
        ("recovering", [p for p in healthy if p.behaviour == RECOVERING]),
        ("all healthy", healthy),
    ):
        delays = [at - recorded for p in group for _k, at in queue.arrivals(p.index)]
        if delays:
            print(
                f"  {label:<13} {len(delays):>7} deliveries  p50 {percentile(delays, 0.5) * 1000:8.0f} ms  "
                f"p99 {percentile(delays, 0.99) * 1000:8.0f} ms  max {max(delays) * 1000:8.0f} ms"
            )
    print(
        f"deliver_due runs: {len(runs)} — "
        + ", ".join(f"at {start - recorded:.1f} s: {due} due, {end - start:.1f} s" for start, due, end in runs[:8])
        + (" …" if len(runs) > 8 else "")
    )
    gaps = [(b - a, a - recorded) for a, b in zip([recorded, *times], times, strict=False)]
    gap, gap_at = max(gaps, default=(0.0, 0.0))
    print(
        f"longest pause with no delivery to any healthy destination: {gap * 1000:.0f} ms, {gap_at:.1f} s after the "
        f"burst (the cog's tick is every {INTERVAL:g} s)"
    )
    total_connections = {p.index: queue.report["receivers"][p.index]["connections"] for p in healthy}
    votifier_conn = [total_connections[p.index] for p in healthy if p.kind == VOTIFIER]
    webhook_conn = [total_connections[p.index] for p in healthy if p.kind == WEBHOOK]
    print(f"votes in flight per destination: most at once {max(in_flight.values(), default=0)}")
    print(
        f"connections per destination: most open at once {max(most_open.values(), default=0)}"
        + (f" ({'; '.join(overlapping[:5])})" if overlapping else "")
        + " "
        f"(destinations with 1: {sum(n == 1 for n in most_open.values())}/{len(most_open)}); in all, Votifier "
        f"median {statistics.median(votifier_conn) if votifier_conn else 0:.0f} (one per vote, as the protocol "
        f"wants), webhook median {statistics.median(webhook_conn) if webhook_conn else 0:.0f} (keep-alive)"
    )
    refused = sum(queue.report["receivers"][p.index]["refused"] for p in planned)
    print(
        f"attempts refused by failing/recovering destinations: {refused} (service warnings: "
        f"{counted.failed_attempts} failed attempts); owner notices: {len(Notices.told)}; wake-ups dropped by the "
        f"scheduler while a run was under way: {counted.skipped_wakes}"
    )
    for line in counted.other[:10]:
        print(f"  log: {line}")
    print(
        f"bot CPU: {queue.cpu:.1f} s over {queue.wall:.1f} s ({100 * queue.cpu / queue.wall:.0f} % of one core, "
        f"{queue.cpu * 1e6 / max(1, n_all):.0f} µs per delivery, hand-over included); this run's PostgreSQL "
        f"{pg1 - pg0:.1f} s ({(pg1 - pg0) * 1e6 / max(1, n_all):.0f} µs per delivery); receivers' process "
        f"{queue.report['cpu'] - base.report['cpu']:.1f} s"
    )
    print(f"bot memory: RSS {rss_before:.0f} MiB before the burst, peak {_rss_mb('VmHWM'):.0f} MiB")
    print(
        f"checks: healthy destinations complete, once each, in order: {len(healthy) - len(wrong)}/{len(healthy)}; "
        f"failing destinations hold their backlog: {held} votes queued, "
        f"{sum(states.get((destinations[p.index].id, 'dead'), 0) for p in planned)} dead, "
        f"{len(lost)} with votes lost or taken"
    )
    if failed:
        print("\nverdict: FAIL — " + " | ".join(failed))
        return 1
    print(
        f"\nverdict: OK — {n_all} deliveries, every vote once and in order to all {len(healthy)} healthy "
        f"destinations, {held} held for the failing ones, 1 vote at a time per destination; "
        f"{rate_all:.0f} delivered/s = {rate_all / base_all:.2f}× the senders alone, p99 "
        f"{percentile([at - recorded for p in healthy for _k, at in queue.arrivals(p.index)], 0.99):.1f} s"
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        asyncio.run(serve_receivers())
    else:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--votes", type=int, default=10_000)
        parser.add_argument("--destinations", type=int, default=100)
        parser.add_argument("--per-server", type=int, default=2, help="destinations per game server (at most 10)")
        parser.add_argument("--slow", type=int, default=4, help="destinations answering after --slow-ms")
        parser.add_argument("--slow-ms", type=float, default=50.0)
        parser.add_argument("--failing", type=int, default=4, help="destinations failing the whole run")
        parser.add_argument("--recovering", type=int, default=2, help="destinations failing for --recover-after s")
        parser.add_argument("--recover-after", type=float, default=8.0)
        parser.add_argument("--parallel", type=int, default=0, help="override PARALLEL_DESTINATIONS (default 16)")
        parser.add_argument("--pool", type=int, default=10, help="database pool size (the bot's default: 10)")
        parser.add_argument(
            "--no-sync",
            action="store_true",
            help="diagnostic: PostgreSQL's synchronous_commit off (what the commits' fsync costs)",
        )
        parser.add_argument(
            "--handover",
            choices=("during", "before"),
            default="during",
            help="hand the votes over while delivering (as the bot does), or all before delivering",
        )
        parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
        sys.exit(asyncio.run(main(parser.parse_args())))
