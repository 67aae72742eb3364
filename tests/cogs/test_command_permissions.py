"""Every admin command is hidden with default_permissions AND checked again when it runs."""

from __future__ import annotations

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
