"""The status package's part of the management API: ``GET /api/v1/servers/{id}/status`` (see bot/web/backend.py
:class:`~bot.web.backend.Summaries`), the last known status as JSON. Nothing is probed for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cogs.status.views import UPTIME_DAYS, StatusSnapshot


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None


def status_summary(snap: StatusSnapshot) -> dict[str, Any]:
    """``state`` is ``unknown`` (never checked), ``up``, ``pending`` (failing, not yet declared down) or ``down``;
    ``last_result`` is the last check's answer (null before the first one)."""
    stored, uptime = snap.stored, snap.uptime
    last = stored.last_result if stored is not None else None
    return {
        "address": snap.server.address,
        "monitored": stored is not None,
        "state": stored.monitor.state.value if stored is not None else "unknown",
        "since": _iso(stored.monitor.since) if stored is not None else None,
        "last_check_at": _iso(stored.monitor.last_probe_at) if stored is not None else None,
        "last_result": (
            {
                "online": last.online,
                "players": last.players,
                "max_players": last.max_players,
                "name": last.name,
                "map": last.map,
                "version": last.version,
                "latency_ms": last.latency_ms,
                "player_names": list(last.player_names),
                "error": last.error,
            }
            if last is not None
            else None
        ),
        "uptime": {
            "days": UPTIME_DAYS,
            "percent": uptime.percent if uptime is not None else None,
            "since": _iso(uptime.since) if uptime is not None else None,
            "whole_window": uptime.whole_window if uptime is not None else False,
        },
        "protocol": snap.settings.protocol,
        "query_port": snap.settings.query_port,
        "next_wipe_at": _iso(snap.next_wipe),
    }
