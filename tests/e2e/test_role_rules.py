"""Who may make which role a feature's role (issue 11, finding 6): the invoking member's rights, not only the bot's.

A member with Manage Server but not Manage Roles must not make a role the voter or top-voter role and then earn
it by voting; nobody (the owner neither) may have the bot hand out a role with moderator powers; a role that is
not mentionable may be pinged only on behalf of a member who could ping it; and a role that gained such powers
after it was configured is not handed out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from tests.e2e.engagement_helpers import (
    delivered,
    link_in_game,
    make_server,
    member_roles,
    record_vote,
    sent,
    wait_until,
)
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, ROLE_VOTER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import (
    ADMINISTRATOR,
    DEFAULT_BOT_ROLE_PERMISSIONS,
    MANAGE_GUILD,
    MANAGE_ROLES,
    MENTION_EVERYONE,
)

KICK_MEMBERS = 1 << 1

# the harness's guild: the bot's role sits at position 10, ROLE_VOTER (mentionable, no permissions) at 1
ROLE_QUIET = 1_100_000_000_000_000_300  # position 2, not mentionable
ROLE_ADMINS = 1_100_000_000_000_000_301  # position 3, Administrator
ROLE_BOUNCERS = 1_100_000_000_000_000_302  # position 3, Kick Members
ROLE_MODS = 1_100_000_000_000_000_303  # position 4, Manage Server
ROLE_MANAGERS = 1_100_000_000_000_000_304  # position 6, Manage Server + Manage Roles
ROLE_CREW = 1_100_000_000_000_000_305  # position 8, no permissions: the managers' top role
ROLE_PEER = 1_100_000_000_000_000_306  # position 9: above the managers, below the bot
MOD = 1_100_000_000_000_000_400  # Manage Server only
MANAGER = 1_100_000_000_000_000_401  # Manage Server + Manage Roles, top role ROLE_CREW
PINGER = 1_100_000_000_000_000_402  # Manage Server + Manage Roles + Mention Everyone

ROLES: list[dict[str, Any]] = [
    {"id": ROLE_QUIET, "name": "Quiet", "permissions": 0, "position": 2, "mentionable": False},
    {"id": ROLE_ADMINS, "name": "Admins", "permissions": ADMINISTRATOR, "position": 3, "mentionable": True},
    {"id": ROLE_BOUNCERS, "name": "Bouncers", "permissions": KICK_MEMBERS, "position": 3, "mentionable": True},
    {"id": ROLE_MODS, "name": "Mods", "permissions": MANAGE_GUILD, "position": 4},
    {"id": ROLE_MANAGERS, "name": "Role managers", "permissions": MANAGE_GUILD | MANAGE_ROLES, "position": 6},
    {"id": ROLE_CREW, "name": "Crew", "permissions": 0, "position": 8, "mentionable": True},
    {"id": ROLE_PEER, "name": "Peer", "permissions": 0, "position": 9, "mentionable": True},
]


async def staff(runner: BotRunner, fake: FakeDiscord) -> None:
    """The roles above and three members whose permissions come from their roles (as on Discord)."""
    for role in ROLES:
        fake.add_role({"guild_id": GUILD_ID, **role})
    fake.add_member({"guild_id": GUILD_ID, "id": MOD, "name": "mod", "roles": [ROLE_MODS]})
    fake.add_member({"guild_id": GUILD_ID, "id": MANAGER, "name": "manager", "roles": [ROLE_MANAGERS, ROLE_CREW]})
    pinger_role = 1_100_000_000_000_000_307
    fake.add_role(
        {
            "guild_id": GUILD_ID,
            "id": pinger_role,
            "name": "Pingers",
            "permissions": MANAGE_GUILD | MANAGE_ROLES | MENTION_EVERYONE,
            "position": 5,
        }
    )
    fake.add_member({"guild_id": GUILD_ID, "id": PINGER, "name": "pinger", "roles": [pinger_role]})
    guild = runner.running.get_guild(GUILD_ID)
    assert guild is not None
    await wait_until(lambda: all(guild.get_role(r["id"]) is not None for r in ROLES) and guild.get_role(pinger_role))


async def role_of(pool: asyncpg.Pool, server_id: int, feature: str) -> int | None:
    setting = await ServerService(pool, features()).setting(server_id, feature)
    return setting.role_id if setting is not None else None


async def test_manage_server_without_manage_roles_may_not_pick_a_role_to_hand_out(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await staff(runner, fake)
    enable = reply_text(await runner.command(MOD, "feature enable", feature="top_voter_role", role=str(ROLE_VOTER)))
    assert "You need the Manage Roles permission" in enable
    rewards = reply_text(await runner.command(MOD, "rewards setup", role=str(ROLE_VOTER)))
    assert "You need the Manage Roles permission" in rewards
    assert await role_of(pool, server.id, "top_voter_role") is None
    assert await role_of(pool, server.id, "vote") is None


async def test_manage_roles_stops_below_the_members_own_top_role(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await staff(runner, fake)
    for role in (ROLE_CREW, ROLE_PEER):  # their own top role, and one above it (both below the bot)
        text = reply_text(await runner.command(MANAGER, "rewards setup", role=str(role)))
        assert f"<@&{role}> is not below your highest role (<@&{ROLE_CREW}>)" in text
    assert await role_of(pool, server.id, "vote") is None
    # the legit case: a role below their own, which the bot can hand out
    text = reply_text(await runner.command(MANAGER, "feature enable", feature="top_voter_role", role=str(ROLE_VOTER)))
    assert "Turned on" in text
    assert await role_of(pool, server.id, "top_voter_role") == ROLE_VOTER
    # the owner stands above every role: only the bot's own position limits them
    text = reply_text(await runner.command(ADMIN, "rewards setup", role=str(ROLE_PEER)))
    assert f"Rewards for **Alpha**: each vote gets the role <@&{ROLE_PEER}>" in text
    assert await role_of(pool, server.id, "vote") == ROLE_PEER


async def test_nobody_may_have_a_role_with_moderator_powers_handed_out(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await staff(runner, fake)
    for member in (ADMIN, MANAGER):  # the guild owner too
        text = reply_text(await runner.command(member, "rewards setup", role=str(ROLE_ADMINS)))
        assert f"<@&{ROLE_ADMINS}> carries the Administrator permission" in text
    text = reply_text(await runner.command(ADMIN, "feature enable", feature="top_voter_role", role=str(ROLE_BOUNCERS)))
    assert "carries the Kick Members permission" in text
    assert await role_of(pool, server.id, "vote") is None
    assert await role_of(pool, server.id, "top_voter_role") is None
    # a role the bot only pings may be a staff role: pinging moderators is what offline alerts are for
    text = reply_text(
        await runner.command(
            MANAGER, "feature enable", feature="offline_alerts", channel=str(GENERAL), role=str(ROLE_ADMINS)
        )
    )
    assert "Turned on" in text


async def test_a_role_that_is_not_mentionable_is_pinged_only_for_members_who_could_ping_it(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await staff(runner, fake)
    guild = fake.state.get_guild(GUILD_ID)  # the bot may ping any role: only the member's right is in question
    fake.add_role(
        {
            "guild_id": GUILD_ID,
            "id": guild["bot_role_id"],
            "permissions": DEFAULT_BOT_ROLE_PERMISSIONS | MENTION_EVERYONE,
        }
    )
    cached = runner.running.get_guild(GUILD_ID)
    assert cached is not None
    await wait_until(lambda: cached.me.guild_permissions.mention_everyone)

    def enable(member: int, role: int) -> Any:
        return runner.command(member, "feature enable", feature="reminders", channel=str(GENERAL), role=str(role))

    refused = reply_text(await enable(MANAGER, ROLE_QUIET))
    assert f"<@&{ROLE_QUIET}> is not mentionable" in refused and "Mention @everyone, @here and All Roles" in refused
    assert await role_of(pool, server.id, "reminders") is None
    assert "Turned on" in reply_text(await enable(MANAGER, ROLE_VOTER))  # mentionable: anyone may ping it
    assert "Turned on" in reply_text(await enable(PINGER, ROLE_QUIET))  # has Mention Everyone, as Discord asks
    assert await role_of(pool, server.id, "reminders") == ROLE_QUIET


async def test_a_role_that_gained_administrator_is_not_handed_out_and_the_owner_is_told(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await make_server(pool)
    await staff(runner, fake)
    assert "Rewards for **Alpha**" in reply_text(await runner.command(MANAGER, "rewards setup", role=str(ROLE_VOTER)))
    await ServerService(pool, features()).switch_feature(server, "top_voter_role", enabled=True, role_id=ROLE_VOTER)
    await link_in_game(runner, pool, server, MEMBER, "Steve")
    fake.add_role({"guild_id": GUILD_ID, "id": ROLE_VOTER, "permissions": ADMINISTRATOR})  # changed afterwards
    cached = runner.running.get_guild(GUILD_ID)
    assert cached is not None
    await wait_until(lambda: cached.get_role(ROLE_VOTER).permissions.administrator)  # type: ignore[union-attr]
    fake.clear_requests()

    now = runner.clock()
    await record_vote(pool, server, "v1", now, player_name="steve", expires_at=now + dt.timedelta(hours=1))
    await delivered(pool)
    assert ROLE_VOTER not in member_roles(fake, MEMBER)
    assert sent(fake, "PUT", "/roles/") == []

    def owner_notices() -> list[str]:
        posts = [(r["json"] or {}).get("content") or "" for r in sent(fake, "POST", "/messages")]
        return [p for p in posts if "**Test Guild**" in p]

    await wait_until(lambda: owner_notices())
    assert len(owner_notices()) == 1
    assert "voter role" in owner_notices()[0] and "Administrator" in owner_notices()[0]

    # the monthly top-voter role: not handed out either, retried (the role may be fixed), the owner told once
    for minute in range(2):
        runner.clock.set(now.replace(day=1, hour=12, minute=minute) + dt.timedelta(days=32))
        await runner.service("Leaderboards").tick()
    assert sent(fake, "PUT", "/roles/") == []
    assert len(owner_notices()) == 2 and "top-voter role" in owner_notices()[1]
    assert await pool.fetchval("SELECT count(*) FROM engagement_runs WHERE kind = 'top_voter_role'") == 0
    # fixed: the next tick hands it out
    fake.add_role({"guild_id": GUILD_ID, "id": ROLE_VOTER, "permissions": 0})
    await wait_until(lambda: not cached.get_role(ROLE_VOTER).permissions.administrator)  # type: ignore[union-attr]
    await runner.service("Leaderboards").tick()
    assert ROLE_VOTER in member_roles(fake, MEMBER)
