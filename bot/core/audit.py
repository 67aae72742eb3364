"""Who is changing things: the actor in force, for the audit log.

Every change an owner makes — from a slash command, the web dashboard, the management API or the CLI — is written
to the audit log with who made it. The way in sets the actor around the work (``with acting_as(actor):``); the
services that change stored settings record the change with the actor in force (tasks started inside inherit it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

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
