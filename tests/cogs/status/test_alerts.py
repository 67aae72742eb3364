"""The offline-alert state machine, driven with an explicit clock."""

from __future__ import annotations

import datetime as dt

from cogs.status.alerts import Alert, AlertPolicy, MonitorState, State, advance

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
POLICY = AlertPolicy(failures_to_down=3, interval=dt.timedelta(seconds=60), confirm_interval=dt.timedelta(seconds=15))


class Driver:
    def __init__(self, policy: AlertPolicy = POLICY) -> None:
        self.policy = policy
        self.now = T0
        self.state = MonitorState.initial(T0)
        self.alerts: list[Alert] = []

    def probe(self, online: bool, *, maintenance: bool = False) -> State:
        self.state, alert = advance(self.state, online, self.now, self.policy, maintenance=maintenance, error="x")
        if alert is not None:
            self.alerts.append(alert)
        self.now += self.policy.next_probe_after(self.state.state)
        return self.state.state


def test_outage_is_confirmed_alerted_once_and_recovers_with_duration() -> None:
    d = Driver()
    assert d.probe(True) is State.UP
    first_failure = d.now
    assert d.probe(False) is State.PENDING
    assert d.probe(False) is State.PENDING
    assert d.probe(False) is State.DOWN
    for _ in range(10):
        assert d.probe(False) is State.DOWN
    assert [a.kind for a in d.alerts] == ["down"]
    assert d.alerts[0].down_since == first_failure
    assert d.probe(True) is State.UP
    assert [a.kind for a in d.alerts] == ["down", "up"]
    assert d.alerts[1].down_since == first_failure


def test_a_single_lost_packet_raises_nothing() -> None:
    d = Driver()
    for online in (True, False, True, False, False, True, True):
        d.probe(online)
    assert d.alerts == []
    assert d.state.state is State.UP


def test_maintenance_suppresses_and_still_down_afterwards_is_announced() -> None:
    d = Driver()
    d.probe(True)
    for _ in range(5):
        d.probe(False, maintenance=True)
    assert d.state.state is State.DOWN and d.alerts == []
    d.probe(False)  # window over, still down
    assert [a.kind for a in d.alerts] == ["down"]

    d2 = Driver()
    for _ in range(4):
        d2.probe(False, maintenance=True)
    d2.probe(True)  # came back during maintenance: no recovery message for an unannounced outage
    assert d2.alerts == []


def test_flapping_sends_one_notice_then_stays_quiet_until_calm() -> None:
    d = Driver(AlertPolicy(failures_to_down=1, flap_alerts=2, flap_window=dt.timedelta(hours=1)))
    for _ in range(6):
        d.probe(False)
        d.probe(True)
    kinds = [a.kind for a in d.alerts]
    assert kinds == ["down", "up", "down", "up", "flapping"]
    d.now += dt.timedelta(hours=2)  # calm for longer than the window
    d.probe(False)
    assert [a.kind for a in d.alerts][-1] == "down"


def test_a_stale_pending_count_starts_over() -> None:
    d = Driver()
    d.probe(True)
    d.probe(False)
    d.probe(False)
    d.now += dt.timedelta(hours=3)  # the bot was stopped
    assert d.probe(False) is State.PENDING
    assert d.state.failures == 1 and d.state.since == d.state.last_probe_at
