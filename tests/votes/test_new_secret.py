from __future__ import annotations

import pytest

from bot.votes import credentials


def test_a_generated_secret_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """`votebot server secret --secret -abc…` would be read as an option, so the bot never hands one out."""
    drawn = iter(["-starts-with-a-dash-0123456789abcdefghijk", "fine-0123456789abcdefghijklmnopqrstuvwxyz"])
    monkeypatch.setattr(credentials.secrets, "token_urlsafe", lambda size: next(drawn))
    assert credentials.new_secret() == "fine-0123456789abcdefghijklmnopqrstuvwxyz"
