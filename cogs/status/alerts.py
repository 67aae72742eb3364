"""The offline-alert state machine: UNKNOWN/UP → PENDING → DOWN → UP. Pure: no I/O, the clock comes in.

* A failed probe moves UP to PENDING; the monitor then probes at the shorter confirmation interval.
  ``failures_to_down`` failures in a row make it DOWN (``since`` = the first failed probe) and raise one
  ``down`` alert; one good answer ends PENDING silently (a lost UDP packet is not an outage).
* DOWN → UP raises an ``up`` alert with the downtime, but only when the outage itself was announced.
* Maintenance (a planned wipe, from the wipe calendar) suppresses the ``down`` alert; if the server is still
  down when the window ends, the next failed probe announces it.
* Flapping: when ``flap_alerts`` offline alerts were sent within ``flap_window``, the next outage raises a
  single ``flapping`` notice instead and alerts stay muted until the server was calm for a whole window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum


class State(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    PENDING = "pending"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    failures_to_down: int = 3
    interval: dt.timedelta = dt.timedelta(seconds=60)
    confirm_interval: dt.timedelta = dt.timedelta(seconds=15)
    flap_window: dt.timedelta = dt.timedelta(hours=1)
    flap_alerts: int = 3

    @property
    def stale_after(self) -> dt.timedelta:
        """A PENDING count older than this (the bot was stopped) starts over."""
        return 2 * self.interval + self.confirm_interval

    def next_probe_after(self, state: State) -> dt.timedelta:
        return self.confirm_interval if state is State.PENDING else self.interval


@dataclass(frozen=True, slots=True)
class MonitorState:
    state: State
    since: dt.datetime
    failures: int = 0
    alerted: bool = False
    alert_times: tuple[dt.datetime, ...] = ()
    flapping_until: dt.datetime | None = None
    last_probe_at: dt.datetime | None = None

    @classmethod
    def initial(cls, now: dt.datetime) -> MonitorState:
        return cls(State.UNKNOWN, since=now)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # "down", "up" or "flapping"
    down_since: dt.datetime
    detail: str | None = None


def advance(
    current: MonitorState,
    online: bool,
    now: dt.datetime,
    policy: AlertPolicy,
    *,
    maintenance: bool = False,
    error: str | None = None,
) -> tuple[MonitorState, Alert | None]:
    """The state after one probe, and the alert it raises (if any)."""
    recent = tuple(t for t in current.alert_times if now - t < policy.flap_window)
    base = replace(current, alert_times=recent, last_probe_at=now)
    if base.flapping_until is not None and now >= base.flapping_until:
        base = replace(base, flapping_until=None)
    if online:
        if current.state is State.DOWN:
            alert = Alert("up", down_since=current.since) if current.alerted else None
            return replace(base, state=State.UP, since=now, failures=0, alerted=False), alert
        if current.state is State.UP:
            return replace(base, failures=0), None
        return replace(base, state=State.UP, since=now, failures=0, alerted=False), None

    if current.state is State.DOWN:
        if current.alerted:
            return base, None
        return _announce_down(base, now, policy, maintenance=maintenance, error=error)

    stale = current.last_probe_at is None or now - current.last_probe_at > policy.stale_after
    continuing = current.state is State.PENDING and not stale
    failures = current.failures + 1 if continuing else 1
    since = current.since if continuing else now
    pending = replace(base, state=State.PENDING, since=since, failures=failures, alerted=False)
    if failures < policy.failures_to_down:
        return pending, None
    return _announce_down(replace(pending, state=State.DOWN), now, policy, maintenance=maintenance, error=error)


def _announce_down(
    down: MonitorState, now: dt.datetime, policy: AlertPolicy, *, maintenance: bool, error: str | None
) -> tuple[MonitorState, Alert | None]:
    if maintenance:
        return down, None
    if down.flapping_until is not None:  # muted: extend the calm period we wait for
        return replace(down, flapping_until=now + policy.flap_window), None
    if len(down.alert_times) >= policy.flap_alerts:
        muted = replace(down, flapping_until=now + policy.flap_window)
        return muted, Alert("flapping", down_since=down.since, detail=error)
    announced = replace(down, alerted=True, alert_times=(*down.alert_times, now))
    return announced, Alert("down", down_since=down.since, detail=error)
