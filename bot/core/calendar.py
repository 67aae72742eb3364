"""Maintenance windows (planned wipes) as other features see them, without knowing the wipes feature.

The status feature stays quiet during a wipe and shows the next one on its board; the wipes feature
provides the calendar (:meth:`bot.app.client.VoteBot.provide_calendar`). Without it, nothing is planned.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class MaintenanceCalendar(Protocol):
    async def next_start(self, server_id: int, now: dt.datetime) -> dt.datetime | None:
        """When the server's next planned maintenance starts after ``now``."""
        ...

    async def in_window(self, server_id: int, now: dt.datetime) -> bool:
        """Whether planned maintenance of the server is under way at ``now``."""
        ...


class NothingPlanned:
    async def next_start(self, server_id: int, now: dt.datetime) -> dt.datetime | None:
        return None

    async def in_window(self, server_id: int, now: dt.datetime) -> bool:
        return False
