"""What Discord shows of each slash command: a description for every command and every option (discord.py
fills a missing one with "…", which is what a member sees in the command picker)."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.app.client import EXTENSIONS, VoteBot
from bot.app.config import load_config


async def test_every_command_and_option_is_described(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text("")
    bot = VoteBot(config=load_config(tmp_path / "bot.toml", environ={}), pool=None, services=False)  # type: ignore[arg-type]
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    undescribed = []
    for command in bot.tree.walk_commands():
        if command.description in ("…", "...", ""):
            undescribed.append(f"/{command.qualified_name}")
        if isinstance(command, discord.app_commands.Command):
            undescribed += [
                f"/{command.qualified_name} {p.name}" for p in command.parameters if p.description in ("…", "...", "")
            ]
    assert undescribed == []


async def test_no_description_trails_off_or_hedges_a_plural(tmp_path: Path) -> None:
    """ "(default: from the game: minecraft, bedrock, source …)" and "game server(s)" read as unfinished."""
    (tmp_path / "bot.toml").write_text("")
    bot = VoteBot(config=load_config(tmp_path / "bot.toml", environ={}), pool=None, services=False)  # type: ignore[arg-type]
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    texts = {}
    for command in bot.tree.walk_commands():
        texts[f"/{command.qualified_name}"] = command.description
        if isinstance(command, discord.app_commands.Command):
            texts |= {f"/{command.qualified_name} {p.name}": p.description for p in command.parameters}
    assert [where for where, text in texts.items() if text.rstrip().endswith(("…", "...")) or "(s)" in text] == []
    assert texts["/status"] == "Live status of our game servers"
    assert texts["/status-admin configure protocol"] == "How to query the server (usually picked from the game)"


async def test_choices_show_names_not_internal_keys(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text("")
    bot = VoteBot(config=load_config(tmp_path / "bot.toml", environ={}), pool=None, services=False)  # type: ignore[arg-type]
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    shown = [
        choice.name
        for command in bot.tree.walk_commands()
        if isinstance(command, discord.app_commands.Command)
        for parameter in command.parameters
        for choice in parameter.choices
    ]
    assert shown and [name for name in shown if "_" in name] == []  # e.g. "top_voter_role — Top-voter role"
