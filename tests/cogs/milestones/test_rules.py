"""Milestone rules without Discord: thresholds reached, the every-N mark, settings as declared."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.db.records import SERVER_FIELDS, Server
from cogs.milestones.service import every_mark, every_text, milestone_text, reached, site_rank_text
from cogs.milestones.spec import EVERY, THRESHOLDS


def test_milestone_rules() -> None:
    assert THRESHOLDS.current({}) == [50, 100, 250, 500, 1000]
    assert THRESHOLDS.current({"thresholds": [100, 5]}) == [5, 100]
    assert THRESHOLDS.current({"thresholds": [100, "x", True]}) == [50, 100, 250, 500, 1000]  # damaged: defaults
    assert reached(120, (50, 100, 250)) == [50, 100]
    assert every_mark(99, 50) == 50 and every_mark(10, 50) is None and every_mark(10, None) is None


def test_settings_are_parsed_as_declared() -> None:
    assert THRESHOLDS.parse("100, 50;50") == [50, 100]
    rule = "Give 1 to 20 milestone thresholds between 1 and 1,000,000,000 votes, separated by commas."
    with pytest.raises(UserError) as refused:
        THRESHOLDS.parse("ten")
    assert str(refused.value) == f"“ten” is not a whole number. {rule}"
    with pytest.raises(UserError) as refused:
        THRESHOLDS.parse("0")
    assert str(refused.value) == f"0 is out of range. {rule}"
    with pytest.raises(UserError) as refused:  # every number is fine: the count is what is wrong
        THRESHOLDS.parse(",".join(str(n) for n in range(1, 25)))
    assert str(refused.value) == "That's 24 milestone thresholds; at most 20 are allowed."
    assert EVERY.parse(0) is None and EVERY.parse("250") == 250
    with pytest.raises(UserError) as refused:
        EVERY.parse(-1)
    assert str(refused.value) == "The total-votes announcement must be 0 to 1,000,000 votes, not -1. 0 turns it off."


def test_announcements_count_in_words() -> None:
    server = Server(**{name: None for name in SERVER_FIELDS} | {"id": 1, "name": "Alpha_*"})
    assert every_text(server, 1) == "🎉 **Alpha\\_\\*** passed **1** vote in total!"
    assert every_text(server, 50) == "🎉 **Alpha\\_\\*** passed **50** votes in total!"
    assert milestone_text(server, 1, "2026-11") == "🏆 **Alpha\\_\\*** reached **1** vote this month (November 2026)!"


def test_a_site_rank_names_the_sites_category_else_the_servers() -> None:
    server = Server(**{name: None for name in SERVER_FIELDS} | {"id": 1, "name": "Alpha", "category": "pvp"})
    assert site_rank_text(server, 3, "Survival_") == "📈 **Alpha** climbed to **#3** in Survival\\_ this month!"
    assert site_rank_text(server, 3, None) == "📈 **Alpha** climbed to **#3** in pvp this month!"
    bare = Server(**{name: None for name in SERVER_FIELDS} | {"id": 1, "name": "Alpha"})
    assert site_rank_text(bare, 1, None) == "📈 **Alpha** climbed to **#1** on the server list this month!"
