"""Milestone rules without Discord: thresholds reached, the every-N mark, settings as declared."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.db.records import SERVER_FIELDS, Server
from cogs.milestones.service import every_mark, every_text, milestone_text, reached
from cogs.milestones.spec import EVERY, THRESHOLDS


def test_milestone_rules() -> None:
    assert THRESHOLDS.current({}) == [50, 100, 250, 500, 1000]
    assert THRESHOLDS.current({"thresholds": [100, 5]}) == [5, 100]
    assert THRESHOLDS.current({"thresholds": [100, "x", True]}) == [50, 100, 250, 500, 1000]  # damaged: defaults
    assert reached(120, (50, 100, 250)) == [50, 100]
    assert every_mark(99, 50) == 50 and every_mark(10, 50) is None and every_mark(10, None) is None


def test_settings_are_parsed_as_declared() -> None:
    assert THRESHOLDS.parse("100, 50;50") == [50, 100]
    with pytest.raises(UserError, match="`thresholds` must be 1 to 20 whole numbers"):
        THRESHOLDS.parse("ten")
    with pytest.raises(UserError, match="`thresholds` must be"):
        THRESHOLDS.parse("0")
    assert EVERY.parse(0) is None and EVERY.parse("250") == 250
    with pytest.raises(UserError, match=r"`every` must be a whole number from 0 to 1000000 \(0 turns it off\); `-1`"):
        EVERY.parse(-1)


def test_announcements_count_in_words() -> None:
    server = Server(**{name: None for name in SERVER_FIELDS} | {"id": 1, "name": "Alpha_*"})
    assert every_text(server, 1) == "🎉 **Alpha\\_\\*** passed **1** vote in total!"
    assert every_text(server, 50) == "🎉 **Alpha\\_\\*** passed **50** votes in total!"
    assert milestone_text(server, 1, "2026-11") == "🏆 **Alpha\\_\\*** reached **1** vote this month (November 2026)!"
