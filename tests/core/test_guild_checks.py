"""The one rule for configuring a feature's role (bot/core/guild_checks.py), on stand-ins for discord.py's objects.

The end-to-end tests (tests/e2e/test_role_rules.py) run the same rule through the real client and the fake
Discord; these cover the corners of the table quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from bot.core.errors import UserError
from bot.core.features import FeatureSpec
from bot.core.guild_checks import DANGEROUS_PERMISSIONS, check_role, dangerous_permissions, refusal_to_grant

GRANTED = FeatureSpec("vote", "Voter rewards", grants_role=True)
PINGED = FeatureSpec("reminders", "Vote reminders", uses_role=True)
OWNER = 99


@dataclass(frozen=True)
class Guild:
    id: int = 1
    owner_id: int = OWNER


@dataclass(eq=False)
class Role:
    id: int
    position: int
    permissions: discord.Permissions = field(default_factory=discord.Permissions.none)
    mentionable: bool = True
    managed: bool = False
    guild: Guild = field(default_factory=Guild)

    def is_default(self) -> bool:
        return self.id == self.guild.id

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def __ge__(self, other: Role) -> bool:
        return self.position >= other.position


@dataclass
class Member:
    id: int
    top_role: Role
    guild_permissions: discord.Permissions


BOT = Member(2, Role(20, 10), discord.Permissions(manage_roles=True, mention_everyone=True))
MANAGERS = Role(21, 6)
VOTER = Role(22, 1)


def check(role: Role, member: Member, spec: FeatureSpec = GRANTED, me: Member = BOT) -> None:
    check_role(spec, role, me, member)  # type: ignore[arg-type]  # stand-ins: only what the rule reads


def manager(**permissions: Any) -> Member:
    return Member(3, MANAGERS, discord.Permissions(manage_guild=True, **permissions))


def test_the_dangerous_set_covers_discords_elevated_permissions_and_mass_pings() -> None:
    listed = {attribute for attribute, _ in DANGEROUS_PERMISSIONS}
    elevated = {name for name, value in discord.Permissions.elevated() if value}
    assert elevated | {"mention_everyone"} == listed
    assert dangerous_permissions(discord.Permissions(send_messages=True, manage_nicknames=True)) == []


def test_refusal_to_grant_names_what_the_role_carries() -> None:
    assert refusal_to_grant(discord.Permissions(administrator=True)) == (
        "it carries the Administrator permission, which I never hand out"
    )
    assert refusal_to_grant(discord.Permissions(kick_members=True, ban_members=True)) == (
        "it carries the Ban Members and Kick Members permissions, which I never hand out"
    )
    assert refusal_to_grant(discord.Permissions(send_messages=True, embed_links=True)) is None


def test_a_granted_role_needs_manage_roles_and_a_place_below_the_members_top_role() -> None:
    check(VOTER, manager(manage_roles=True))
    check(VOTER, Member(3, MANAGERS, discord.Permissions.all()))  # Administrator (discord.py expands it)
    with pytest.raises(UserError, match="You need the Manage Roles permission"):
        check(VOTER, manager())
    for role in (MANAGERS, Role(23, 7)):  # their top role itself, or above it
        with pytest.raises(UserError, match=r"is not below your highest role \(<@&21>\)"):
            check(role, manager(manage_roles=True))


def test_the_owner_is_exempt_from_the_hierarchy_but_not_from_the_dangerous_permissions() -> None:
    owner = Member(OWNER, Role(1, 0), discord.Permissions.all())  # no roles at all: @everyone is the top one
    check(Role(24, 8), owner)
    for permissions in (discord.Permissions(administrator=True), discord.Permissions(manage_webhooks=True)):
        with pytest.raises(UserError, match=r"carries the .* permission, and I never hand out a role like that"):
            check(Role(25, 2, permissions), owner)


def test_the_bot_still_needs_to_reach_a_granted_role() -> None:
    with pytest.raises(UserError, match="above my highest role"):
        check(Role(26, 12), Member(OWNER, Role(1, 0), discord.Permissions.all()))
    with pytest.raises(UserError, match="I need the Manage Roles permission"):
        check(VOTER, manager(manage_roles=True), me=Member(2, Role(20, 10), discord.Permissions.none()))


def test_a_pinged_role_that_is_not_mentionable_needs_mention_everyone_of_the_member_and_the_bot() -> None:
    quiet = Role(27, 2, mentionable=False)
    check(VOTER, manager(), PINGED)  # mentionable: anyone may ping it
    check(quiet, manager(mention_everyone=True), PINGED)
    check(Role(28, 3, discord.Permissions(administrator=True)), manager(), PINGED)  # pinging staff is fine
    with pytest.raises(UserError, match="you lack the Mention @everyone, @here and All Roles permission"):
        check(quiet, manager(), PINGED)
    with pytest.raises(UserError, match="I lack Mention @everyone"):
        check(quiet, manager(mention_everyone=True), PINGED, me=Member(2, Role(20, 10), discord.Permissions.none()))


def test_everyone_and_integration_roles_are_refused_for_anyone() -> None:
    owner = Member(OWNER, Role(1, 0), discord.Permissions.all())
    with pytest.raises(UserError, match="@everyone can't be used"):
        check(Role(1, 0), owner)
    with pytest.raises(UserError, match="managed by an integration"):
        check(Role(29, 2, managed=True), owner, PINGED)
