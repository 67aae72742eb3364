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
    interval = SettingSpec("interval_s", "int", 60, "Seconds", minimum=30, maximum=3600, option="interval")
    assert interval.parse("45") == 45 and interval.parse(3600) == 3600
    for bad in (5, "5", 3601, "-1", "abc", True, 1.5):
        with pytest.raises(UserError, match=r"^`interval` must be a whole number from 30 to 3600; `.*` is not\.$"):
            interval.parse(bad)
    choice = SettingSpec("ties", "choice", "all", "", choices=("all", "first"))
    assert choice.parse(" First ") == "first"
    with pytest.raises(UserError, match="must be one of all, first"):
        choice.parse("none")
    at = SettingSpec("post_time", "time", "09:00", "")
    assert at.parse("7:05") == "07:05"
    for bad in ("25:00", "9", "09:5", "noon"):
        with pytest.raises(UserError, match="a time like 09:00"):
            at.parse(bad)
    flag = SettingSpec("thank_you", "bool", True, "")
    assert flag.parse("off") is False and flag.parse(True) is True
    with pytest.raises(UserError, match="true or false"):
        flag.parse("maybe")
    link = SettingSpec("connect_url", "url", None, "")
    assert link.parse("https://play.example.com/join") == "https://play.example.com/join"
    with pytest.raises(UserError, match="an http:// or https:// link"):
        link.parse("steam://connect/1.2.3.4")


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
