"""votebot at scale, inside Discord's rate limits: 10,000 guilds in one process against the limiting fake Discord.

    .venv/bin/python benchmarks/scale.py [--quick] [--guilds N] [--status-boards N] [--top10-boards N] ...

The fake Discord (``tests/fakediscord``, rate limits on: 50 requests per sliding second, 5 messages per 5 s per
channel, 10 role changes per 10 s per guild, 1 edit per 5 s on messages older than ``--old-after`` s) runs in this
process with ``--guilds`` guilds; ``votebot run`` is a process of its own (so its RSS is the bot's alone) on an
embedded PostgreSQL. One game server is linked per guild: ``--status-boards`` of them have a live status board
(each probing its own loopback Minecraft responder here), ``--top10-boards`` a live top-10 board; the last guild,
the *burst guild*, has the thank-you channel and the voter role. The run:

1. baseline: the same bot with 1 guild, for RSS;
2. start with every guild: time to ready (process start → discord.py's on_ready, i.e. READY and every
   GUILD_CREATE handled), then the first posting of every board (the cold start's board storm);
3. measurement window: players change on a share of the game servers (``--status-changes`` a minute), votes arrive
   for top-10 servers (``--board-votes`` a second), reminders fall due (``--reminders`` a minute, DMs), a ``/vote``
   is injected every second in the burst guild; first ``--idle`` s like that, then ``--burst`` s with
   ``--burst-rate`` votes a minute into the burst guild (each by another member, who gets the voter role), then
   a drain until the burst is thanked (at most ``--drain`` s, at least one status interval).

It prints: time to ready; RSS (and per guild, against the 1-guild baseline); REST requests/s seen by the fake (mean,
worst 1 s window, against the 50/s global limit); 429s by kind, predictable 429s, invalid requests per 10 minutes;
board staleness (from the change to the board request showing it) p50/p99 against each board's refresh interval;
thank-you delay p99 (vote recorded → the post that thanks it) and voter roles given (each once?); ``/vote`` answer
p99 idle and during the burst; reminders sent. Then the targets: RSS < 1 GiB, ready < 60 s, no predictable 429,
board staleness p99 below the refresh interval, /vote p99 < 1 s. ``--quick``: 1,000 guilds, 500 boards of each
kind, a 60 s window (under ~3 minutes). ``--no-voter-role``: the burst gives no role (thank-yous only), which tells
the thank-you posts' own delay from the role bucket's (Discord: 10 role changes per 10 s per guild). Not run by CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import heapq
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

nan = float("nan")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scale_fleet import BotProcess, GameServers, busiest, cpu_seconds, free_port, ms, percentile, secs  # noqa: E402

GIB = 1024.0  # MiB
GLOBAL_LIMIT = 50  # requests per second (Discord's, and the fake's)
TOP10_TICK = 15.0  # cogs.leaderboards.BOARD_INTERVAL: a board changed by votes is refreshed at the next tick
TOP10_REFRESH = 600.0  # cogs.leaderboards.spec.REFRESH_MINUTES default (10 minutes)
EXEMPT = ("/interactions/", "/webhooks/")  # outside the global limit (interaction callbacks and follow-ups)
MESSAGE_ROUTE = re.compile(r"^/channels/(\d+)/messages(?:/(\d+))?$")
FAN_COUNT = re.compile(r"Fan(\d+)\b.*?— \*\*(\d+)\*\*")


@dataclass(frozen=True)
class Sizes:
    guilds: int = 10_000
    status_boards: int = 5_000
    top10_boards: int = 5_000
    burst_rate: int = 1_000  # votes a minute into the burst guild
    idle: float = 60.0
    burst: float = 120.0
    drain: float = 180.0
    interval: int = 60  # status check interval (the status board's refresh interval)
    status_changes: int = 1_000  # status servers whose players change, each once a minute
    board_votes: float = 2.0  # votes a second into servers with a top-10 board
    reminders: int = 30  # reminders falling due a minute
    warmup: float = 420.0  # at most this long for the first posting of every board
    old_after: float = 60.0  # messages older than this get Discord's tighter edit limit
    voter_role: bool = True  # the burst's voters get the voter role (False: thank-yous only, to tell the two apart)


QUICK = Sizes(1_000, 500, 500, idle=10.0, burst=50.0, drain=60.0, interval=30, status_changes=100, warmup=90.0)


# --------------------------------------------------------------------------- set-up


@dataclass
class Layout:
    burst_guild: int
    general: int  # the burst guild's thank-you channel
    voter_role: int
    burst_server: int
    voters: list[int]
    askers: list[int]  # members who run /vote
    status: dict[int, tuple[int, int]] = field(default_factory=dict)  # server → (responder index, board channel)
    top10: dict[int, int] = field(default_factory=dict)  # server → board channel
    board_channel: dict[int, tuple[str, int]] = field(default_factory=dict)  # channel → (kind, server)
    reminder_servers: list[int] = field(default_factory=list)


def burst_guild_spec(fake: Any, voters: int, askers: int) -> tuple[dict[str, Any], Layout]:
    snow = fake.state.snowflake
    guild, general, boards, role, owner = snow(), snow(), snow(), snow(), snow()
    voter_ids = [snow() for _ in range(voters)]
    asker_ids = [snow() for _ in range(askers)]
    members = [{"id": str(owner), "name": "owner", "roles": [], "permissions": str(8)}]
    members += [{"id": str(u), "name": f"voter{n}", "roles": []} for n, u in enumerate(voter_ids)]
    members += [{"id": str(u), "name": f"asker{n}", "roles": []} for n, u in enumerate(asker_ids)]
    spec = {
        "id": str(guild),
        "name": "Burst guild",
        "owner_id": str(owner),
        "bot_role_position": 10,
        "channels": [
            {"id": str(general), "name": "general", "type": 0},
            {"id": str(boards), "name": "boards", "type": 0},
        ],
        "roles": [{"id": str(role), "name": "Voter", "permissions": "0", "position": 1, "mentionable": False}],
        "members": members,
    }
    layout = Layout(guild, general, role, 0, voter_ids, asker_ids)
    layout.top10[0] = boards  # the burst server's own board (its id is known once inserted)
    return spec, layout


async def insert_servers(pool: Any, rows: list[tuple[int, str | None]]) -> list[int]:
    """One default server per (guild, address); their ids in order."""
    records = await pool.fetch(
        """
        INSERT INTO servers (guild_id, name, vote_url, api_key_hash, address, game, is_default)
        SELECT g.guild_id, 'Server ' || g.n, 'https://example.com/' || g.n,
               encode(sha256(('scale-' || g.n || '-' || g.guild_id)::bytea), 'hex'), g.address,
               CASE WHEN g.address IS NULL THEN NULL ELSE 'minecraft' END, true
        FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS g(guild_id, address, n)
        ORDER BY g.n
        RETURNING id
        """,
        [guild for guild, _ in rows],
        [address for _, address in rows],
    )
    return [r["id"] for r in records]


async def enable(pool: Any, feature: str, rows: list[tuple[int, int | None, int | None]]) -> None:
    """``feature`` on for (server, channel, role) rows."""
    await pool.execute(
        """
        INSERT INTO server_features (server_id, feature, enabled, channel_id, role_id)
        SELECT s, $1, true, c, r FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS f(s, c, r)
        ON CONFLICT (server_id, feature) DO UPDATE SET enabled = true, channel_id = EXCLUDED.channel_id,
            role_id = EXCLUDED.role_id
        """,
        feature,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
    )


async def populate(pool: Any, fake: Any, sizes: Sizes, game: GameServers | None, layout: Layout) -> None:
    """The bulk guilds' servers (status boards first, then top-10 boards, the rest plain) and the burst server."""
    bulk = (
        fake.add_guilds_bulk({"count": sizes.guilds - 1, "channels_per_guild": 2})["guilds"] if sizes.guilds > 1 else []
    )
    rows: list[tuple[int, str | None]] = []
    for index, guild in enumerate(bulk):
        address = f"127.0.0.1:{game.ports[index]}" if game is not None and index < sizes.status_boards else None
        rows.append((int(guild["id"]), address))
    ids = await insert_servers(pool, rows)
    status_rows, top10_rows = [], []
    for index, (server_id, guild) in enumerate(zip(ids, bulk, strict=True)):
        board, general = int(guild["channels"][0]), int(guild["channels"][1])
        if index < sizes.status_boards:
            layout.status[server_id] = (index, board)
            layout.board_channel[board] = ("status", server_id)
            status_rows.append((server_id, board, None))
        elif index < sizes.status_boards + sizes.top10_boards - 1:
            layout.top10[server_id] = board
            layout.board_channel[board] = ("top10", server_id)
            top10_rows.append((server_id, board, None))
        if index % 7 == 0:
            layout.reminder_servers.append(server_id)
        del general
    await enable(pool, "status_board", status_rows)
    if sizes.interval != 60 and status_rows:
        await pool.execute(
            "INSERT INTO status_settings (server_id, interval_s) SELECT unnest($1::bigint[]), $2",
            [r[0] for r in status_rows],
            sizes.interval,
        )
    (burst,) = await insert_servers(pool, [(layout.burst_guild, None)])
    layout.burst_server = burst
    layout.top10[burst] = layout.top10.pop(0)
    top10_rows.append((burst, layout.top10[burst], None))
    await enable(pool, "top10_board", top10_rows)
    await enable(pool, "vote", [(burst, layout.general, layout.voter_role if sizes.voter_role else None)])
    await enable(pool, "reminders", [(s, None, None) for s in layout.reminder_servers])
    await pool.execute("ANALYZE")


def bot_env(fake: Any, database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "VOTEBOT_DATA_DIR": str(data_dir),
        "VOTEBOT_DISCORD__API_BASE_URL": fake.api_base_url,
        "VOTEBOT_WEBHOOKS__HOST": "127.0.0.1",
        "VOTEBOT_WEBHOOKS__PORT": str(free_port()),
        "VOTEBOT_VOTIFIER__ENABLED": "false",
        "VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES": "true",
        "VOTEBOT_LOG_LEVEL": "INFO",
    }


# --------------------------------------------------------------------------- the load


@dataclass
class Load:
    """What the driver did, with times (epoch seconds), for the analysis."""

    status_changes: list[tuple[float, int, int]] = field(default_factory=list)  # (time, server, players now)
    fan_votes: list[tuple[float, int, int]] = field(default_factory=list)  # (time recorded, server, fan's votes now)
    burst_votes: dict[str, float] = field(default_factory=dict)  # external id → time recorded
    vote_commands: list[tuple[float, str, str]] = field(default_factory=list)  # (time injected, interaction, phase)
    reminders_due: dict[int, float] = field(default_factory=dict)  # user → due time
    phase: str = "idle"
    phases: dict[str, float] = field(default_factory=dict)  # phase → when it began
    rss: list[tuple[float, float, float]] = field(default_factory=list)  # (time, bot MiB, children MiB)


async def inject_votes(fake: Any, layout: Layout, load: Load, stop: asyncio.Event) -> None:
    """A ``/vote`` every second in the burst guild, by a rotating member."""
    n = 0
    while not stop.is_set():
        user = layout.askers[n % len(layout.askers)]
        n += 1
        spec = {
            "guild_id": str(layout.burst_guild),
            "channel_id": str(layout.general),
            "user_id": str(user),
            "name": "vote",
        }
        began = time.time()
        with contextlib.suppress(Exception):
            created = await fake.interact(spec)
            load.vote_commands.append((began, created["interaction_id"], load.phase))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, 1.0 - (time.time() - began)))


async def change_players(game: GameServers, layout: Layout, sizes: Sizes, load: Load, stop: asyncio.Event) -> None:
    """``status_changes`` servers, each one more player once a minute at its own second."""
    status = sorted(layout.status.items())
    step = max(1, len(status) // max(1, sizes.status_changes))
    chosen = status[::step][: sizes.status_changes]
    start = time.time()
    due = [(start + random.uniform(0, 60), server, index) for server, (index, _board) in chosen]
    heapq.heapify(due)
    while not stop.is_set() and due:
        now = time.time()
        while due and due[0][0] <= now:
            _, server, index = heapq.heappop(due)
            load.status_changes.append((now, server, game.change(index)))
            heapq.heappush(due, (now + 60.0, server, index))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def fan_votes(pool: Any, layout: Layout, sizes: Sizes, load: Load, stop: asyncio.Event) -> None:
    """``board_votes`` votes a second into random top-10 servers, each by that server's one fan (so the fan's
    count on the board says which votes it shows)."""
    from bot.votes.ledger import VoteLedger
    from bot.votes.model import Vote

    ledger, servers = VoteLedger(pool), [s for s in layout.top10 if s != layout.burst_server]
    counts: Counter[int] = Counter()
    owed = 0.0
    last = time.time()
    while not stop.is_set() and servers:
        now = time.time()
        owed += (now - last) * sizes.board_votes
        last = now
        batch = []
        while owed >= 1:
            owed -= 1
            server = random.choice(servers)
            counts[server] += 1
            batch.append((server, counts[server]))
        if batch:
            when = dt.datetime.now(dt.UTC)
            await ledger.record_many(
                [Vote(s, "topserver", f"fan-{s}-{c}", when, player_name=f"Fan{s}") for s, c in batch]
            )
            recorded = time.time()
            load.fan_votes.extend((recorded, s, c) for s, c in batch)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def burst_votes(pool: Any, layout: Layout, sizes: Sizes, load: Load, until: float) -> None:
    """``burst_rate`` votes a minute into the burst guild until ``until``, each by another member (a linked
    player: named in the thank-you, and given the voter role)."""
    from bot.votes.ledger import VoteLedger
    from bot.votes.model import Vote

    ledger, sent, start = VoteLedger(pool), 0, time.time()
    while time.time() < until and sent < len(layout.voters):
        owed = min(len(layout.voters), int((time.time() - start) * sizes.burst_rate / 60.0) + 1)
        batch = []
        while sent < owed:
            batch.append(
                Vote(layout.burst_server, "topserver", f"burst{sent}", dt.datetime.now(dt.UTC),
                     player_name=f"Voter{sent}", discord_user_id=layout.voters[sent])
            )  # fmt: skip
            sent += 1
        if batch:
            await ledger.record_many(batch)
            recorded = time.time()
            load.burst_votes.update({v.external_id: recorded for v in batch})
        await asyncio.sleep(0.2)


async def schedule_reminders(pool: Any, fake: Any, layout: Layout, sizes: Sizes, load: Load, length: float) -> None:
    """``reminders`` a minute fall due over the window, each a DM to a member subscribed on a bulk server."""
    count = int(sizes.reminders * length / 60.0)
    if not count or not layout.reminder_servers:
        return
    start = dt.datetime.now(dt.UTC)
    rows = []
    for n in range(count):
        user = fake.state.snowflake()
        fake.add_user({"id": user, "name": f"reminded{n}"})
        due = start + dt.timedelta(seconds=n * 60.0 / sizes.reminders)
        rows.append((layout.reminder_servers[n % len(layout.reminder_servers)], user, due))
        load.reminders_due[user] = due.timestamp()
    servers, users, dues = ([r[i] for r in rows] for i in range(3))
    await pool.execute(
        "INSERT INTO reminder_subscriptions (server_id, discord_user_id) "
        "SELECT * FROM unnest($1::bigint[], $2::bigint[])",
        servers,
        users,
    )
    await pool.execute(
        "INSERT INTO reminders (server_id, discord_user_id, due_at) "
        "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[])",
        servers,
        users,
        dues,
    )


async def gateway_done(fake: Any, bot: BotProcess) -> float:
    """Seconds from the bot's start until the fake had sent READY and every GUILD_CREATE."""
    while True:
        if fake.gateway.all_ready() or not bot.alive:
            return time.time() - bot.started
        await asyncio.sleep(0.05)


async def sample_rss(bot: BotProcess, load: Load, stop: asyncio.Event) -> None:
    while not stop.is_set() and bot.alive:
        own, children = bot.rss_mib()
        load.rss.append((time.time(), own, children))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)


def board_posts(fake: Any, layout: Layout, seen: set[int], start: int) -> int:
    """Note the board channels with a posted message in the requests from ``start`` on; returns the new end."""
    requests = fake.state.requests
    end = len(requests)
    for entry in requests[start:end]:
        if entry["method"] == "POST" and entry["status"] == 200:
            found = MESSAGE_ROUTE.match(entry["path"])
            if found and found.group(2) is None and int(found.group(1)) in layout.board_channel:
                seen.add(int(found.group(1)))
    return end


async def progress(fake: Any, bot: BotProcess, pool: Any, layout: Layout, load: Load, stop: asyncio.Event) -> None:
    """Every 15 s: where the run is (so a stall shows where and with what numbers)."""
    last_count, last_time, last_cpu = len(fake.state.requests), time.time(), cpu_seconds(bot.pid)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 15.0)
        now, count, cpu = time.time(), len(fake.state.requests), cpu_seconds(bot.pid)
        limits = fake.ratelimits.stats()
        outbox = await pool.fetchval("SELECT count(*) FROM vote_outbox") if bot.alive else -1
        thanked = await pool.fetchval(
            "SELECT count(*) FROM vote_rewards WHERE server_id = $1 AND thanked_at IS NOT NULL", layout.burst_server
        )
        own, children = bot.rss_mib() if bot.alive else (0.0, 0.0)
        print(
            f"  [{load.phase:>7} +{now - load.phases.get(load.phase, now):4.0f} s] "
            f"REST {(count - last_count) / (now - last_time):5.1f}/s, "
            f"429s {limits['429']}, bot CPU {100 * (cpu - last_cpu) / (now - last_time):3.0f}%, RSS {own:.0f} MiB "
            f"(+{children:.0f} children), outbox {outbox}, burst thanked {thanked}/{len(load.burst_votes)}",
            flush=True,
        )
        last_count, last_time, last_cpu = count, now, cpu


# --------------------------------------------------------------------------- analysis


@dataclass
class Figures:
    lines: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool, str]] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)

    def target(self, name: str, met: bool, shown: str) -> None:
        self.targets.append((name, met, shown))


def shown_count(kind: str, server: int, body: Any) -> int:
    """What a board request shows: the players (status board) or the server's fan's votes (top-10 board)."""
    embeds = (body or {}).get("embeds") or [] if isinstance(body, dict) else []
    for embed in embeds:
        if kind == "status":
            for fld in embed.get("fields") or []:
                if fld.get("name") == "Players":
                    return int(str(fld.get("value", "0")).split("/")[0].replace(",", ""))
        else:
            for found in FAN_COUNT.finditer(embed.get("description") or ""):
                if int(found.group(1)) == server:
                    return int(found.group(2))
    return 0


def staleness(
    changes: list[tuple[float, int, int]], edits: dict[int, list[tuple[float, int]]], judged_before: float, end: float
) -> tuple[list[float], int, list[tuple[float, int, int, float]]]:
    """Seconds from each change to the first board request showing it (or something newer); changes after
    ``judged_before`` are left out (too late to tell); unshown ones count as ``end - change`` (a lower bound)."""
    delays, unshown, matched = [], 0, []
    for when, server, count in changes:
        if when > judged_before:
            continue
        shown = next((t for t, c in edits.get(server, []) if t >= when and c >= count), None)
        if shown is None:
            unshown += 1
            delays.append(end - when)
        else:
            delays.append(shown - when)
            matched.append((when, server, count, shown))
    return delays, unshown, matched


def analyse(
    fake: Any, layout: Layout, load: Load, game: GameServers, sizes: Sizes, marks: dict[str, float], out: Figures,
    thanks: list[tuple[str, float | None, int | None]],
) -> None:  # fmt: skip
    requests = list(fake.state.requests)
    ready, end = marks["ready"], marks["end"]
    limited = [e["time"] for e in requests if not e["path"].startswith(EXEMPT) and ready <= e["time"] <= end]
    spans = [("warm-up", ready, marks["warm"]), ("idle", marks["idle"], marks["burst"]),
             ("burst", marks["burst"], marks["drain"]), ("drain", marks["drain"], end)]  # fmt: skip
    out.say("\nREST requests seen by the fake (bot token, outside interaction callbacks and follow-ups):")
    whole = len(limited) / max(1e-9, end - ready)
    worst = busiest(limited, 1.0)
    out.say(f"  whole run: {whole:.1f}/s mean ({whole / GLOBAL_LIMIT:.0%} of the {GLOBAL_LIMIT}/s global limit), "
            f"worst 1 s window {worst} ({worst / GLOBAL_LIMIT:.0%})")  # fmt: skip
    for name, start, stop in spans:
        inside = [t for t in limited if start <= t < stop]
        if stop > start:
            out.say(f"  {name:>8}: {len(inside) / (stop - start):5.1f}/s mean over {stop - start:.0f} s, "
                    f"worst 1 s {busiest(inside, 1.0)}")  # fmt: skip
    by_route: Counter[str] = Counter()
    for entry in requests:
        if ready <= entry["time"] <= end and not entry["path"].startswith(EXEMPT):
            by_route[entry["method"] + " " + re.sub(r"\d{5,}", "{id}", entry["path"])] += 1
    out.say("  busiest routes: " + ", ".join(f"{route} {n}" for route, n in by_route.most_common(6)))

    # ---- boards
    edits: dict[int, list[tuple[float, int]]] = defaultdict(list)
    board_requests: Counter[str] = Counter()
    for entry in requests:
        found = MESSAGE_ROUTE.match(entry["path"])
        if not found or entry["method"] not in ("POST", "PATCH") or int(found.group(1)) not in layout.board_channel:
            continue
        kind, server = layout.board_channel[int(found.group(1))]
        board_requests[f"{kind} {entry['method']} {entry['status']}"] += 1
        if entry["status"] == 200:
            edits[server].append((entry["time"], shown_count(kind, server, entry.get("json"))))
    out.say("\nBoards (requests by board kind, method and status): "
            + ", ".join(f"{k} {n}" for k, n in sorted(board_requests.items())))  # fmt: skip
    status_delays, status_unshown, matched = staleness(load.status_changes, edits, end - sizes.interval - 5, end)
    lags = []
    for when, server, count, shown in matched:
        probe = game.first_probe(layout.status[server][0], when, count)
        if probe is not None:
            lags.append(shown - probe)
    p99_status = percentile(status_delays, 0.99)
    out.say(f"  status boards: {len(status_delays)} player changes judged ({status_unshown} never shown); staleness "
            f"p50 {secs(percentile(status_delays, 0.5))}, p99 {secs(p99_status)}, "
            f"max {secs(max(status_delays, default=nan))} "
            f"(refresh interval: the {sizes.interval} s check); from the probe that saw it to the board: "
            f"p50 {ms(percentile(lags, 0.5))}, p99 {ms(percentile(lags, 0.99))}")  # fmt: skip
    out.target(f"status board staleness p99 < {sizes.interval} s (its check interval)", p99_status < sizes.interval,
               secs(p99_status))  # fmt: skip
    top_delays, top_unshown, _ = staleness(load.fan_votes, edits, end - 2 * TOP10_TICK, end)
    p99_top = percentile(top_delays, 0.99)
    out.say(
        f"  top-10 boards: {len(top_delays)} votes judged ({top_unshown} never shown); staleness "
        f"p50 {secs(percentile(top_delays, 0.5))}, p99 {secs(p99_top)}, max {secs(max(top_delays, default=nan))} "
        f"(refresh interval {TOP10_REFRESH / 60:.0f} min; a vote marks the board for the next {TOP10_TICK:.0f} s tick)"
    )
    for name, start, stop in spans[1:]:
        votes = [v for v in load.fan_votes if start <= v[0] < stop]
        delays, unshown, _ = staleness(votes, edits, end - 2 * TOP10_TICK, end)
        if delays:
            out.say(
                f"    votes recorded in the {name} phase: {len(delays)} ({unshown} never shown), "
                f"p50 {secs(percentile(delays, 0.5))}, p99 {secs(percentile(delays, 0.99))}"
            )
    minutes = TOP10_REFRESH / 60
    out.target(f"top-10 board staleness p99 < {minutes:.0f} min (its refresh interval)", p99_top < TOP10_REFRESH,
               secs(p99_top))  # fmt: skip
    out.target(f"(stricter) top-10 board staleness p99 < {TOP10_TICK:.0f} s board tick + 5 s",
               p99_top < TOP10_TICK + 5, secs(p99_top))  # fmt: skip

    # ---- the burst: thank-yous and roles
    from tests.e2e.engagement_helpers import UNNAMED, thanked_voters

    out.say(f"\nBurst: {len(load.burst_votes)} votes into one guild at {sizes.burst_rate}/min over {sizes.burst:.0f} s")
    delays, unthanked = [], 0
    for external_id, _thanked_at, message_id in thanks:
        message = fake.message(message_id) if message_id else None
        if message is None:
            unthanked += 1
            continue
        posted = dt.datetime.fromisoformat(str(message["timestamp"])).timestamp()
        delays.append(posted - load.burst_votes[external_id])
    posts = [m for m in fake.messages(layout.general) if str(m.get("content") or "").startswith("🎉")]
    stamps = [dt.datetime.fromisoformat(str(m["timestamp"])).timestamp() for m in posts]
    voters = thanked_voters([str(m["content"]) for m in posts])
    named = [v for v in voters if v != UNNAMED]
    out.say(f"  thank-you posts: {len(posts)} (busiest 5 s: {busiest(stamps, 5.0)} posts), thanking {len(voters)} "
            f"voters ({len(named) - len(set(named))} named twice); not thanked by the end: {unthanked}")  # fmt: skip
    out.say(f"  thank-you delay (vote recorded → the post thanking it): p50 {secs(percentile(delays, 0.5))}, "
            f"p99 {secs(percentile(delays, 0.99))}, max {secs(max(delays, default=nan))}")  # fmt: skip
    role_path = re.compile(rf"^/guilds/{layout.burst_guild}/members/(\d+)/roles/{layout.voter_role}$")
    given: dict[int, list[float]] = defaultdict(list)
    role_statuses: Counter[int] = Counter()
    for entry in requests:
        found = role_path.match(entry["path"]) if entry["method"] == "PUT" else None
        if found:
            role_statuses[entry["status"]] += 1
            if entry["status"] == 204:
                given[int(found.group(1))].append(entry["time"])
    voter_of = {f"burst{n}": user for n, user in enumerate(layout.voters)}
    role_delays = [given[voter_of[e]][0] - t for e, t in load.burst_votes.items() if given.get(voter_of[e])]
    twice = sum(len(times) - 1 for times in given.values())
    out.say(f"  voter roles: {len(given)}/{len(load.burst_votes)} voters given the role, {twice} given twice; "
            f"role requests by status {dict(role_statuses)}; delay p50 {secs(percentile(role_delays, 0.5))}, "
            f"p99 {secs(percentile(role_delays, 0.99))} (Discord: 10 role changes per 10 s per guild)")  # fmt: skip

    # ---- /vote
    out.say("\n/vote (injected every second in the burst guild; injection → first response):")
    latency: dict[str, list[float]] = defaultdict(list)
    unanswered: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    for began, interaction_id, phase in load.vote_commands:
        responses = fake.responses(interaction_id)
        if not responses:
            unanswered[phase] += 1
            latency[phase].append(30.0)
            continue
        latency[phase].append(responses[0]["time"] - began)
        data = responses[0].get("data") or {}
        answers[(data.get("content") or ((data.get("embeds") or [{}])[0].get("title") or "?"))[:50]] += 1
    for phase in ("idle", "burst", "drain"):
        values = latency.get(phase, [])
        out.say(f"  {phase:>5}: {len(values)} commands, p50 {ms(percentile(values, 0.5))}, "
                f"p99 {ms(percentile(values, 0.99))}, "
                f"max {ms(max(values, default=nan))}, unanswered {unanswered[phase]}")  # fmt: skip
    idle99, burst99 = percentile(latency["idle"], 0.99), percentile(latency["burst"], 0.99)
    if idle99 == idle99 and burst99 == burst99 and idle99 > 0:
        out.say(f"  burst p99 / idle p99 = {burst99 / idle99:.1f}×")
    out.say("  answers: " + "; ".join(f"{n}× {text!r}" for text, n in answers.most_common(3)))
    out.target("/vote p99 < 1 s during the burst", burst99 < 1.0, ms(burst99))

    # ---- reminders
    dm_sent: dict[int, float] = {}
    dm_opens = 0
    for entry in requests:
        if entry["method"] == "POST" and entry["path"] == "/users/@me/channels":
            dm_opens += 1
        found = MESSAGE_ROUTE.match(entry["path"])
        if found and entry["method"] == "POST" and entry["status"] == 200 and found.group(2) is None:
            channel = fake.state.channels.get(int(found.group(1))) or {}
            if channel.get("type") == 1 and channel.get("recipient_id") in load.reminders_due:
                dm_sent.setdefault(channel["recipient_id"], entry["time"])
    due_by_end = [u for u, t in load.reminders_due.items() if t <= end - 25]
    late = [dm_sent[u] - load.reminders_due[u] for u in due_by_end if u in dm_sent]
    out.say(f"\nReminders: {len(load.reminders_due)} scheduled at {sizes.reminders}/min, {len(due_by_end)} due 25 s "
            f"before the end, {len(late)} of those sent as DMs ({dm_opens} DM channel opens); lateness p50 "
            f"{secs(percentile(late, 0.5))}, p99 {secs(percentile(late, 0.99))} (swept every 20 s)")  # fmt: skip


# --------------------------------------------------------------------------- the runs


async def new_pool(url: str) -> Any:
    from bot.db.pool import PoolDefaults, create_pool

    return await create_pool(url, PoolDefaults(min_pool_size=1, max_pool_size=4, command_timeout=600))


async def baseline(cluster: Any, sizes: Sizes, work: Path) -> tuple[float, float, float]:
    """The bot with 1 guild (the burst guild's set-up, one server with a top-10 board): (ready s, RSS, children)."""
    from tests.fakediscord import FakeDiscord

    async with FakeDiscord(rate_limits=True) as fake:
        spec, layout = burst_guild_spec(fake, 1, 1)
        fake.add_guild(spec)
        url = await cluster.create_database()
        pool = await new_pool(url)
        await populate(pool, fake, replace(sizes, guilds=1, status_boards=0, top10_boards=1), None, layout)
        bot = BotProcess(bot_env(fake, url, work / "baseline"), work / "baseline")
        await bot.start()
        try:
            ready = await bot.wait_ready(120)
            samples = []
            for _ in range(5):
                await asyncio.sleep(2)
                samples.append(bot.rss_mib())
        finally:
            await bot.stop()
            await pool.close()
    return ready, statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


async def scale(cluster: Any, sizes: Sizes, work: Path, out: Figures, base: tuple[float, float, float]) -> None:
    from tests.fakediscord import FakeDiscord

    load = Load()
    marks: dict[str, float] = {}
    async with FakeDiscord(rate_limits=True) as fake:
        fake.ratelimits.configure({"old_message_age": sizes.old_after})
        voters = int(sizes.burst_rate * sizes.burst / 60) + 10
        spec, layout = burst_guild_spec(fake, voters, 20)
        fake.add_guild(spec)
        game = GameServers(sizes.status_boards)
        await game.start()
        url = await cluster.create_database()
        pool = await new_pool(url)
        began = time.time()
        await populate(pool, fake, sizes, game, layout)
        print(f"set up {sizes.guilds} guilds, {sizes.guilds} servers, {len(layout.status)} status boards "
              f"({sizes.status_boards} loopback responders), {len(layout.top10)} top-10 boards in "
              f"{time.time() - began:.1f} s", flush=True)  # fmt: skip
        bot = BotProcess(bot_env(fake, url, work / "scale"), work / "scale")
        await bot.start()
        stop_all, stop_load = asyncio.Event(), asyncio.Event()
        watcher = asyncio.create_task(progress(fake, bot, pool, layout, load, stop_all))
        try:
            load.phases["start"] = bot.started
            load.phase = "start"
            xacts = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            xacts_start = await pool.fetchval(xacts)
            gateway = asyncio.create_task(gateway_done(fake, bot))
            ready_s = await bot.wait_ready(600)
            marks["ready"] = bot.ready_at or time.time()
            rss_ready = bot.rss_mib()
            sent_s = await gateway
            await asyncio.sleep(1.5)  # PostgreSQL's statistics are flushed about every second
            xacts_ready = await pool.fetchval(xacts) - xacts_start
            print(f"ready after {ready_s:.1f} s in {bot.ready_guilds} guilds; RSS {rss_ready[0]:.0f} MiB", flush=True)

            load.phase, load.phases["warm-up"] = "warm-up", time.time()
            posted: set[int] = set()
            cursor = 0
            deadline = time.time() + sizes.warmup
            while len(posted) < len(layout.board_channel) and time.time() < deadline and bot.alive:
                cursor = board_posts(fake, layout, posted, cursor)
                await asyncio.sleep(1)
            marks["warm"] = time.time()
            warm_s = marks["warm"] - marks["ready"]
            print(f"boards posted: {len(posted)}/{len(layout.board_channel)} after {warm_s:.0f} s", flush=True)

            load.phase = "idle"
            marks["idle"] = load.phases["idle"] = time.time()
            window = sizes.idle + sizes.burst
            await schedule_reminders(pool, fake, layout, sizes, load, window)
            tasks = [
                asyncio.create_task(inject_votes(fake, layout, load, stop_all)),
                asyncio.create_task(change_players(game, layout, sizes, load, stop_load)),
                asyncio.create_task(fan_votes(pool, layout, sizes, load, stop_load)),
                asyncio.create_task(sample_rss(bot, load, stop_all)),
            ]
            await asyncio.sleep(sizes.idle)
            load.phase = "burst"
            marks["burst"] = load.phases["burst"] = time.time()
            await burst_votes(pool, layout, sizes, load, time.time() + sizes.burst)
            load.phase = "drain"
            marks["drain"] = load.phases["drain"] = time.time()
            stop_load.set()
            at_least, at_most = time.time() + sizes.interval + 10, time.time() + sizes.drain
            while time.time() < at_most and bot.alive:
                thanked = await pool.fetchval(
                    "SELECT count(*) FROM vote_rewards WHERE server_id = $1 AND thanked_at IS NOT NULL",
                    layout.burst_server,
                )
                if time.time() >= at_least and thanked >= len(load.burst_votes):
                    break
                await asyncio.sleep(1)
            marks["end"] = time.time()
            stop_all.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            rss_end = bot.rss_mib()
            cpu = cpu_seconds(bot.pid)
            limits = fake.ratelimits.stats()
            thanks = [
                (r["external_id"], r["thanked_at"], r["thanked_message_id"])
                for r in await pool.fetch(
                    "SELECT v.external_id, r.thanked_at, r.thanked_message_id FROM vote_rewards r "
                    "JOIN votes v ON v.id = r.vote_id WHERE r.server_id = $1",
                    layout.burst_server,
                )
            ]
            outbox = await pool.fetchval("SELECT count(*) FROM vote_outbox")
            dead = await pool.fetchval("SELECT count(*) FROM vote_dead_letters")
        finally:
            stop_all.set()
            watcher.cancel()
            await bot.stop()
            await pool.close()
            await game.stop()

        run_s = marks["end"] - bot.started
        out.say(
            f"\n=== {sizes.guilds} guilds, {len(layout.status)} status boards, {len(layout.top10)} top-10 boards ==="
        )
        out.say(f"time to ready: {ready_s:.1f} s (process start → on_ready in {bot.ready_guilds} guilds; 1 guild: "
                f"{base[0]:.1f} s); the fake had sent READY and every GUILD_CREATE {sent_s:.1f} s after the start; "
                f"first posting of every board: {warm_s:.0f} s more ({len(posted)}/{len(layout.board_channel)} "
                f"posted)")  # fmt: skip
        out.say(f"database transactions from the start to 1.5 s after ready: {xacts_ready} "
                f"({xacts_ready / sizes.guilds:.1f} per guild)")  # fmt: skip
        peak = max([r[1] for r in load.rss] + [rss_end[0], rss_ready[0], bot.peak_rss_kib / 1024])
        per_guild = (rss_end[0] - base[1]) / max(1, sizes.guilds - 1) * 1024
        out.say(f"RSS of the bot process: {rss_ready[0]:.0f} MiB at ready, {rss_end[0]:.0f} MiB at the end, peak "
                f"{peak:.0f} MiB (+{rss_end[1]:.0f} MiB in child processes); with 1 guild {base[1]:.0f} MiB "
                f"(+{base[2]:.0f}): {rss_end[0] / base[1]:.1f}× the 1-guild bot, "
                f"{per_guild:.0f} KiB per extra guild")  # fmt: skip
        out.say(f"bot CPU: {cpu:.0f} s over {run_s:.0f} s ({100 * cpu / run_s:.0f}% of one core)")
        out.target("RSS < 1 GiB", peak < GIB, f"{peak:.0f} MiB")
        out.target("ready < 60 s", ready_s < 60, f"{ready_s:.1f} s")
        out.say("\nRate limits (the fake's limiter):")
        out.say(f"  429s by kind: {limits['429']}; predictable 429s: {limits['predictable_429s']} "
                f"{limits.get('predictable_by_kind', {})}; answers by status: {limits['by_status']}")  # fmt: skip
        out.say(f"  invalid requests (401/403/429) in the last 10 minutes: {limits['invalid_requests_10min']} "
                f"(Discord bans at 10,000); in all: {limits['invalid_requests_total']}")  # fmt: skip
        for bucket in (limits.get("buckets") or [])[:8]:
            out.say(f"  bucket that answered 429: {bucket}")
        out.target("no predictable 429", limits["predictable_429s"] == 0, str(limits["predictable_429s"]))
        unpredicted = sum(limits["429"].values()) - limits["predictable_429s"]
        out.say(f"  429s the bot could not foresee (first global / old-message 429s, injected): {unpredicted}")
        out.say(f"  vote outbox at the end: {outbox} rows waiting; dead letters: {dead}")
        analyse(fake, layout, load, game, sizes, marks, out, thanks)
        if bot.warnings:
            out.say("\nbot warnings and errors (by logger and first words):")
            for text, n in bot.warnings.most_common(12):
                out.say(f"  {n:6}× {text}\n          e.g. {bot.examples[text]}")


async def main(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else Sizes()
    overrides = {k: v for k, v in vars(args).items() if k in Sizes.__dataclass_fields__ and v is not None}
    sizes = replace(sizes, **overrides)
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="votebot-bench-run-"))
    from tests.pg import start_cluster

    print(f"scale benchmark: {sizes}; {os.cpu_count()} CPUs", flush=True)
    out = Figures()
    cluster, server = await asyncio.to_thread(start_cluster)
    try:
        with tempfile.TemporaryDirectory(prefix="votebot-scale-") as work:
            base = await baseline(cluster, sizes, Path(work))
            print(f"baseline (1 guild): ready in {base[0]:.1f} s, RSS {base[1]:.0f} MiB (+{base[2]:.0f} children)",
                  flush=True)  # fmt: skip
            await scale(cluster, sizes, Path(work), out, base)
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
    print("\nTargets:")
    for name, met, shown in out.targets:
        print(f"  [{'met' if met else 'NOT MET'}] {name}: {shown}")
    return 0 if all(met for _, met, _ in out.targets) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 guilds, 500 boards of each kind, a 60 s window")
    parser.add_argument("--guilds", type=int)
    parser.add_argument("--status-boards", dest="status_boards", type=int)
    parser.add_argument("--top10-boards", dest="top10_boards", type=int)
    parser.add_argument("--burst-rate", dest="burst_rate", type=int, help="votes a minute into the burst guild")
    parser.add_argument("--idle", type=float, help="seconds of the window before the burst")
    parser.add_argument("--burst", type=float, help="seconds of the burst")
    parser.add_argument("--drain", type=float, help="at most this many seconds after the burst")
    parser.add_argument("--interval", type=int, help="status check interval, seconds (30-3600)")
    parser.add_argument(
        "--status-changes", dest="status_changes", type=int, help="servers whose players change a minute"
    )
    parser.add_argument("--board-votes", dest="board_votes", type=float, help="votes a second into top-10 servers")
    parser.add_argument("--reminders", type=int, help="reminders falling due a minute")
    parser.add_argument("--warmup", type=float, help="at most this many seconds for the first posting of the boards")
    parser.add_argument("--old-after", dest="old_after", type=float, help="seconds before a message is 'old'")
    parser.add_argument(
        "--no-voter-role", dest="voter_role", action="store_const", const=False, help="the burst gives no role"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
