"""Feature declarations: the registry of the bot's features and how settings are validated from them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app.extensions import features
from bot.core.errors import UserError
from bot.core.features import FeatureRegistry, FeatureSpec, SettingSpec


def test_the_bot_declares_each_toggle_once() -> None:
    registry = features()
    assert set(registry.names) == {
        "vote", "reminders", "status_board", "offline_alerts", "milestones", "reviews", "wipes", "top_voter_role",
        "giveaways", "daily_leaderboard", "top10_board",
    }  # fmt: skip
    assert [s.name for s in registry if s.enabled_by_default] == ["vote"]
    with pytest.raises(UserError, match="Unknown feature 'fireworks'; choose one of: vote, "):
        registry.get("fireworks")
    with pytest.raises(ValueError, match="declared twice"):
        FeatureRegistry.of([FeatureSpec("x", "X"), FeatureSpec("x", "Y")])


def test_the_same_refusal_everywhere() -> None:
    interval = SettingSpec(
        "interval_s", "int", 60, "Seconds", minimum=30, maximum=3600, option="interval", label="check interval",
        unit="second",
    )  # fmt: skip
    assert interval.parse("45") == 45 and interval.parse(3600) == 3600
    for bad in (5, "5", 3601, "-1"):
        with pytest.raises(UserError, match=r"^The check interval must be 30 to 3,600 seconds, not -?[\d,]+\.$"):
            interval.parse(bad)
    for bad in ("abc", True, 1.5):
        with pytest.raises(UserError, match=r"^“.*” is not a whole number\. The check interval must be 30 to 3,600"):
            interval.parse(bad)
    choice = SettingSpec("ties", "choice", "all", "", choices=("all", "first"))
    assert choice.parse(" First ") == "first"
    with pytest.raises(UserError, match=r"^The ties must be all or first, not “none”\.$"):
        choice.parse("none")
    at = SettingSpec("post_time", "time", "09:00", "")
    assert at.parse("7:05") == "07:05"
    for bad in ("25:00", "9", "09:5", "noon"):
        with pytest.raises(UserError, match=r"is not a time\. Use the 24-hour clock, e\.g\. 09:00 or 22:30\.$"):
            at.parse(bad)
    flag = SettingSpec("thank_you", "bool", True, "", label="thank-you messages")
    assert flag.parse("off") is False and flag.parse(True) is True
    with pytest.raises(UserError, match=r"^Use on or off for the thank-you messages, not “maybe”\.$"):
        flag.parse("maybe")
    link = SettingSpec("connect_url", "url", None, "", label="Connect button link")
    assert link.parse("https://play.example.com/join") == "https://play.example.com/join"
    with pytest.raises(UserError, match="must start with http:// or https://"):
        link.parse("steam://connect/1.2.3.4")


def test_values_read_as_people_write_them() -> None:
    refresh = features().get("top10_board").setting("board_refresh")
    assert (refresh.shown(10), refresh.shown(1)) == ("every 10 minutes", "every minute")
    thresholds = features().get("milestones").setting("thresholds")
    assert thresholds.shown([50, 1000, 1_000_000]) == "50, 1,000, 1,000,000 votes"
    board = features().get("status_board")
    # the query settings live in status_settings (cogs/status/spec.py); the board's own setting is its picture
    assert [spec.name for spec in board.settings] == ["picture"]
    assert board.settings[0].parse("on") is True and board.settings[0].default is False
    long = "x" * 100
    with pytest.raises(UserError, match=r"^“x{39}…” is not a whole number"):
        refresh.parse(long)


def test_a_feature_knows_its_settings_by_option_name() -> None:
    top10 = features().get("top10_board")
    assert top10.parse_settings({"board_refresh": "15"}) == {"refresh_minutes": 15}
    assert top10.current({}) == {"refresh_minutes": 10}
    assert top10.current({"refresh_minutes": 999}) == {"refresh_minutes": 10}  # out of bounds stored: default
    with pytest.raises(UserError, match="has no setting `colour`; its settings are: board_refresh"):
        top10.setting("colour")


def test_reading_the_declarations_loads_no_cog_and_no_discord() -> None:
    """The CLI and the ingest-only process read every feature's spec.py; the cogs load only in setup()."""
    code = (
        "import sys; from bot.app.extensions import features; features(); "
        "print(sorted(m for m in sys.modules if m == 'discord' or m.endswith('.cog')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert found.stdout.strip() == "[]"
