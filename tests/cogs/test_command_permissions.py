"""Every admin command is hidden with default_permissions AND checked again when it runs."""

from __future__ import annotations

import inspect
from pathlib import Path

import discord

from bot.app.client import EXTENSIONS, VoteBot
from bot.app.config import load_config

ADMIN_GROUPS = {
    "setup",
    "feature",
    "links",
    "rewards",
    "milestones",
    "leaderboards",
    "giveaway",
    "wipe",
    "status-admin",
    "stats-admin",
}


async def test_admin_commands_are_hidden_and_checked(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text("")
    config = load_config(tmp_path / "bot.toml", environ={})
    bot = VoteBot(config=config, pool=None, services=False)  # type: ignore[arg-type]  # no login: nothing to close
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    groups = {c.name: c for c in bot.tree.get_commands() if isinstance(c, discord.app_commands.Group)}
    assert set(groups) >= ADMIN_GROUPS
    for name in ADMIN_GROUPS:
        group = groups[name]
        assert group.default_permissions is not None and group.default_permissions.manage_guild, name
        assert group.guild_only, name
        for command in group.walk_commands():
            if isinstance(command, discord.app_commands.Command):
                checks = [getattr(check, "__qualname__", "") for check in command.checks]
                assert any("has_permissions" in c for c in checks), f"/{command.qualified_name}: no runtime check"
    member_commands = {c.name for c in bot.tree.get_commands()} - set(groups)
    assert {"vote", "link", "review", "status"} <= member_commands


# role options that only filter (who may enter a giveaway): the bot neither hands these roles out nor pings them
FILTER_ROLE_OPTIONS = {("giveaway start", "required_role")}


async def test_every_role_a_command_takes_goes_through_the_role_rule(tmp_path: Path) -> None:
    """A role option the bot hands out or pings is checked by ``usable_role`` with the invoking member (issue 11)."""
    (tmp_path / "bot.toml").write_text("")
    config = load_config(tmp_path / "bot.toml", environ={})
    bot = VoteBot(config=config, pool=None, services=False)  # type: ignore[arg-type]  # no login: nothing to close
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    checked = set()
    for command in bot.tree.walk_commands():
        if not isinstance(command, discord.app_commands.Command):
            continue
        for parameter in command.parameters:
            if parameter.type is not discord.AppCommandOptionType.role:
                continue
            key = (command.qualified_name, parameter.name)
            if key in FILTER_ROLE_OPTIONS:
                continue
            source = inspect.getsource(command.callback)
            assert f"usable_role(guild, {parameter.name}.id" in source, f"/{key[0]} {key[1]}: not checked"
            assert "member_of(interaction)" in source, f"/{key[0]}: the role rule must know who asks"
            checked.add(key)
    assert {("feature enable", "role"), ("rewards setup", "role")} <= checked
