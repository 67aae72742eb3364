"""The Top.gg vote key spelled out in the route equals the documented ``derived_key`` form."""

from __future__ import annotations

import datetime as dt
import json

from bot.votes.model import Vote, derived_key, topgg_vote_key
from bot.web.providers import parse_topgg_v1


def test_vote_key_matches_derived_key_for_any_offset() -> None:
    utc = dt.datetime(2026, 11, 24, 13, 0, 5, 123456, tzinfo=dt.UTC)
    plus2 = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    expected = derived_key("topgg", 7, 123456789012345678, "2026-11-24T13:00:05+00:00")
    assert topgg_vote_key(7, 123456789012345678, utc) == expected
    assert topgg_vote_key(7, 123456789012345678, plus2) == expected


def test_a_v1_vote_is_keyed_like_its_backfill_copy_and_keeps_the_provider_id() -> None:
    body = {
        "type": "vote.create",
        "data": {
            "id": "900",
            "weight": 2,
            "created_at": "2026-11-24T15:00:05.1234567+02:00",
            "expires_at": "2026-11-25T01:00:05+00:00",
            "project": {"id": "1", "type": "bot", "platform": "discord", "platform_id": "1"},
            "user": {"id": "4", "platform_id": "5", "name": "x"},
        },
    }
    at = dt.datetime(2026, 11, 24, 13, 0, 5, 123456, tzinfo=dt.UTC)
    vote = parse_topgg_v1(3, json.dumps(body).encode(), key=topgg_vote_key)
    assert isinstance(vote, Vote)
    assert vote.external_id == topgg_vote_key(3, 5, at) == derived_key("topgg", 3, 5, "2026-11-24T13:00:05+00:00")
    assert vote.raw["topgg_vote_id"] == "900"
    assert (vote.server_id, vote.player_name, vote.weight, vote.voted_at) == (3, "x", 2, at)
    unkeyed = parse_topgg_v1(3, json.dumps(body).encode())
    assert isinstance(unkeyed, Vote) and unkeyed.external_id == "900"
