"""Rendering: escaping outside text, durations, uptime wording, alert texts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from babel.core import Locale
from babel.support import NullTranslations

from bot.core import i18n
from bot.db.records import Server
from cogs.status.alerts import MonitorState, State
from cogs.status.query import QueryResult
from cogs.status.repository import PendingAlert, StatusSettings, StoredState, Uptime
from cogs.status.views import (
    StatusSnapshot,
    alert_text,
    format_duration,
    reason_text,
    status_embed,
    status_view,
    uptime_text,
)

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
SERVER = Server(1, 5, "Alpha_Server", "https://vote.example", "minecraft", "play.example.com", None, "UTC", True,
                True, dt.timedelta(hours=12), T0)  # fmt: skip


def test_outside_text_is_escaped_and_nobody_pinged() -> None:
    result = QueryResult(
        online=True, players=1, max_players=5, name="@everyone **FREE** ||spoiler||", map="de_dust2",
        player_names=("@here", "<@123456789012345678>", "__under__"),
    )  # fmt: skip
    stored = StoredState(MonitorState(State.UP, since=T0, last_probe_at=T0), result, result, T0)
    embed = status_embed(StatusSnapshot(SERVER, StatusSettings(1), stored, Uptime(3600, 0, 3600)))
    data = embed.to_dict()
    text = str(data)
    assert "@everyone" not in text.replace("@\u200beveryone", "") and "@here" not in text.replace("@\u200bhere", "")
    assert "\\*\\*FREE\\*\\*" in data["description"] and "\\|\\|spoiler\\|\\|" in data["description"]
    online = next(f["value"] for f in data["fields"] if f["name"] == "Online now")
    assert "<@\u200b123456789012345678>" in online and "\\_\\_under\\_\\_" in online
    assert data["title"] == "Alpha\\_Server"
    assert data["timestamp"].startswith("2026-11-24T12:00")


def test_uptime_wording_and_durations() -> None:
    assert uptime_text(None) == "Not measured yet"
    assert uptime_text(Uptime(0, 0, 100)) == "Not measured yet"
    assert uptime_text(Uptime(990, 10, 1000, T0, whole_window=True)) == "99.0% over the last 7 days"
    assert uptime_text(Uptime(0, 2400, 2400, T0)) == f"0.0% since monitoring started <t:{int(T0.timestamp())}:R>"
    assert uptime_text(Uptime(450, 50, 1000, T0, whole_window=True)).startswith("90.0% over the last 7 days · 50% unk")
    assert [format_duration(s) for s in (5, 125, 3 * 3600 + 120, 2 * 86400 + 3600)] == ["5 sec", "2 min", "3 hr 2 min",
                                                                                       "2 days 1 hr"]  # fmt: skip


def test_alert_texts_and_buttons() -> None:
    down = PendingAlert(1, 1, "down", T0, T0 - dt.timedelta(minutes=1), "no answer (timed out)", 0)
    up = PendingAlert(2, 1, "up", T0, T0 - dt.timedelta(minutes=42), None, 0)
    assert alert_text(SERVER, down, 77).startswith("<@&77> 🔴 **Alpha\\_Server** is offline")
    assert "back online after 42 min offline" in alert_text(SERVER, up, None)
    assert "<@&" not in alert_text(SERVER, up, None)
    view = status_view(SERVER, StatusSettings(1, connect_url="https://join.example"))
    assert view is not None and [b.label for b in view.children] == ["Connect", "Vote"]  # type: ignore[attr-defined]


class _Marked(NullTranslations):
    """A catalog that marks every text it translates, to see what went through it."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"


@dataclass(frozen=True)
class _MarkedLanguage:
    translations: NullTranslations = field(default_factory=_Marked)
    locale: Locale = field(default_factory=lambda: Locale.parse("en"))


def test_stored_check_reasons_are_translated_when_shown() -> None:
    """The probe stores its reasons in English; the board and the alerts show them in the reader's language."""
    with i18n.speaking(_MarkedLanguage()):  # type: ignore[arg-type]
        assert reason_text("no answer within 2.5 s") == "«no answer within 2.5 s»"
        assert reason_text("connection refused") == "«connection refused»"
        assert reason_text("bad answer: HTTP 500") == "«bad answer: HTTP 500»"
        assert reason_text("The host name 'nowhere.invalid' does not resolve.") == (
            "«The host name 'nowhere.invalid' does not resolve.»"
        )
        assert reason_text(None) == "«nothing came back»"
        assert reason_text("something new") == "something new"  # unknown: shown as stored
