"""The audit log: what the services record (with the actor in force, only what changed), paging, and the lines
people read."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg

from bot.app.extensions import features
from bot.core.audit import Actor, acting_as, current_actor, record_change
from bot.core.audit_texts import describe, who
from bot.core.i18n import language, speaking
from bot.core.scheduling import Scheduler
from bot.core.servers import ServerService
from bot.db.audit import AuditEntry, AuditRepository
from bot.db.records import Server
from tests.clock import MovableClock

GUILD = 4242
ADMIN = Actor("discord", 77, "alice")


async def linked(pool: asyncpg.Pool) -> tuple[ServerService, Server]:
    service = ServerService(pool, features())
    return service, (await service.add(guild_id=GUILD, name="Survival", vote_url="https://e.com/v")).server


async def entries(pool: asyncpg.Pool, server: Server) -> list[AuditEntry]:
    return await AuditRepository(pool).list_for_server(server.id)


async def test_without_an_actor_nothing_is_recorded(pool: asyncpg.Pool) -> None:
    service, server = await linked(pool)  # the bot's own work (and tests' set-up) act as no one
    await service.switch_feature(server, "reminders", enabled=True, channel_id=5)
    await service.update_options(server, timezone="Europe/Paris")
    await service.set_state(server.id, "reminders", "board", {"digest": "x"})
    assert await entries(pool, server) == []


async def test_switches_record_only_what_changed(pool: asyncpg.Pool) -> None:
    service, server = await linked(pool)
    with acting_as(ADMIN):
        await service.switch_feature(server, "reminders", enabled=True, channel_id=5)
        await service.switch_feature(server, "reminders", enabled=True, channel_id=5)  # nothing changed
        await service.configure(server, "top10_board", channel_id=6, settings={"board_refresh": 15})
        await service.configure(server, "top10_board", settings={"board_refresh": 15})  # the same again
        await service.switch_feature(server, "reminders", enabled=False)
        await service.switch_feature(server, "all", enabled=False)
        await service.switch_feature(server, "all", enabled=False)  # already off
        await service.update_options(server, timezone="Europe/Paris", cooldown_hours=12)  # the cooldown is 12 h
        await service.set_state(server.id, "top10_board", "board", {"digest": "x"})  # bookkeeping: not a change
    found = await entries(pool, server)
    assert [(e.action, e.details) for e in reversed(found)] == [
        ("feature.on", {"feature": "reminders", "channel_id": [None, 5]}),
        (
            "feature.configure",
            {"feature": "top10_board", "channel_id": [None, 6], "settings": {"refresh_minutes": [10, 15]}},
        ),
        ("feature.off", {"feature": "reminders"}),
        ("master.off", {}),
        ("server.options", {"changes": {"timezone": ["UTC", "Europe/Paris"]}}),
    ]
    assert {(e.source, e.user_id, e.actor, e.server_id, e.guild_id) for e in found} == {
        ("discord", 77, "alice", server.id, GUILD)
    }


async def test_a_change_refused_records_nothing(pool: asyncpg.Pool) -> None:
    service, server = await linked(pool)
    with acting_as(ADMIN):
        try:
            await service.switch_feature(server, "reminders", enabled=True)  # needs a channel
        except Exception as exc:
            assert "channel" in str(exc)
    assert await entries(pool, server) == []


async def test_newest_first_and_paging_and_a_removed_servers_log_stays(pool: asyncpg.Pool) -> None:
    _, server = await linked(pool)
    repo = AuditRepository(pool)
    with acting_as(Actor("cli", None, "root")):
        for number in range(5):
            await record_change(pool, server, "server.options", {"changes": {"category": [None, f"c{number}"]}})
    first = await repo.list_for_server(server.id, limit=2)
    assert [e.details["changes"]["category"][1] for e in first] == ["c4", "c3"]
    rest = await repo.list_for_server(server.id, limit=10, before_id=first[-1].id)
    assert [e.details["changes"]["category"][1] for e in rest] == ["c2", "c1", "c0"]
    assert await repo.list_for_server(server.id + 1) == []
    await pool.execute("DELETE FROM servers WHERE id = $1", server.id)
    assert len(await repo.list_for_server(server.id)) == 5


def entry(action: str, details: dict[str, object], source: str = "discord") -> AuditEntry:
    at = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)
    return AuditEntry(1, 2, GUILD, at, source, 77 if source != "cli" else None, "alice", action, details)


EXPECTED = [
    ("server.add", {"name": "Survival"}, "Linked the game server Survival"),
    (
        "server.options",
        {"changes": {"timezone": ["UTC", "Europe/Paris"], "vote_cooldown": [43200, 86400], "category": [None, "pvp"]}},
        "Changed the time zone from UTC to Europe/Paris; Changed the vote cooldown from 12 hr to 1 day; "
        "Changed the category from none to pvp",
    ),
    ("server.default", {"name": "Survival"}, "Made Survival the default game server"),
    ("server.remove", {"name": "Survival"}, "Removed the game server Survival"),
    ("master.on", {}, "Turned the master switch on: the features that are on run again"),
    ("master.off", {}, "Turned the master switch off: every feature is paused"),
    ("feature.on", {"feature": "reminders", "channel_id": [None, 123]}, "Turned on Vote reminders in channel 123"),
    ("feature.on", {"feature": "giveaways"}, "Turned on Giveaways"),
    ("feature.off", {"feature": "reminders"}, "Turned off Vote reminders"),
    (
        "feature.configure",
        {"feature": "top10_board", "channel_id": [5, 6], "settings": {"refresh_minutes": [10, 15]}},
        "Changed Live top-10 voters board: channel from 5 to 6, "
        "board refresh from every 10 minutes to every 15 minutes",
    ),
    (
        "provider.secret",
        {"provider": "topserver", "label": "Top-Server", "fingerprint": "sha256:ab12cd34"},
        "Stored a new Top-Server secret (fingerprint sha256:ab12cd34)",
    ),
    (
        "provider.secret",
        {"provider": "votifier", "label": "Votifier", "fingerprint": "sha256:ab12cd34", "service": "hub"},
        "Stored a new Votifier token for the service hub (fingerprint sha256:ab12cd34)",
    ),
    (
        "forwarding.add",
        {"name": "hub", "where": "mc.example.com:8192"},
        "Added the vote destination hub (mc.example.com:8192)",
    ),
    ("forwarding.remove", {"name": "hub"}, "Removed the vote destination hub"),
    ("forwarding.pause", {"name": "hub"}, "Paused the vote destination hub"),
    ("forwarding.resume", {"name": "hub"}, "Resumed the vote destination hub"),
    ("forwarding.replay", {"name": "hub", "count": 3}, "Queued 3 dead letters of hub again"),
    (
        "giveaway.create",
        {"giveaway_id": 4, "prize": "VIP", "channel_id": 9, "ends_at": "2026-12-02T20:00:00+00:00"},
        "Started giveaway #4 (VIP) in channel 9, ending 2026-12-02 20:00 UTC",
    ),
    ("giveaway.end", {"giveaway_id": 4, "prize": "VIP"}, "Ended giveaway #4 (VIP) early"),
    ("giveaway.cancel", {"giveaway_id": 4, "prize": "VIP"}, "Cancelled giveaway #4 (VIP)"),
    ("giveaway.reroll", {"giveaway_id": 4, "prize": "VIP"}, "Rerolled giveaway #4 (VIP)"),
    (
        "wipe.create",
        {"wipe_id": 3, "title": "Big wipe", "starts_at": "2026-12-05T18:00:00+00:00"},
        "Planned wipe #3 “Big wipe” for 2026-12-05 18:00 UTC",
    ),
    ("wipe.cancel", {"wipe_id": 3, "title": "Big wipe"}, "Removed the planned wipe #3 “Big wipe”"),
    (
        "wipe.move",
        {"wipe_id": 3, "title": "Big wipe", "starts_at": ["2026-12-05T18:00:00+00:00", "2026-12-06T18:00:00+00:00"]},
        "Moved wipe #3 “Big wipe” from 2026-12-05 18:00 UTC to 2026-12-06 18:00 UTC",
    ),
    ("something.new", {}, "something.new"),
]


def test_describe_every_action_in_english() -> None:
    registry = features()
    assert [describe(entry(action, details), registry) for action, details, _ in EXPECTED] == [
        text for _, _, text in EXPECTED
    ]
    assert who(entry("master.on", {})) == "alice (Discord)"
    assert who(entry("master.on", {}, "cli")) == "alice (command line)"


def test_describe_in_french_uses_the_french_names() -> None:
    french = language("fr")
    assert french is not None
    with speaking(french):
        text = describe(entry("feature.on", {"feature": "reminders", "channel_id": [None, 123]}), features())
        cooldown = describe(entry("server.options", {"changes": {"vote_cooldown": [43200, 86400]}}), features())
    assert "Rappels de vote" in text and "123" in text  # the feature's French label
    assert "12\u202fh" in cooldown and "1\u202fj" in cooldown and "Vote reminders" not in text


async def test_scheduled_work_woken_by_an_admin_runs_as_the_bot() -> None:
    """APScheduler's callbacks copy the context of whoever woke it (an admin's command): its jobs still act as no
    one, so what they change (a giveaway ending on time) is never logged as that admin's."""
    seen: list[Actor | None] = []
    done = asyncio.Event()

    async def job() -> None:
        seen.append(current_actor())
        done.set()

    scheduler = Scheduler(MovableClock())
    scheduler.start()
    try:
        with acting_as(ADMIN):  # a wake-up a moment later runs from the timer the admin's context set
            scheduler.at("audit:test", scheduler.clock() + dt.timedelta(seconds=0.2), job)
        await asyncio.wait_for(done.wait(), 10)
    finally:
        scheduler.shutdown()
    assert seen == [None]
