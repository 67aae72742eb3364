"""Events a listing site pushes through the event API, as the features receive them.

The web route validates an event and stores it (``community_events``) before answering; the events
feature later hands each stored event to the handler a feature registered for its type
(:class:`EventHandlers`): reviews take ``review.create``, milestones ``rank.update``, giveaways
``giveaway.winner``, wipes ``wipe.scheduled`` and ``wipe.cancelled``. A handler must be idempotent by
``(server, event id)``: after a crash the same event can be handed over again. It raises to be retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.db.records import PushedEvent, Server

__all__ = ["EVENT_TYPES", "EventHandler", "EventHandlers", "PushedEvent"]

EVENT_TYPES = ("review.create", "rank.update", "giveaway.winner", "wipe.scheduled", "wipe.cancelled")


EventHandler = Callable[[Server, PushedEvent], Awaitable[None]]


class EventHandlers:
    def __init__(self) -> None:
        self._handlers: dict[str, EventHandler] = {}

    def register(self, event_type: str, handler: EventHandler) -> None:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        if event_type in self._handlers:
            raise ValueError(f"{event_type} already has a handler")
        self._handlers[event_type] = handler

    def unregister(self, event_type: str) -> None:
        self._handlers.pop(event_type, None)

    def get(self, event_type: str) -> EventHandler | None:
        return self._handlers.get(event_type)
