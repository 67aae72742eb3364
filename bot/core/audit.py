"""Who is changing things: the actor in force, for the audit log.

Every change an owner makes — from a slash command, the web dashboard, the management API or the CLI — is written
to the audit log with who made it. The way in sets the actor around the work (``with acting_as(actor):``); the
services that change stored settings record the change with the actor in force (tasks started inside inherit it).
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from bot.db.audit import AuditRepository
from bot.db.executor import Executor
from bot.db.records import Server

Source = Literal["discord", "dashboard", "api", "cli"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes something: ``source`` is the way in; ``user_id`` the Discord user (slash commands and the
    dashboard); ``name`` what the log shows of them (a Discord name, the operator's login at the CLI)."""

    source: Source
    user_id: int | None = None
    name: str = ""


_actor: ContextVar[Actor | None] = ContextVar("votebot_actor", default=None)


def current_actor() -> Actor | None:
    """The actor in force, or None for the bot's own work (a board refresh, a giveaway that ends on time)."""
    return _actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run a block's changes as ``actor``."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


@contextlib.contextmanager
def as_the_bot() -> Iterator[None]:
    """Run a block as no one (the bot's own work: nothing it changes is logged), whoever started it."""
    token = _actor.set(None)
    try:
        yield
    finally:
        _actor.reset(token)


async def record_change(db: Executor, server: Server, action: str, details: Mapping[str, Any] | None = None) -> None:
    """Write ``action`` on ``server`` to the audit log as the actor in force (in ``db``'s transaction when it is a
    connection inside one); nothing when no actor is in force (the bot's own work)."""
    await record_on(db, server.id, server.guild_id, action, details)


async def record_on(
    db: Executor, server_id: int, guild_id: int, action: str, details: Mapping[str, Any] | None = None
) -> None:
    """:func:`record_change` by the server's id and guild id."""
    actor = current_actor()
    if actor is None:
        return
    await AuditRepository(db).record(server_id, guild_id, actor, action, dict(details or {}))


def changed(old: object, new: object) -> list[Any] | None:
    """``[old, new]`` for the audit log's details when they differ, else None."""
    return None if old == new else [old, new]


def cli_actor() -> Actor:
    """The operator at the CLI: their login name (``cli`` when the system has none)."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        name = ""
    return Actor("cli", None, name or "cli")


def _interaction_actor(data: Mapping[str, Any]) -> Actor | None:
    member = data.get("member")
    user = member.get("user") if isinstance(member, Mapping) else None
    if not isinstance(user, Mapping):
        user = data.get("user")
    if not isinstance(user, Mapping):
        return None
    try:
        user_id = int(user["id"])
    except (KeyError, TypeError, ValueError):
        return None
    name = user.get("global_name") or user.get("username") or ""
    return Actor("discord", user_id, str(name))


def install_interaction_actor(parsers: dict[str, Any]) -> None:
    """Run every interaction (slash command, button, modal) as the Discord user who sent it: the handlers'
    tasks copy the parser's context, so the changes they make are logged with that user."""
    parse = parsers["INTERACTION_CREATE"]
    if getattr(parse, "_votebot_actor", False):
        return

    def parse_as_actor(data: dict[str, Any]) -> None:
        actor = _interaction_actor(data)
        if actor is None:
            parse(data)
            return
        with acting_as(actor):
            parse(data)

    parse_as_actor._votebot_actor = True  # type: ignore[attr-defined]
    parsers["INTERACTION_CREATE"] = parse_as_actor
