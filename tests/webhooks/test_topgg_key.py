"""The Top.gg vote key spelled out in the route equals the documented ``derived_key`` form."""

from __future__ import annotations

import datetime as dt

from bot.votes.model import Vote, derived_key
from bot.webhooks.topgg_route import rekey_v1, topgg_vote_key


def test_vote_key_matches_derived_key_for_any_offset() -> None:
    utc = dt.datetime(2026, 11, 24, 13, 0, 5, 123456, tzinfo=dt.UTC)
    plus2 = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    expected = derived_key("topgg", 7, 123456789012345678, "2026-11-24T13:00:05+00:00")
    assert topgg_vote_key(7, 123456789012345678, utc) == expected
    assert topgg_vote_key(7, 123456789012345678, plus2) == expected


def test_rekey_keeps_every_field_and_the_provider_id() -> None:
    at = dt.datetime(2026, 11, 24, 13, 0, 5, tzinfo=dt.UTC)
    vote = Vote(3, "topgg", "900", at, player_name="x", discord_user_id=5, weight=2, expires_at=at, raw={"a": 1})
    rekeyed = rekey_v1(vote)
    assert rekeyed.external_id == topgg_vote_key(3, 5, at)
    assert rekeyed.raw == {"a": 1, "topgg_vote_id": "900"} and vote.raw == {"a": 1}
    assert (rekeyed.server_id, rekeyed.player_name, rekeyed.weight, rekeyed.expires_at) == (3, "x", 2, at)
